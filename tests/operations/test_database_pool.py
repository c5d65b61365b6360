"""PostgreSQL's pool: connections checked before use; web statements limited in time."""

import pytest
from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db


def _app(database_url, storage_dir, *, web: bool, **overrides):
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STORAGE_DIR": str(storage_dir),
        "REDIS_URL": None,
        **overrides,
    }
    app = create_app("testing", settings, web=web)

    @app.get("/statement-timeout")
    def statement_timeout():
        return jsonify(db.session.execute(text("SHOW statement_timeout")).scalar())

    return app


@pytest.fixture
def postgres(database_url, base_app):
    """The migrated PostgreSQL database (these tests are deselected on SQLite)."""
    return database_url


@pytest.mark.postgres_only
def test_the_web_app_limits_its_statements_and_pings_its_connections(postgres, storage_dir):
    app = _app(postgres, storage_dir, web=True, DATABASE_STATEMENT_TIMEOUT_MS=12_000)
    try:
        assert app.test_client().get("/statement-timeout").json == "12s"
        with app.app_context():
            pool = db.engine.pool
            assert pool._pre_ping is True
            assert pool.size() == 5 and pool._max_overflow == 10
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.postgres_only
def test_a_worker_or_command_runs_without_the_limit(postgres, storage_dir):
    app = _app(postgres, storage_dir, web=False, DATABASE_POOL_SIZE=2, DATABASE_MAX_OVERFLOW=1)
    try:
        assert app.test_client().get("/statement-timeout").json == "0"
        with app.app_context():
            assert db.engine.pool.size() == 2 and db.engine.pool._max_overflow == 1
            assert db.engine.pool._pre_ping is True
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.postgres_only
def test_a_slow_web_statement_is_cancelled(postgres, storage_dir):
    app = _app(postgres, storage_dir, web=True, DATABASE_STATEMENT_TIMEOUT_MS=200)

    @app.get("/slow")
    def slow():
        db.session.execute(text("SELECT pg_sleep(2)"))
        return "done"

    try:
        with pytest.raises(OperationalError, match="statement timeout"):
            app.test_client().get("/slow")
    finally:
        with app.app_context():
            db.engine.dispose()
