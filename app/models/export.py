"""Accounting exports: who downloaded what, and which journal lines a batch booked."""

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import TenantOwned, UTCDateTime, utcnow


class ExportKind(StrEnum):
    JOURNAL = "JOURNAL"  # payments, invoices and refunds, for the accountant
    PROJECTS = "PROJECTS"  # a project list, as filtered on screen


class AccountingExport(TenantOwned, Model):
    """One CSV download: its kind, dialect, filters, who asked and when.

    An organisation user's export carries their organisation, so no other organisation reads it;
    a staff export carries none.
    """

    __tablename__ = "accounting_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    dialect: Mapped[str] = mapped_column(String(20), nullable=False)
    # The filters as a JSON object: date range, search, status, …
    filters: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    # A journal batch: only lines never exported before, now marked as exported by this one.
    marks_lines: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default="0"
    )
    created_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Kept so the record still reads well after the account is gone.
    created_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class JournalExportLine(Model):
    """A payment or refund booked by a journal batch; each one is booked at most once."""

    __tablename__ = "journal_export_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    export_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounting_export.id", ondelete="CASCADE"), nullable=False, index=True
    )
    payment_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("payment.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    refund_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("refund.id", ondelete="CASCADE"), unique=True, nullable=True
    )
