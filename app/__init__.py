"""CNC Pulse: the application factory. Nothing happens at import.

Importing the package is cheap: Flask and Flask-AppBuilder are loaded when an application is
built, not before, so the child processes that read uploaded files start in a few milliseconds.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from flask import Flask

# The loggers RQ's worker, its scheduler and its cron scheduler give handlers of their own.
RQ_LOGGERS = ("rq.worker", "rq.job", "rq.scheduler", "rq.cron")


class MissingSettingError(RuntimeError):
    """A value the application cannot run without is not set, or not usable."""


MIN_SECRET_KEY_BYTES = 32


def create_app(
    config_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    web: bool = False,
) -> Flask:
    """Build the application: settings, extensions, security, views, CLI.

    :param config_name: development, testing or production; defaults to ``CNC_ENV`` or development.
    :param overrides: settings applied last (tests use them).
    :param web: the app serves web requests (``wsgi.py``): its PostgreSQL statements get the
        ``DATABASE_STATEMENT_TIMEOUT_MS`` limit, which workers, migrations and commands do not.
    :raise MissingSettingError: in production, naming each required setting that is not set.
    """
    from flask import Flask

    from config import CONFIGS, INSTANCE_DIR, from_environment

    name = config_name or os.environ.get("CNC_ENV", "development")
    config_class = CONFIGS[name]
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config_class)
    app.config.update(from_environment(os.environ))
    if overrides:
        app.config.update(overrides)
    _check_required(app, _required_for(app, config_class.REQUIRED_ENVIRONMENT))
    _check_time_zone(app)
    _check_session_cookie(app)
    _configure_logging(app)
    _configure_database(app, web=web)
    _trust_proxies(app)
    _report_errors(app)

    # First of all hooks, so every other one logs with the request's id.
    _identify_requests(app)
    register_input_guards(app)
    register_upload_limits(app)
    register_extensions(app)
    register_security(app)
    register_cli(app)
    return app


def settle_process() -> None:
    """Keep what building the application made out of the garbage collector's full collections.

    Call it once a long-lived process (a web worker, a job worker) has built its application.
    The modules, mappers, templates and settings it made, about 190,000 objects, live as long
    as the process; each full collection walked them all, a pause of 140 ms in which every
    thread of a web worker waits. Frozen, a full collection walks what came after: 15 to 20 ms.
    A worker that forks keeps more pages shared with its parent, too.
    """
    gc.freeze()


def _required_for(app: Flask, names: tuple[str, ...]) -> tuple[str, ...]:
    """Return the settings required, the store's own by its backend: a directory or a bucket.

    :raise MissingSettingError: for a backend that does not exist.
    """
    from app.storage import BACKENDS

    backend = app.config["STORAGE_BACKEND"]
    if backend not in BACKENDS:
        raise MissingSettingError(
            f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}."
        )
    if backend == "s3" and "STORAGE_DIR" in names:
        names = tuple(name for name in names if name != "STORAGE_DIR") + ("S3_BUCKET",)
    return names


def _check_required(app: Flask, names: tuple[str, ...]) -> None:
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise MissingSettingError(
            "CNC Pulse cannot start in production without: "
            + ", ".join(missing)
            + ". Set them in the environment."
        )
    # The key also signs API tokens with HMAC-SHA256, which wants 32 bytes at least.
    secret = app.config["SECRET_KEY"].encode("utf-8")
    if "SECRET_KEY" in names and len(secret) < MIN_SECRET_KEY_BYTES:
        raise MissingSettingError(
            f"SECRET_KEY is too short: use {MIN_SECRET_KEY_BYTES} random bytes or more, "
            'for instance from python -c "import secrets; print(secrets.token_urlsafe(48))".'
        )


def _check_time_zone(app: Flask) -> None:
    name = app.config["DISPLAY_TIMEZONE"]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MissingSettingError(
            f"DISPLAY_TIMEZONE {name!r} is not a time zone; use a name such as Europe/Paris."
        ) from None


def _check_session_cookie(app: Flask) -> None:
    # Browsers drop a __Host- cookie that is not Secure, or has a Domain or another path.
    if app.config["SESSION_COOKIE_NAME"].startswith("__Host-"):
        if not app.config["SESSION_COOKIE_SECURE"]:
            app.config["SESSION_COOKIE_NAME"] = "session"
        else:
            app.config["SESSION_COOKIE_DOMAIN"] = None
            app.config["SESSION_COOKIE_PATH"] = "/"


def _trust_proxies(app: Flask) -> None:
    count = app.config["TRUSTED_PROXIES"]
    if count < 0:
        raise MissingSettingError(f"CNC_TRUSTED_PROXIES must be 0 or more, not {count}.")
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )


def _configure_logging(app: Flask) -> None:
    from app.log_format import FORMATS, formatter_for, make_handler
    from app.log_redaction import install_redaction
    from app.request_id import RequestIdFilter

    install_redaction()
    log_format = app.config["LOG_FORMAT"]
    if log_format not in FORMATS:
        raise MissingSettingError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    if app.debug or app.testing:
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(make_handler(log_format))
        root.setLevel(logging.WARNING)
    # Our own events and the migrations applied are worth reading; FAB's start-up chatter is not.
    for name in ("app", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.INFO)
    # An RQ worker prints its own lines through handlers of its own, set up before the job builds
    # the app: passed on to the root handler as well, each line would be printed twice. They
    # take the same format as the rest.
    for name in RQ_LOGGERS:
        logger = logging.getLogger(name)
        if logger.handlers:
            logger.propagate = False
            for handler in logger.handlers:
                handler.setFormatter(formatter_for(log_format))
                handler.addFilter(RequestIdFilter())


def _configure_database(app: Flask, *, web: bool) -> None:
    """Size PostgreSQL's pool, check each connection before use, limit a web statement's time."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return
    options: dict[str, Any] = {
        # A connection the database dropped (a restart) is replaced before a request uses it.
        "pool_pre_ping": True,
        "pool_size": app.config["DATABASE_POOL_SIZE"],
        "max_overflow": app.config["DATABASE_MAX_OVERFLOW"],
    }
    timeout = app.config["DATABASE_STATEMENT_TIMEOUT_MS"]
    if web and timeout > 0:
        # Set when the connection starts: no statement of its own, no round trip per request.
        options["connect_args"] = {"options": f"-c statement_timeout={int(timeout)}"}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **options,
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }


def _report_errors(app: Flask) -> None:
    from app.error_reporting import init_error_reporting

    init_error_reporting(app)


def _identify_requests(app: Flask) -> None:
    from app import request_id

    request_id.install(app)


def register_input_guards(app: Flask) -> None:
    from app.views.input_guards import register_input_guards as register

    # First: every route takes the bounded <int:…>, and the check runs before any other hook.
    register(app)


def register_upload_limits(app: Flask) -> None:
    from app.views.upload_limits import register_upload_limits as register

    # After the input guards: the declared length is checked before them, the body unread.
    register(app)


def register_extensions(app: Flask) -> None:
    from app import database, models, tenancy
    from app.extensions import csrf, db, limiter, mail, migrate
    from app.jobs.dispatch import init_dispatcher
    from app.storage import build_storage

    del models  # imported so every table is known to SQLAlchemy and Alembic
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    mail.init_app(app)
    # Before AppBuilder, so FAB exempts its own token-authenticated APIs.
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    database.install()
    tenancy.install()
    # After the database: a local store with no marker asks it whether files were stored.
    app.extensions["storage"] = build_storage(app)
    init_dispatcher(app)


def register_security(app: Flask) -> None:
    from flask_appbuilder import AppBuilder

    from app import database, request_scope, security_headers
    from app.extensions import db
    from app.roles import ROLE_PERMISSIONS
    from app.views import register_views

    app.config.setdefault("FAB_ROLES", ROLE_PERMISSIONS)
    app.config.setdefault("FAB_CREATE_DB", False)
    appbuilder = AppBuilder()
    with app.app_context():
        appbuilder.init_app(app, db.session)
        register_views(app, appbuilder)
    security_headers.install(app)
    # After FAB's own hook, which loads the user.
    app.before_request(request_scope.scope_request)
    app.teardown_request(request_scope.unscope_request)
    # Before the session is removed at the end of the app context.
    app.teardown_request(database.end_request_transaction)


def register_cli(app: Flask) -> None:
    from app.cli import cnc

    app.cli.add_command(cnc)
