"""A real SMTP server, a real Redis, apps wired to them, and real worker processes."""

import os
import signal
import subprocess
import sys
import threading
import time
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

from app.domain.notifications import Event
from app.domain.policy import Role
from app.extensions import db
from app.jobs.schedule import run_periodic
from app.services.notification import set_preference
from tests.conftest import ROOT, clean_database, free_port, make_app
from tests.conftest import _answers as redis_answers
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory

BIN = Path(sys.executable).parent


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


WORKER_BASE_URL = "https://pulse.example.test"
WORKER_TEAM_INBOX = "atelier-equipe@cnc-pulse.test"


@dataclass
class Process:
    """A worker or scheduler started by a test, and where its output goes."""

    popen: subprocess.Popen
    output: Path

    def lines(self) -> list[str]:
        return self.output.read_text(encoding="utf-8", errors="replace").splitlines()

    def kill(self) -> None:
        """Kill it and every process it forked at once, as a crash or the OOM killer would."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        """Ask it to stop as an operator would, then make sure it is gone."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def spawn(database_url: str, redis_url: str, storage_dir: Path, tmp_path: Path):
    """Start `rq worker` or `flask cnc scheduler` processes configured by the environment only.

    Each runs the production code path: `create_app()` from the environment, no test settings.
    Every process still running at the end of the test is stopped.
    """
    started: list[Process] = []

    def run(command: list[str], mail_port: int, **environment: str) -> Process:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CNC_", "DATABASE_", "REDIS_", "MAIL_", "FLASK_"))
        }
        env.update(
            CNC_ENV="development",
            FLASK_APP="run.py",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            PUBLIC_BASE_URL=WORKER_BASE_URL,
            TEAM_NOTIFICATION_EMAIL=WORKER_TEAM_INBOX,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
            STORAGE_DIR=str(storage_dir),
            PYTHONUNBUFFERED="1",
        )
        env.update(environment)
        output = tmp_path / f"process-{len(started)}.log"
        with output.open("wb") as sink:
            popen = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(popen, output)
        started.append(process)
        return process

    yield run
    for process in started:
        process.stop()


DOCUMENTED_WORKER = "app.jobs.worker.AppWorker"
FORKING_WORKER = "app.jobs.worker.ForkingAppWorker"


def rq_worker_command(
    redis_url: str,
    worker: str = DOCUMENTED_WORKER,
    options: tuple[str, ...] = (),
    *,
    scheduler: bool = True,
) -> list[str]:
    """The worker command of docs/jobs.md, with another worker class or options if need be.

    :param scheduler: pass ``--with-scheduler``, as documented.
    """
    return [
        str(BIN / "rq"),
        "worker",
        "-w",
        worker,
        "--url",
        redis_url,
        *(["--with-scheduler"] if scheduler else []),
        *options,
        "email",
        "stripe",
        "default",
        "housekeeping",
    ]


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, which it can kill and start again.

    Started again it is empty, unless ``persistent``: then it writes every change to its
    append-only file (AOF) in ``folder``, as the deployment guide recommends, and reads it back.
    """

    port: int
    folder: Path
    persistent: bool = False
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                *("--port", str(self.port), "--save", ""),
                *("--appendonly", "yes" if self.persistent else "no"),
            ],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: redis_answers(self.url), 10, "redis-server to start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


@pytest.fixture
def web(make_jobs_app, redis_url):
    """The web side: commits changes and hands their outbox messages to Redis, sends nothing."""
    app = make_jobs_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with inside(app):
        yield app


@pytest.fixture
def cast(web):
    """An organisation with a French and an English member, the team, and a project."""
    organisation = OrganisationFactory(name="Atelier Dupont")
    lea = UserFactory(role=Role.ORG_MEMBER, organisation=organisation, email="lea@dupont.test")
    sam = UserFactory(
        role=Role.ORG_ADMIN, organisation=organisation, email="sam@dupont.test", language="en"
    )
    UserFactory(
        role=Role.ORG_MEMBER, organisation=organisation, email="parti@dupont.test", active=False
    )
    UserFactory(role=Role.ORG_MEMBER, email="max@lefevre.test")  # another organisation
    theo = UserFactory(role=Role.TEAM, email="theo@cnc-pulse.test", language="en")
    zoe = UserFactory(role=Role.TEAM, email="zoe@cnc-pulse.test")
    set_preference(zoe.id, Event.PROJECT_CREATED.value, False)
    set_preference(zoe.id, Event.COMMENT_ADDED.value, False)
    set_preference(zoe.id, Event.PAYMENT_RECEIVED.value, False)
    set_preference(zoe.id, Event.PAYMENT_LINK_EXPIRED.value, False)
    project = ProjectFactory(
        organisation=organisation,
        reference="CNC-2026-00042",
        title="Bride d'usinage",
        client_name="Jean Client",
        client_email="jean@client.test",
        final_price_cents=123456,
    )
    return {"lea": lea, "sam": sam, "theo": theo, "project": project}


@contextmanager
def sweeping(app: Flask, every: float) -> Iterator[list[float]]:
    """Run `sweep-outbox` every ``every`` seconds, as the scheduler does every minute.

    Yields the times (monotonic) of the runs.
    """
    runs: list[float] = []
    stop = threading.Event()

    def loop() -> None:
        with app.app_context():
            while not stop.wait(every):
                run_periodic("sweep-outbox")
                db.session.remove()
                runs.append(time.monotonic())

    thread = threading.Thread(target=loop, name="sweep", daemon=True)
    thread.start()
    try:
        yield runs
    finally:
        stop.set()
        thread.join(timeout=30)
