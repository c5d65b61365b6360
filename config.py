"""Settings read from the environment, with safe defaults for a developer's machine."""

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(environ: Mapping[str, str], name: str) -> bool | None:
    """Read a boolean setting: true/false, 1/0, yes/no (any case); None when unset.

    :raise ValueError: on any other word, naming the setting.
    """
    raw = environ.get(name)
    if raw is None:
        return None
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be true/false, 1/0 or yes/no, not {raw!r}")


def env_int(environ: Mapping[str, str], name: str) -> int | None:
    """Read a whole-number setting; None when unset.

    :raise ValueError: when it is not a number, naming the setting.
    """
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def database_url(raw: str | None) -> str:
    """Return a SQLAlchemy URL: SQLite under instance/ by default, psycopg 3 for PostgreSQL."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'cnc_pulse.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def log_format(environ: Mapping[str, str]) -> str:
    """Return LOG_FORMAT (json or text): json in production unless told, text elsewhere.

    :raise ValueError: on any other word, naming the setting.
    """
    raw = (environ.get("LOG_FORMAT") or "").strip().lower()
    if not raw:
        return "json" if environ.get("CNC_ENV") == "production" else "text"
    if raw not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {raw!r}")
    return raw


def from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """Read the deployment's settings from the environment; unset ones keep the class defaults."""
    get = lambda name: environ.get(name) or None  # noqa: E731
    values: dict[str, object] = {
        "SECRET_KEY": get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url(get("DATABASE_URL"))
        if get("DATABASE_URL")
        else None,
        "REDIS_URL": get("REDIS_URL"),
        "PUBLIC_BASE_URL": (get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "STORAGE_DIR": get("STORAGE_DIR"),
        "STORAGE_BACKEND": (get("STORAGE_BACKEND") or "").strip().lower() or None,
        "S3_BUCKET": get("S3_BUCKET"),
        "S3_PREFIX": get("S3_PREFIX"),
        "S3_ENDPOINT_URL": get("S3_ENDPOINT_URL"),
        "S3_REGION": get("S3_REGION"),
        "S3_ADDRESSING_STYLE": get("S3_ADDRESSING_STYLE"),
        "DISPLAY_TIMEZONE": get("DISPLAY_TIMEZONE"),
        "MAIL_SERVER": get("MAIL_SERVER"),
        "MAIL_PORT": env_int(environ, "MAIL_PORT"),
        "MAIL_USERNAME": get("MAIL_USERNAME"),
        "MAIL_PASSWORD": get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": env_bool(environ, "MAIL_USE_TLS"),
        "MAIL_USE_SSL": env_bool(environ, "MAIL_USE_SSL"),
        "MAIL_DEFAULT_SENDER": get("MAIL_DEFAULT_SENDER"),
        "MAIL_MAILBOX_DIR": get("MAIL_MAILBOX_DIR"),
        "TEAM_NOTIFICATION_EMAIL": get("TEAM_NOTIFICATION_EMAIL"),
        "STRIPE_SECRET_KEY": get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": get("STRIPE_API_BASE"),
        "PAYMENT_LINK_REMINDER_HOURS": env_int(environ, "PAYMENT_LINK_REMINDER_HOURS"),
        "PAYMENT_LINK_RESEND_MINUTES": env_int(environ, "PAYMENT_LINK_RESEND_MINUTES"),
        "OUTBOX_RETENTION_DAYS": env_int(environ, "OUTBOX_RETENTION_DAYS"),
        "JOB_RECORD_RETENTION_DAYS": env_int(environ, "JOB_RECORD_RETENTION_DAYS"),
        "PREVIEWS_ENABLED": env_bool(environ, "PREVIEWS_ENABLED"),
        "SESSION_COOKIE_SECURE": env_bool(environ, "SESSION_COOKIE_SECURE"),
        "SESSION_IDLE_MINUTES": env_int(environ, "SESSION_IDLE_MINUTES"),
        "SESSION_LIFETIME_HOURS": env_int(environ, "SESSION_LIFETIME_HOURS"),
        "TRUSTED_PROXIES": env_int(environ, "CNC_TRUSTED_PROXIES"),
        "SIGN_IN_LOCK_AFTER": env_int(environ, "SIGN_IN_LOCK_AFTER"),
        "SIGN_IN_LOCK_MINUTES": env_int(environ, "SIGN_IN_LOCK_MINUTES"),
        "SIGN_IN_ADDRESS_LIMIT": get("SIGN_IN_ADDRESS_LIMIT"),
        "LOG_FORMAT": log_format(environ) if get("LOG_FORMAT") else None,
        "SENTRY_DSN": get("SENTRY_DSN"),
        "DATABASE_POOL_SIZE": env_int(environ, "DATABASE_POOL_SIZE"),
        "DATABASE_MAX_OVERFLOW": env_int(environ, "DATABASE_MAX_OVERFLOW"),
        "DATABASE_STATEMENT_TIMEOUT_MS": env_int(environ, "DATABASE_STATEMENT_TIMEOUT_MS"),
        "READY_EMAIL_FAILURES": env_int(environ, "READY_EMAIL_FAILURES"),
        "READY_QUEUE_DELAY_MINUTES": env_int(environ, "READY_QUEUE_DELAY_MINUTES"),
    }
    return {key: value for key, value in values.items() if value is not None}


class Config:
    APP_NAME = "CNC Pulse"
    # development, testing or production: what CNC_ENV chose.
    ENVIRONMENT = "development"
    # 32 bytes at least: it also signs the API's tokens (HMAC-SHA256, RFC 7518 §3.2).
    SECRET_KEY = "dev-only-secret-key-change-me-please"  # noqa: S105 - production requires its own
    SQLALCHEMY_DATABASE_URI = database_url(None)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL: str | None = None
    RQ_QUEUES = ("default", "email", "stripe", "housekeeping", "previews")
    # Without Redis (jobs inline), these queues' jobs run on a thread of the web process, after
    # the answer: reading a large file takes seconds. Tests run them in the request, in order.
    INLINE_BACKGROUND_QUEUES: tuple[str, ...] = ("previews",)
    # Uploads queue a reading of each file for its preview (a worker on the "previews" queue).
    PREVIEWS_ENABLED = True
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Where files live: "local" (STORAGE_DIR) or "s3" (a bucket of any S3-compatible store,
    # the credentials read by boto3 from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    STORAGE_BACKEND = "local"
    STORAGE_DIR = str(INSTANCE_DIR / "storage")
    S3_BUCKET: str | None = None
    # Object names start with it ("cnc-pulse/"), so one bucket may serve several instances.
    S3_PREFIX = ""
    # Any S3-compatible store (MinIO, Ceph, Garage, Scaleway, OVH…); unset for AWS itself.
    S3_ENDPOINT_URL: str | None = None
    S3_REGION: str | None = None
    # "path" or "virtual"; unset: by path with an endpoint (self-hosted stores), else virtual.
    S3_ADDRESSING_STYLE: str | None = None
    MAX_FILE_BYTES = 50 * 1024 * 1024
    # One request may carry several files of up to 50 MB each.
    MAX_CONTENT_LENGTH = 10 * MAX_FILE_BYTES + 1024 * 1024

    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = "CNC Pulse <no-reply@cnc-pulse.test>"
    MAIL_TIMEOUT_SECONDS = 10
    # Without MAIL_SERVER, emails are delivered into this Maildir instead (development only):
    # recorded as sent, so the workflow goes on as with a server; any mail client reads it.
    MAIL_MAILBOX_DIR: str | None = None
    TEAM_NOTIFICATION_EMAIL: str | None = None

    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None

    # Times are stored in UTC and shown, on screens and in emails, in this zone (SPEC §9).
    DISPLAY_TIMEZONE = "Europe/Paris"

    PAYMENT_LINK_DAYS = 7
    # The client is reminded once, this long before their payment link expires.
    PAYMENT_LINK_REMINDER_HOURS = 48
    # A reminder by the team or the link sent again by the organisation: at most one per this
    # many minutes and project, so the client is not flooded.
    PAYMENT_LINK_RESEND_MINUTES = 60
    # Housekeeping deletes outbox messages done this long ago, and RQ's records of failed jobs.
    OUTBOX_RETENTION_DAYS = 30
    JOB_RECORD_RETENTION_DAYS = 7

    # Flask-AppBuilder
    FAB_UPDATE_PERMS = (
        False  # permissions are synced by `flask cnc sync-roles`, not by each process
    )
    FAB_API_SWAGGER_UI = True
    FAB_SECURITY_MANAGER_CLASS = "app.security.SecurityManager"
    FAB_INDEX_VIEW = "app.views.admin.home.HomeView"
    # Every signed-in page's frame, FAB's screens included: see app/templates/layout.html.
    FAB_BASE_TEMPLATE = "layout.html"
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_FOLDER = "app/translations"
    LANGUAGES = {
        "fr": {"flag": "fr", "name": "Français"},
        "en": {"flag": "gb", "name": "English"},
    }
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Sessions live on the server (app.services.sessions), for cookies and API tokens alike.
    # OWASP ASVS 4.0.3 §3.3.2, level 2: sign in again after 30 minutes unused or 12 hours in
    # all. Each page in use counts, so a day's work is two sign-ins; a screen left open over
    # lunch is signed out. The cookie's signature and the refresh token expire at the lifetime.
    SESSION_IDLE_MINUTES = 30
    SESSION_LIFETIME_HOURS = 12
    # A session's last use is written at most this often: most requests then only read it.
    SESSION_TOUCH_SECONDS = 60
    # Sessions over (ended, or unused) are listed nowhere but kept this long, then deleted.
    SESSION_RETENTION_DAYS = 30
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    RATELIMIT_ENABLED = False
    # How many reverse proxies in front of the app add X-Forwarded-For (and -Proto, -Host):
    # their values are believed, so client addresses and rate limits are the clients'.
    TRUSTED_PROXIES = 0
    # Strict-Transport-Security: only where the site is served over HTTPS alone.
    SECURITY_HSTS = False
    # Guessing passwords (ASVS V2.2.1), on the sign-in form and the API login alike. So many
    # failed sign-ins within so many minutes of the first lock the account until those minutes
    # are over, its owner told by email; with RATELIMIT_ENABLED the same count refuses names no
    # account has, so both answer alike. Failures only count: a workshop behind one address can
    # all sign in at once. The address limit counts failures for every name together.
    SIGN_IN_LOCK_AFTER = 10
    SIGN_IN_LOCK_MINUTES = 15
    SIGN_IN_ADDRESS_LIMIT = "50 per 15 minutes"

    # Log lines: "text" for people, "json" (one object per line) for a log collector.
    LOG_FORMAT = "text"
    # Errors reported to Sentry (or a compatible service) when set; nothing is sent otherwise.
    SENTRY_DSN: str | None = None
    # PostgreSQL connections per process (and how many more under load). Each is checked
    # before use, so a restarted database costs no request an error.
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10
    # A web request's statement running longer than this is cancelled (PostgreSQL; 0: never).
    # Workers, migrations and commands run without this limit.
    DATABASE_STATEMENT_TIMEOUT_MS = 30_000
    # /ready says "degraded" from this many failed emails in the last 15 minutes, or when a
    # message has waited this long for a worker.
    READY_EMAIL_FAILURES = 3
    READY_QUEUE_DELAY_MINUTES = 10

    # Environment variables production refuses to start without.
    REQUIRED_ENVIRONMENT: tuple[str, ...] = ()


class DevelopmentConfig(Config):
    # `make run` needs no mail server: every email lands in the application's own mailbox.
    MAIL_MAILBOX_DIR = str(INSTANCE_DIR / "mailbox")


class TestingConfig(Config):
    ENVIRONMENT = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SECRET_KEY = "testing-secret-key-of-thirty-two-bytes"  # noqa: S105
    PUBLIC_BASE_URL = "http://cnc-pulse.test"
    TEAM_NOTIFICATION_EMAIL = "equipe@cnc-pulse.test"
    INLINE_BACKGROUND_QUEUES: tuple[str, ...] = ()
    # Most tests upload files without caring for their previews; the preview tests turn it on.
    PREVIEWS_ENABLED = False


class ProductionConfig(Config):
    ENVIRONMENT = "production"
    LOG_FORMAT = "json"
    SESSION_COOKIE_SECURE = True
    # A __Host- cookie is only taken by browsers over HTTPS, for path /, with no Domain: no
    # subdomain can set or overwrite it (create_app falls back to the plain name if not Secure).
    SESSION_COOKIE_NAME = "__Host-cnc_session"
    SECURITY_HSTS = True
    # The public payment pages are rate-limited per address: counted in Redis, shared by every
    # process; should Redis be down, each process counts on its own meanwhile.
    RATELIMIT_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    REQUIRED_ENVIRONMENT = (
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
        "MAIL_SERVER",
        "MAIL_DEFAULT_SENDER",
        "STORAGE_DIR",
    )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
