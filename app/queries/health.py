"""What the health and readiness probes read from the database."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import EmailMessage, EmailStatus, OutboxMessage, OutboxStatus


def database_state() -> str:
    """Return "ok" if the database answers a trivial query, else the kind of error it raised."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means the probe must say so
        # The failed statement left the session's transaction unusable for the next one.
        db.session.rollback()
        return f"error: {type(error).__name__}"


def failing_emails(window: timedelta) -> int:
    """Count the emails written in the last ``window`` that failed, or wait after an error."""
    since = utcnow() - window
    failed = EmailMessage.status == EmailStatus.FAILED.value
    retrying = (EmailMessage.status == EmailStatus.PENDING.value) & (
        EmailMessage.last_error.is_not(None)
    )
    return db.session.scalar(
        select(func.count())
        .select_from(EmailMessage)
        .where(EmailMessage.created_at >= since, or_(failed, retrying))
    )


@dataclass(frozen=True)
class Backlog:
    """Outbox messages still waiting for a worker after the allowed delay."""

    waiting: int
    oldest: datetime | None


def outbox_backlog(delay: timedelta) -> Backlog:
    """Count the messages PENDING or ENQUEUED for longer than ``delay``; give the oldest's date."""
    waiting = OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value])
    count, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            waiting, OutboxMessage.created_at <= utcnow() - delay
        )
    ).one()
    return Backlog(count, oldest)
