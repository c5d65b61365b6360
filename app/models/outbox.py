"""The outbox of work to do after commit, and the log of every email sent or failed."""

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "PENDING"  # written, or failed and waiting for next_attempt_at; not on a queue
    ENQUEUED = "ENQUEUED"  # on the queue (or running inline)
    DONE = "DONE"
    FAILED = "FAILED"  # the last retry failed; the team can retry it


class OutboxMessage(Model):
    """A job written in the same transaction as the change that needs it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex, also the RQ job id
    job: Mapped[str] = mapped_column(String(80), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of ids and plain values
    queue: Mapped[str] = mapped_column(String(40), nullable=False, default="default")
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=OutboxStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    project_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The request that queued it (app.request_id): the job's log lines carry the same id.
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a failed message is due to be tried again; the outbox sweep dispatches it then.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EmailStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class EmailMessage(Model):
    """One email to one recipient; the unique key keeps a retried job from sending it twice."""

    __tablename__ = "email_message"
    __table_args__ = (Index("ix_email_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    outbox_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    project_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True, index=True
    )
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    # What is attached, as a reference rendered at each sending (``invoice:42``): a retry or
    # a resend carries the document as it is kept, and the log keeps no copy of it.
    attachment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=EmailStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The outbox message now in charge of sending it, when not the one that wrote it: the
    # team's resend. The log reads that message to tell a retry still to come from none.
    sending_outbox_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
