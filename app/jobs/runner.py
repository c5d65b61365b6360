"""Run one outbox message: the function RQ workers call, and inline mode too."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context

from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.services.transaction import transaction

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
    """Create the application once per worker process, from the environment."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


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
        message = session.get(OutboxMessage, message_id)
        message.status = OutboxStatus.DONE.value
        message.done_at = utcnow()
        message.last_error = None


def _start_attempt(message_id: str) -> tuple[str, dict[str, Any], int] | None:
    """Count one more attempt and return the job, its payload and the attempt number.

    Returns None for a message that is missing, DONE (a duplicate job) or FAILED (given up).
    """
    with transaction() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            log.warning("Outbox message %s does not exist; nothing to run", message_id)
            return None
        if message.status in (OutboxStatus.DONE.value, OutboxStatus.FAILED.value):
            log.info("Outbox message %s is %s; skipped", message_id, message.status)
            return None
        # Counted before running, so an attempt that kills the process still counts.
        message.attempts += 1
        return message.job, json.loads(message.payload), message.attempts


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
