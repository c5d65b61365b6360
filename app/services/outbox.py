"""Keep the outbox's record of each message: its attempts, its outcome, its place on a queue."""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update

from app.domain import policy
from app.domain.errors import N_, Conflict, NotFound, PermissionDenied
from app.domain.policy import Viewer
from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.request_id import current_request_id
from app.uow import send_after_commit, transaction

log = logging.getLogger(__name__)

# Waits (seconds) before each new try of a failed message: about 34 minutes in all, so a mail
# server or Stripe outage of that length delays a message without losing it. The outbox sweep
# dispatches a message once its wait is over, so each wait lasts until the next sweep at most.
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
    The count is one UPDATE, so two workers handed the same message count two attempts. A
    message that used up its attempts without recording a failure (each one killed its
    worker) is marked FAILED instead of being run again.
    """
    with transaction() as session:
        # Counted before running, so an attempt that kills the process still counts.
        started = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status.not_in([OutboxStatus.DONE.value, OutboxStatus.FAILED.value]),
                OutboxMessage.attempts < MAX_ATTEMPTS,
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
            _skip(session, message_id)
            return None
    job, payload, attempts, request_id = started
    return Attempt(job, json.loads(payload), attempts, request_id)


def _skip(session: Any, message_id: str) -> None:
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        log.warning("Outbox message %s does not exist; nothing to run", message_id)
    elif message.status in (OutboxStatus.DONE.value, OutboxStatus.FAILED.value):
        log.info("Outbox message %s is %s; skipped", message_id, message.status)
    else:
        message.status = OutboxStatus.FAILED.value
        message.last_error = (message.last_error or "Every attempt stopped its worker.")[
            :_ERROR_LENGTH
        ]
        log.error("Outbox message %s used up its %s attempts; failed", message_id, MAX_ATTEMPTS)


def finish_message(message_id: str) -> None:
    """Mark a message DONE: its handler ran to the end."""
    with transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=OutboxStatus.DONE.value, done_at=utcnow(), last_error=None)
        )


def record_failure(message_id: str, attempt: int, error: Exception) -> None:
    """Keep the error on the message and say when it is tried again; after the last, give up.

    A message to try again goes back to PENDING with its ``next_attempt_at``: the outbox sweep,
    not RQ, dispatches it once that time has passed.
    """
    # The handler's own transaction has rolled back, but a failed flush can leave the session
    # needing it too.
    db.session.rollback()
    with transaction() as session:
        message = session.get(OutboxMessage, message_id)
        message.last_error = f"{type(error).__name__}: {error}"[:_ERROR_LENGTH]
        if message.status in (OutboxStatus.DONE.value, OutboxStatus.FAILED.value):
            return
        if attempt >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED.value
            message.next_attempt_at = None
            log.error("Outbox message %s failed for good after %s attempts", message_id, attempt)
        else:
            message.status = OutboxStatus.PENDING.value
            message.next_attempt_at = next_attempt_after(attempt)
            log.warning(
                "Outbox message %s failed (attempt %s), next try at %s: %s",
                message_id,
                attempt,
                message.next_attempt_at.isoformat(timespec="seconds"),
                error,
            )


def next_attempt_after(attempt: int, now: datetime | None = None) -> datetime:
    """Return when a message whose attempt number ``attempt`` failed is due to be tried again."""
    wait = RETRY_INTERVALS[min(attempt, len(RETRY_INTERVALS)) - 1]
    return (now or utcnow()) + timedelta(seconds=wait)


def claim_for_dispatch(seen: Sequence[tuple[str, str, datetime | None]]) -> list[str]:
    """Mark ENQUEUED the messages still as the sweep read them; return those it claimed.

    Each is one conditional UPDATE on its row (status and enqueued time unchanged since read),
    so of two sweeps at once exactly one hands a message to RQ.

    :param seen: each message's id, status and ``enqueued_at`` as read.
    """
    claimed: list[str] = []
    now = utcnow()
    with db.engine.begin() as connection:
        for message_id, status, enqueued_at in seen:
            same = (
                OutboxMessage.enqueued_at.is_(None)
                if enqueued_at is None
                else OutboxMessage.enqueued_at == enqueued_at
            )
            if connection.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == status, same)
                .values(status=OutboxStatus.ENQUEUED.value, enqueued_at=now)
            ).rowcount:
                claimed.append(message_id)
    return claimed


def mark_enqueued(ids: Sequence[str]) -> None:
    """Record that these messages are on a queue now.

    A plain UPDATE on a connection of its own: the caller's transaction is already committed,
    and a fast worker may have finished the job, so DONE and FAILED rows stay as they are, and
    so does one whose attempt already failed (PENDING until its next try, for the sweep).
    """
    if not ids:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                or_(
                    OutboxMessage.status == OutboxStatus.ENQUEUED.value,
                    (OutboxMessage.status == OutboxStatus.PENDING.value)
                    & OutboxMessage.next_attempt_at.is_(None),
                ),
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
        message.next_attempt_at = None
        message.request_id = current_request_id() or message.request_id
        job = message.job
        send_after_commit(session, message.id, message.queue)
    log.info("Outbox message %s (%s) retried by user %s", message_id, job, viewer.user_id)
