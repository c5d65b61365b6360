"""Keep the outbox's record of each message: its attempts, its outcome, its place on a queue."""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.domain import policy
from app.domain.errors import N_, Conflict, NotFound, PermissionDenied
from app.domain.policy import Viewer
from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.request_id import current_request_id
from app.uow import send_after_commit, transaction

log = logging.getLogger(__name__)

# Waits between RQ's retries of a failed job: about 34 minutes in all, so a mail server or
# Stripe outage of that length delays a message without losing it.
RETRY_INTERVALS = (10, 30, 60, 120, 300, 600, 900)
# The first run plus one per retry; after the last the message is FAILED for the team.
MAX_ATTEMPTS = len(RETRY_INTERVALS) + 1
_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Attempt:
    """One run of a message: its job, its payload, which attempt, and the queuing request's id."""

    job: str
    payload: dict[str, Any]
    number: int
    request_id: str | None


def start_attempt(message_id: str) -> Attempt | None:
    """Count one more attempt and return what it runs.

    Returns None for a message that is missing, DONE (a duplicate job) or FAILED (given up).
    The count is one UPDATE, so two workers handed the same message count two attempts.
    """
    with transaction() as session:
        # Counted before running, so an attempt that kills the process still counts.
        started = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status.not_in([OutboxStatus.DONE.value, OutboxStatus.FAILED.value]),
            )
            .values(attempts=OutboxMessage.attempts + 1)
            .returning(
                OutboxMessage.job,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                OutboxMessage.request_id,
            )
        ).first()
        if started is None:
            status = session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == message_id)
            )
            if status is None:
                log.warning("Outbox message %s does not exist; nothing to run", message_id)
            else:
                log.info("Outbox message %s is %s; skipped", message_id, status)
            return None
    job, payload, attempts, request_id = started
    return Attempt(job, json.loads(payload), attempts, request_id)


def finish_message(message_id: str) -> None:
    """Mark a message DONE: its handler ran to the end."""
    with transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=OutboxStatus.DONE.value, done_at=utcnow(), last_error=None)
        )


def record_failure(message_id: str, attempt: int, error: Exception) -> None:
    """Keep the error on the message; give up on it after the last attempt."""
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


def mark_enqueued(ids: Sequence[str]) -> None:
    """Record that these messages are on a queue now.

    A plain UPDATE on a connection of its own: the caller's transaction is already committed,
    and a fast worker may have finished the job, so DONE and FAILED rows stay as they are.
    """
    if not ids:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value]),
            )
            .values(status=OutboxStatus.ENQUEUED.value, enqueued_at=utcnow())
        )


def retry_failed_message(viewer: Viewer, message_id: str) -> None:
    """Put a message given up on back on its queue, with every attempt ahead of it again.

    It runs for the request that asked, whose id its log lines then carry; the last error
    stays on it until it succeeds.

    :raise PermissionDenied: for anyone but an administrator.
    :raise NotFound: if no message has that id.
    :raise Conflict: if the message is not FAILED (it is waiting, running or done).
    """
    if not policy.can_retry_jobs(viewer):
        raise PermissionDenied(N_("Only an administrator can retry a failed job."))
    with transaction() as session:
        message = session.get(OutboxMessage, message_id, with_for_update=True)
        if message is None:
            raise NotFound(N_("Job not found."))
        if message.status != OutboxStatus.FAILED.value:
            raise Conflict(N_("This job has not failed: it is %(status)s."), status=message.status)
        message.status = OutboxStatus.PENDING.value
        message.attempts = 0
        message.enqueued_at = None
        message.request_id = current_request_id() or message.request_id
        job = message.job
        send_after_commit(session, message.id, message.queue)
    log.info("Outbox message %s (%s) retried by user %s", message_id, job, viewer.user_id)
