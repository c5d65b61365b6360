"""A project's history: status moves, edits, uploads and removals, with who and when."""

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import TenantOwned, UTCDateTime, utcnow


class EventKind(StrEnum):
    CREATED = "CREATED"
    STATUS = "STATUS"
    EDITED = "EDITED"
    PRIORITY = "PRIORITY"
    PRICES = "PRICES"
    FILE_ADDED = "FILE_ADDED"
    FILE_REMOVED = "FILE_REMOVED"
    PAYMENT_LINK = "PAYMENT_LINK"
    PAYMENT = "PAYMENT"


class ProjectEvent(TenantOwned, Model):
    __tablename__ = "project_event"
    __table_args__ = (Index("ix_project_event_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What changed, for edits: field names and values, as JSON text.
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    # "Marie Martin", "Stripe", "Système": readable even when the account is gone.
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
