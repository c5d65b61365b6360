"""/ready: 503 naming the dependency that is down, 200 once it is back; "degraded" figures."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import EmailMessage, EmailStatus, OutboxMessage, OutboxStatus
from app.storage.local import MARKER
from tests.conftest import free_port, make_app


class PrivateRedis:
    """A redis-server of the test's own, on a free port, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed: run scripts/ensure-test-tools"
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except RedisError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def build(app, database_url, storage_dir) -> Iterator:
    """Build apps with other settings for one test; their connections are closed after it."""
    apps = []

    def make(url: str = database_url, **overrides):
        made = make_app(url, storage_dir, **overrides)
        apps.append(made)
        return made

    yield make
    for made in apps:
        with made.app_context():
            db.engine.dispose()


def ready(app) -> tuple[int, dict]:
    response = app.test_client().get("/ready")
    return response.status_code, response.json


def test_ready_when_every_dependency_answers(app):
    status, body = ready(app)
    assert status == 200
    assert body["status"] == "ok" and body["failing"] == [] and body["degraded"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
        "emails": "ok",
        "queue": "ok",
    }
    assert body["checks"]["redis"]["configured"] is False


def test_a_database_on_a_closed_port_is_named(build, database_url):
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    status, body = ready(build(closed))
    assert status == 503
    assert body["status"] == "unavailable" and body["failing"] == ["database"]
    assert "database does not answer" in body["checks"]["database"]["reason"]
    # What needs the database is skipped, not reported as failing too.
    assert body["checks"]["emails"]["status"] == "skipped"
    assert body["checks"]["storage"]["status"] == "ok"
    status, body = ready(build(database_url))
    assert status == 200 and body["checks"]["database"]["status"] == "ok"


def test_redis_down_then_back(build, private_redis):
    app = build(REDIS_URL=private_redis.url)
    status, body = ready(app)
    assert status == 200 and body["checks"]["redis"] == {"status": "ok", "configured": True}
    private_redis.stop()
    status, body = ready(app)
    assert status == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["reason"].startswith("Redis does not answer")
    private_redis.start()
    status, body = ready(app)
    assert status == 200 and body["failing"] == []


def test_storage_unmounted_then_back(build, tmp_path):
    root = tmp_path / "mounted-storage"
    app = build(STORAGE_DIR=str(root))
    assert ready(app)[0] == 200
    marker = (root / MARKER).read_bytes()
    # The volume goes away under the running app, leaving its empty mount point.
    shutil.rmtree(root)
    root.mkdir()
    status, body = ready(app)
    assert status == 503 and body["failing"] == ["storage"]
    assert body["checks"]["storage"]["reason"] == "the storage cannot be written and read back"
    assert list(root.iterdir()) == []
    (root / MARKER).write_bytes(marker)
    status, body = ready(app)
    assert status == 200 and body["checks"]["storage"]["status"] == "ok"
    # The probe leaves no file behind.
    assert [path.name for path in root.rglob("*") if path.is_file()] == [MARKER]


def _emails(count: int, status: EmailStatus, *, age: timedelta, error: str | None) -> None:
    for number in range(count):
        db.session.add(
            EmailMessage(
                dedupe_key=f"ready-{status}-{age}-{number}",
                kind="notification",
                recipient=f"client{number}@example.test",
                language="fr",
                subject="Votre projet",
                body_text="texte",
                body_html="<p>texte</p>",
                status=status.value,
                attempts=1,
                last_error=error,
                created_at=utcnow() - age,
            )
        )
    db.session.commit()


def test_failing_emails_make_it_degraded_from_the_threshold(app):
    # Old failures and sent emails do not count.
    _emails(5, EmailStatus.FAILED, age=timedelta(minutes=20), error="SMTPServerDisconnected")
    _emails(5, EmailStatus.SENT, age=timedelta(minutes=1), error=None)
    _emails(2, EmailStatus.FAILED, age=timedelta(minutes=5), error="SMTPServerDisconnected")
    status, body = ready(app)
    assert status == 200 and body["status"] == "ok"
    assert body["checks"]["emails"]["failing_last_15_minutes"] == 2
    # A third, waiting for its retry after an error, reaches the threshold of three.
    _emails(1, EmailStatus.PENDING, age=timedelta(minutes=2), error="ConnectionRefusedError")
    status, body = ready(app)
    assert status == 200
    assert body["status"] == "degraded" and body["degraded"] == ["emails"]
    assert body["checks"]["emails"] == {
        "status": "degraded",
        "reason": "3 emails failed in the last 15 minutes",
        "failing_last_15_minutes": 3,
        "threshold": 3,
    }


def _message(status: OutboxStatus, age: timedelta) -> None:
    db.session.add(
        OutboxMessage(
            id=f"{status.value.lower():0>32}"[-32:],
            job="send_notification",
            payload="{}",
            queue="email",
            status=status.value,
            created_at=utcnow() - age,
        )
    )
    db.session.commit()


def test_messages_waiting_too_long_make_it_degraded(app):
    _message(OutboxStatus.PENDING, timedelta(minutes=3))
    status, body = ready(app)
    assert body["status"] == "ok" and body["checks"]["queue"]["waiting_over_delay"] == 0
    _message(OutboxStatus.ENQUEUED, timedelta(minutes=25))
    status, body = ready(app)
    assert status == 200 and body["degraded"] == ["queue"]
    queue = body["checks"]["queue"]
    assert queue["waiting_over_delay"] == 1 and queue["delay_minutes"] == 10
    assert queue["oldest_waiting_minutes"] == 25
    assert queue["reason"] == "1 messages have waited more than 10 minutes"


def test_no_worker_with_a_fresh_heartbeat_makes_it_degraded(build, private_redis):
    app = build(REDIS_URL=private_redis.url)
    status, body = ready(app)
    assert status == 200 and body["degraded"] == ["queue"]
    assert body["checks"]["queue"]["live_workers"] == 0
    assert "no worker" in body["checks"]["queue"]["reason"]
    connection = Redis.from_url(private_redis.url)
    worker = Worker(["email"], connection=connection, name="ready-probe-worker")
    worker.register_birth()
    try:
        status, body = ready(app)
        assert body["status"] == "ok" and body["checks"]["queue"]["live_workers"] == 1
    finally:
        worker.register_death()
        connection.close()
