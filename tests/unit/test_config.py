"""Settings from the environment, and production's refusal to start without its own."""

from datetime import timedelta

import pytest

from app import MissingSettingError, create_app
from app.storage import MARKER
from config import database_url, env_bool, from_environment

PRODUCTION = {
    "SECRET_KEY": "a-production-secret-of-forty-bytes-or-so",
    "DATABASE_URL": "postgresql://db.internal/cnc",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "PUBLIC_BASE_URL": "https://pulse.example.fr",
    "MAIL_SERVER": "smtp.example.fr",
    "MAIL_DEFAULT_SENDER": "CNC Pulse <pulse@example.fr>",
    "STORAGE_DIR": "/srv/cnc/storage",
}


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_refuses_to_start_naming_what_is_missing(monkeypatch, missing):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(MissingSettingError) as raised:
        create_app("production")
    assert missing in str(raised.value)
    assert all(name not in str(raised.value) for name in PRODUCTION if name != missing)


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("false", False),
        ("0", False),
        ("No", False),
    ],
)
def test_booleans_accept_the_usual_words(word, value):
    assert env_bool({"MAIL_USE_TLS": word}, "MAIL_USE_TLS") is value


def test_a_bad_boolean_names_the_setting():
    with pytest.raises(ValueError, match="MAIL_USE_TLS must be true/false"):
        from_environment({"MAIL_USE_TLS": "peut-être"})


def test_database_url_defaults_to_sqlite_and_uses_psycopg_for_postgresql():
    assert database_url(None).startswith("sqlite:///") and database_url(None).endswith(
        "instance/cnc_pulse.db"
    )
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_environment_overrides_only_what_is_set():
    values = from_environment(
        {"REDIS_URL": "redis://r:6379/1", "MAIL_PORT": "2525", "PUBLIC_BASE_URL": "https://x.fr/"}
    )
    assert values == {
        "REDIS_URL": "redis://r:6379/1",
        "MAIL_PORT": 2525,
        "PUBLIC_BASE_URL": "https://x.fr",
    }


def test_the_file_readings_can_be_turned_off_from_the_environment():
    assert from_environment({"PREVIEWS_ENABLED": "0"}) == {"PREVIEWS_ENABLED": False}
    assert create_app("development").config["PREVIEWS_ENABLED"] is True


def test_production_counts_rate_limits_in_redis_shared_by_every_process(monkeypatch, tmp_path):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path))
    # A store set up before: its marker spares asking the (unreachable) database about it.
    (tmp_path / MARKER).write_text("")
    app = create_app("production")
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == PRODUCTION["REDIS_URL"]
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_without_redis_rate_limits_are_counted_in_memory():
    app = create_app("testing", {"REDIS_URL": None})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_refuses_a_secret_key_too_short_to_sign_tokens(monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    with pytest.raises(MissingSettingError, match="SECRET_KEY is too short"):
        create_app("production")


def test_dates_are_shown_in_the_display_time_zone_of_the_environment(monkeypatch):
    from datetime import UTC, datetime

    from app.domain.dates import format_day
    from app.mail.render import display_zone
    from app.views.formatting import local_datetime

    monkeypatch.setenv("DISPLAY_TIMEZONE", "America/Montreal")
    app = create_app("testing")
    late_evening = datetime(2026, 11, 26, 3, 30, tzinfo=UTC)  # 22:30 the day before there
    with app.test_request_context():
        assert local_datetime(late_evening) == "25/11/2026 22:30"
        assert format_day(late_evening, "fr", display_zone()) == "25/11/2026"


def test_a_display_time_zone_that_does_not_exist_stops_start_up(monkeypatch):
    monkeypatch.setenv("DISPLAY_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(MissingSettingError, match="DISPLAY_TIMEZONE 'Europe/Atlantis'"):
        create_app("testing")


def test_session_limits_come_from_the_environment_and_bound_cookie_and_refresh_token(
    monkeypatch,
):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("SESSION_LIFETIME_HOURS", "8")

    app = create_app("testing")

    assert app.config["SESSION_IDLE_MINUTES"] == 15
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(hours=8)


def test_sessions_default_to_thirty_minutes_idle_and_twelve_hours_in_all():
    app = create_app("testing")

    assert (app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_LIFETIME_HOURS"]) == (30, 12)


def test_production_on_s3_asks_for_a_bucket_instead_of_a_directory(monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STORAGE_DIR")
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    with pytest.raises(MissingSettingError) as raised:
        create_app("production")
    assert "S3_BUCKET" in str(raised.value) and "STORAGE_DIR" not in str(raised.value)

    monkeypatch.setenv("S3_BUCKET", "cnc-pulse-files")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://s3.fr-par.scw.cloud")
    monkeypatch.setenv("S3_PREFIX", "/pulse/")
    store = create_app("production").extensions["storage"]
    assert (store.bucket, store.endpoint_url, store.prefix) == (
        "cnc-pulse-files",
        "https://s3.fr-par.scw.cloud",
        "pulse/",
    )
    assert store.addressing_style == "path"


def test_an_unknown_storage_backend_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(MissingSettingError, match="STORAGE_BACKEND must be one of local, s3"):
        create_app("testing")
