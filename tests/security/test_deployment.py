"""What production changes: HSTS, the __Host- session cookie, trusted proxies, no demo data."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import MissingSettingError, create_app
from app.domain.errors import Conflict
from app.extensions import db
from app.models import AppUser, Organisation, Project
from app.services.demo import seed_demo

PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "a-production-secret-key-of-more-than-32-bytes",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "PUBLIC_BASE_URL": "https://cnc-pulse.example",
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_DEFAULT_SENDER": "CNC Pulse <no-reply@cnc-pulse.example>",
}


@pytest.fixture
def production_app(
    app: Flask, database_url: str, storage_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The production settings on the test database (the `app` fixture cleans it after)."""
    del app
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STORAGE_DIR", str(storage_dir))
    monkeypatch.setenv("CNC_ENV", "production")
    built = create_app(overrides={"RATELIMIT_ENABLED": False})
    with built.app_context():
        yield built
        db.session.remove()
        db.engine.dispose()


def test_production_sends_hsts_and_a_host_only_secure_session_cookie(production_app):
    client = production_app.test_client()
    response = client.get("/login/", base_url="https://cnc-pulse.example")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # The login form's CSRF token opens the session.
    cookie = next(
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith("__Host-cnc_session=")
    )
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in attributes
    assert "path=/" in attributes
    assert not any(part.startswith("domain=") for part in attributes)
    assert "httponly" in attributes


def test_development_keeps_the_ordinary_cookie_and_no_hsts(app):
    response = app.test_client().get("/login/")
    assert "Strict-Transport-Security" not in response.headers
    names = [value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")]
    assert names == ["session"]


def test_production_without_secure_cookies_falls_back_to_the_plain_name(
    production_app, monkeypatch
):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    plain = create_app()
    assert plain.config["SESSION_COOKIE_NAME"] == "session"
    assert production_app.config["SESSION_COOKIE_NAME"] == "__Host-cnc_session"


def test_seed_demo_refuses_production_and_creates_nothing(production_app):
    result = production_app.test_cli_runner().invoke(args=["cnc", "seed-demo"])
    assert result.exit_code != 0
    assert "never loaded in production (CNC_ENV=production)" in result.output
    assert "published passwords" in result.output
    for model in (AppUser, Organisation, Project):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    with pytest.raises(Conflict, match="production"):
        seed_demo()


@pytest.fixture
def limited_app(limited_apps) -> Callable[[int], Flask]:
    """Make apps that count the payment pages' requests, behind so many trusted proxies."""
    return lambda proxies: limited_apps(TRUSTED_PROXIES=proxies)


def _pages_until_limited(client, forwarded_for: str, tries: int = 70) -> int:
    """GET the payment page as one client until it is refused; return how many were served."""
    for served in range(tries):
        response = client.get("/pay/some-unknown-token", headers={"X-Forwarded-For": forwarded_for})
        if response.status_code == 429:
            return served
        assert response.status_code == 404
    return tries


def test_behind_one_trusted_proxy_each_client_has_its_own_limit(limited_app):
    client = limited_app(1).test_client()
    assert _pages_until_limited(client, "203.0.113.7") == 60
    # Another client behind the same proxy is still served.
    assert _pages_until_limited(client, "198.51.100.23", tries=5) == 5


def test_without_trusted_proxies_the_forwarded_address_is_ignored(limited_app):
    client = limited_app(0).test_client()
    assert _pages_until_limited(client, "203.0.113.7") == 60
    # A forged header does not buy a fresh allowance.
    assert _pages_until_limited(client, "198.51.100.23", tries=5) == 0


def test_a_negative_proxy_count_is_refused(monkeypatch):
    monkeypatch.setenv("CNC_TRUSTED_PROXIES", "-1")
    with pytest.raises(MissingSettingError, match="CNC_TRUSTED_PROXIES"):
        create_app("testing")
