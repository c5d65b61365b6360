"""A live server on a file database, with CSRF on, and a headless Chromium driven by Playwright."""

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import clean_database, make_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogs as `make` does (`pybabel compile -d app/translations`)."""
    command = [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", "app/translations"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603


@pytest.fixture(scope="session")
def live_app(base_app, database_url: str, storage_dir: Path) -> Iterator[Flask]:
    """A second app on base_app's migrated database, with CSRF protection on as in production."""
    from app.extensions import db

    del base_app  # requested so the database is migrated and the roles synced
    app = make_app(database_url, storage_dir, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    """Serve the app on 127.0.0.1 and a free port; every row is gone after the test."""
    from app.extensions import db

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(live_app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            db.session.remove()
            clean_database(db.engine)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run: its sync API cannot be started twice in a process."""
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-test-tools")
    with sync_api.sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
