"""Run one outbox message: the function RQ workers call, and inline mode too."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from app.request_id import bound_request_id, current_request_id
from app.services.outbox import finish_message, record_failure, start_attempt

log = logging.getLogger(__name__)

_worker_app: Flask | None = None


def run_outbox_message(message_id: str) -> None:
    """Run the handler of one outbox message once, recording the attempt and its outcome.

    A message already DONE (a duplicate job) or FAILED (given up) is skipped.

    :raise Exception: whatever the handler raised, after recording it (and when the message
        is due again) for the outbox sweep; RQ keeps the traceback.
    """
    with job_context():
        _run(message_id)


@contextmanager
def job_context() -> Iterator[None]:
    """Give the job its own app context: a fresh database session, no tenant scope, no g."""
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context():
        yield


def _app_for_worker() -> Flask:
    """Return the application of this worker process, created on first use."""
    return worker_app()


def worker_app(*, warm: bool = False) -> Flask:
    """Create the application once per worker process, from the environment.

    :param warm: also compile the email templates and load the translations now, before any
        job (and before ``app.jobs.worker.ForkingAppWorker`` forks the horses that inherit them),
        then settle the process (see ``app.settle_process``).
    """
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    if warm:
        from app import settle_process

        _warm(_worker_app)
        settle_process()
    return _worker_app


def _warm(app: Flask) -> None:
    """Compile every email template and load every language's translations, once."""
    from flask_babel import force_locale, get_translations

    with app.app_context():
        for name in app.jinja_env.list_templates(filter_func=_is_email_template):
            app.jinja_env.get_template(name)
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()


def _is_email_template(name: str) -> bool:
    return name.startswith("email/")


def forget_inherited_connections() -> None:
    """Drop, in a forked process, the connections its parent opened; new ones open on demand.

    The database pool is emptied without closing the sockets, which still belong to the
    parent (SQLAlchemy's advice for ``fork``); the Redis client is dropped the same way.
    """
    app = _worker_app
    if app is None:
        return
    from app.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    app.extensions["dispatcher"].forget_connection()


def _run(message_id: str) -> None:
    """Run the message's handler, then mark it DONE; a failure is recorded and raised."""
    from app.jobs.registry import handler_for

    attempt = start_attempt(message_id)
    if attempt is None:
        return
    # The job's log lines (and what it queues in turn) carry the id of the request behind it.
    with bound_request_id(attempt.request_id or current_request_id()):
        try:
            handler_for(attempt.job)(message_id=message_id, **attempt.payload)
        except Exception as error:
            record_failure(message_id, attempt.number, error)
            raise
        finish_message(message_id)
