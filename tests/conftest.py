"""Fixtures shared by every tier: the database backends, the app, factories' session, storage.

Database-backed tests run once on SQLite and once more on PostgreSQL when ``TEST_DATABASE_URL``
is set. With ``CNC_REQUIRE_SERVICES=1`` (CI), a missing PostgreSQL or Redis fails the run
instead of narrowing it.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text

from config import database_url as normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None
REQUIRE_SERVICES = os.environ.get("CNC_REQUIRE_SERVICES", "").lower() in ("1", "true", "yes")

# Kept between tests: FAB's permission tables, filled once by sync_roles.
PERMISSION_TABLES = {
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_role",
    "ab_permission_view_role",
    "alembic_version",
}


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_SERVICES and not (TEST_DATABASE_URL and TEST_REDIS_URL):
        raise pytest.UsageError(
            "CNC_REQUIRE_SERVICES is set: TEST_DATABASE_URL and TEST_REDIS_URL must point at "
            "PostgreSQL and Redis."
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run PostgreSQL-only tests (row locks) on PostgreSQL alone; SQLite serialises writers."""
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        backend = params.params.get("database_url") if params else None
        if item.get_closest_marker("postgres_only") and backend != "postgresql":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    """Return a local TCP port nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: TEST_REDIS_URL, else the local one, else one started for this run.

    CI (CNC_REQUIRE_SERVICES=1) insists on the configured Redis and fails when it does not
    answer. Elsewhere, a machine without a running Redis gets a private `redis-server`.
    """
    url = TEST_REDIS_URL or LOCAL_REDIS_URL
    if _answers(url):
        yield url
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"Redis at {url} does not answer")
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "No Redis answers and redis-server is not installed: run scripts/ensure-test-tools"
        )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(50):
            if _answers(url):
                break
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    connection = Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(connection.ping())
    except RedisError:
        return False
    finally:
        connection.close()


BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    url = normalise_database_url(TEST_DATABASE_URL)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogs as `make` does, so plain `pytest` shows the real French too."""
    command = [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", "app/translations"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603


@pytest.fixture(scope="session")
def storage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("storage")


def make_app(database_url: str, storage_dir: Path, **overrides: object):
    from app import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STORAGE_DIR": str(storage_dir),
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": None,
        "MAIL_SERVER": None,
    }
    settings.update(overrides)
    return create_app("testing", settings)


@pytest.fixture(scope="session")
def base_app(database_url: str, storage_dir: Path):
    """One migrated app per backend, with roles synced."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.services.account import sync_roles

    app = make_app(database_url, storage_dir)
    with app.app_context():
        upgrade()
        sync_roles()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(base_app, storage_dir: Path):
    """The app inside an app context; every row and stored file is gone after the test."""
    from app.extensions import db

    with base_app.app_context():
        yield base_app
        db.session.remove()
        clean_database(db.engine)
    empty_storage(storage_dir)


def empty_storage(storage_dir: Path) -> None:
    """Delete every stored file, keeping the marker that makes the directory the store."""
    from app.storage import MARKER

    for child in storage_dir.iterdir():
        if child.name != MARKER:
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def stored_files(storage_dir: Path) -> list[Path]:
    """Return the files of the store, its marker left out."""
    from app.storage import MARKER

    return sorted(p for p in storage_dir.rglob("*") if p.is_file() and p.name != MARKER)


@pytest.fixture
def limited_apps(app, database_url: str, storage_dir: Path):
    """Make apps whose rate limits count, in memory unless told, as production's do.

    The limiter is one object for every app of the run and the last app made takes it over:
    after the test it is emptied and switched off again, as the tests' app expects, and the
    apps made close their connections.
    """
    from app.extensions import db, limiter

    made = []

    def make(**settings: object):
        limited = make_app(
            database_url,
            storage_dir,
            **{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **settings},
        )
        made.append(limited)
        limiter.reset()
        return limited

    yield make
    limiter.reset()
    limiter.limit_manager.set_default_limits([])
    limiter.enabled = False
    for limited in made:
        with limited.app_context():
            db.engine.dispose()


def clean_database(engine) -> None:
    from flask_appbuilder import Model

    tables = [t for t in Model.metadata.sorted_tables if t.name not in PERMISSION_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def db_session(app):
    from app.extensions import db

    return db.session


@pytest.fixture
def storage(app):
    return app.extensions["storage"]


S3_REGION = "eu-west-3"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 server (moto's) on loopback, for the object store's tests."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def make_s3_store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """Make S3 stores, each on a new bucket of the test server; credentials as boto3 reads them."""
    import secrets as random_names

    from app.storage.s3 import S3Storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    # Nothing of the machine's own AWS set-up may leak into the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")

    def make(endpoint: str = s3_endpoint, **options: object) -> S3Storage:
        bucket = f"cnc-test-{random_names.token_hex(6)}"
        store = S3Storage(bucket, prefix="cnc/", endpoint_url=endpoint, region=S3_REGION, **options)
        store.client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
        )
        return store

    return make


def bucket_names(store) -> list[str]:
    """Return every object name of the store's bucket, under its prefix or not."""
    answer = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in answer.get("Contents", ()))


def unfinished_uploads(store) -> list[str]:
    """Return the names of the bucket's multipart uploads neither completed nor aborted."""
    answer = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [item["Key"] for item in answer.get("Uploads", ())]
