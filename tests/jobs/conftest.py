"""A real SMTP server, a real Redis, and apps wired to them, for the background-job tests."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedEmail
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from app.extensions import db
from tests.conftest import clean_database, free_port, make_app


@dataclass
class SmtpServer:
    """What the test SMTP server received, and the addresses it refuses."""

    port: int
    messages: list[ParsedEmail] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ParsedEmail]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """An empty Redis database for one test."""
    connection = Redis.from_url(redis_server_url, socket_connect_timeout=2)
    connection.flushdb()
    yield redis_server_url
    connection.flushdb()
    connection.close()


@pytest.fixture
def make_jobs_app(base_app, database_url: str, storage_dir: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database with other settings; every row is gone afterwards."""
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        settings: dict[str, object] = {
            # TESTING turns Flask-Mail's sending off by default: these tests talk real SMTP.
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT_SECONDS": 5,
        }
        settings.update(overrides)
        app = make_app(database_url, storage_dir, **settings)
        apps.append(app)
        return app

    yield build
    with base_app.app_context():
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        clean_database(db.engine)


@pytest.fixture
def mail_app(make_jobs_app, smtp_server: SmtpServer) -> Iterator[Flask]:
    """Inline mode (no Redis), mailing the test SMTP server, inside an app context."""
    app = make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app
        db.session.remove()


@contextmanager
def inside(app: Flask) -> Iterator[Flask]:
    """Run a block in another app's context, as another process would."""
    with app.app_context():
        yield app
        db.session.remove()


def work(redis_url: str, queues: tuple[str, ...] = ("default", "email")) -> None:
    """Run every queued job in this process, as `rq worker --burst` would."""
    connection = Redis.from_url(redis_url)
    try:
        worker = SimpleWorker(
            [Queue(name, connection=connection) for name in queues], connection=connection
        )
        worker.work(burst=True)
    finally:
        connection.close()
