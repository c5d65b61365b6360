"""Prepare the bench database: create (or drop and recreate) it, migrate it, seed it once."""

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from bench.seed import PASSWORD, Volume, is_seeded, seed
from config import database_url

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"


def prepare(url: str, volume: Volume, *, reset: bool = False) -> dict[str, int] | None:
    """Make ``url`` a migrated, seeded database; return the rows written, None if already seeded.

    :param reset: drop the database first, so it is seeded again from nothing.
    """
    if reset:
        drop_database(url)
    create_database(url)
    environment = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "run.py"}
    environment.pop("REDIS_URL", None)
    for command in (["db", "upgrade"], ["cnc", "sync-roles"]):
        done = subprocess.run(  # noqa: S603 - our own CLI
            [str(FLASK), *command], cwd=ROOT, env=environment, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    engine = create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            if is_seeded(connection):
                return None
            counts = seed(connection, volume, generate_password_hash(PASSWORD))
        began = time.monotonic()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        print(f"  vacuum analyze: {time.monotonic() - began:.1f} s", flush=True)
        return counts
    finally:
        engine.dispose()


def _server(url: str):
    target = make_url(database_url(url))
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return target.database, server


def create_database(url: str) -> None:
    name, server = _server(url)
    with server.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def drop_database(url: str) -> None:
    name, server = _server(url)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()
