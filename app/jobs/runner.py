"""Run one outbox message: the function RQ workers call, and inline mode too."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, select, update

from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.uow import transaction

log = logging.getLogger(__name__)

# Waits between RQ's retries of a failed job: about 34 minutes in all, so a mail server or
# Stripe outage of that length delays a message without losing it.
RETRY_INTERVALS = (10, 30, 60, 120, 300, 600, 900)
# The first run plus one per retry; after the last the message is FAILED for the team.
MAX_ATTEMPTS = len(RETRY_INTERVALS) + 1
_ERROR_LENGTH = 2000

_worker_app: Flask | None = None


def run_outbox_message(message_id: str) -> None:
    """Run the handler of one outbox message once, recording the attempt and its outcome.

    A message already DONE (a duplicate job) or FAILED (given up) is skipped.

    :raise Exception: whatever the handler raised, after recording it, so RQ retries.
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

    started = _start_attempt(message_id)
    if started is None:
        return
    job, payload, attempt = started
    try:
        handler_for(job)(message_id=message_id, **payload)
    except Exception as error:
        _record_failure(message_id, attempt, error)
        raise
    with transaction() as session:
        session.execute(_MARK_DONE, {"message_id": message_id, "done_at": utcnow()})


# The two writes every job makes, built once: a job is a handful of statements, and building
# an ORM update costs about as much as running it.
_OUTBOX = OutboxMessage.__table__
_COUNT_ATTEMPT = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("message_id"),
        _OUTBOX.c.status.not_in([OutboxStatus.DONE.value, OutboxStatus.FAILED.value]),
    )
    .values(attempts=_OUTBOX.c.attempts + 1)
    .returning(_OUTBOX.c.job, _OUTBOX.c.payload, _OUTBOX.c.attempts)
)
_MARK_DONE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=OutboxStatus.DONE.value,
        done_at=bindparam("done_at", type_=_OUTBOX.c.done_at.type),
        last_error=None,
    )
)


def _start_attempt(message_id: str) -> tuple[str, dict[str, Any], int] | None:
    """Count one more attempt and return the job, its payload and the attempt number.

    Returns None for a message that is missing, DONE (a duplicate job) or FAILED (given up).
    The count is one UPDATE, so two workers handed the same message count two attempts.
    """
    with transaction() as session:
        # Counted before running, so an attempt that kills the process still counts.
        started = session.execute(_COUNT_ATTEMPT, {"message_id": message_id}).first()
        if started is None:
            status = session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == message_id)
            )
            if status is None:
                log.warning("Outbox message %s does not exist; nothing to run", message_id)
            else:
                log.info("Outbox message %s is %s; skipped", message_id, status)
            return None
    job, payload, attempts = started
    return job, json.loads(payload), attempts


def _record_failure(message_id: str, attempt: int, error: Exception) -> None:
    """Keep the error on the message; give up on it after the last attempt."""
    from app.extensions import db

    # The handler's own transaction has rolled back, but a failed flush can leave the session
    # needing it too.
    db.session.rollback()
    with transaction() as session:
        message = session.get(OutboxMessage, message_id)
        message.last_error = f"{type(error).__name__}: {error}"[:_ERROR_LENGTH]
        if attempt >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED.value
            log.error("Outbox message %s failed for good after %s attempts", message_id, attempt)
        else:
            log.warning("Outbox message %s failed (attempt %s): %s", message_id, attempt, error)
