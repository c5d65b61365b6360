"""Payment links, payments, refunds, invoices and the Stripe events we have seen."""

from datetime import date, datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.dates import BUSINESS_TIMEZONE
from app.domain.payment import DisputeStatus
from app.domain.payment_access import RefusalReason
from app.models.base import TenantOwned, UTCDateTime, utcnow


class PaymentStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class PaymentLink(TenantOwned, Model):
    """The client's secret link; only the SHA-256 of its token is kept."""

    __tablename__ = "payment_link"
    __table_args__ = (Index("ix_payment_link_project", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The client's address the link went to: the project's may be corrected afterwards.
    sent_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # The first time the client opened the page; written once, not on every visit.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The last reminder by the team or resend by the organisation: the next waits its turn.
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Payment(TenantOwned, Model):
    """Money received for a project; kept, with a copy of what accounting needs, after deletion."""

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_paid_at", "paid_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True, index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True, index=True
    )
    payment_link_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("payment_link.id", ondelete="SET NULL"), nullable=True
    )
    project_reference: Mapped[str] = mapped_column(String(32), nullable=False)
    project_title: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_email: Mapped[str] = mapped_column(String(320), nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    refunded_cents: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    method: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=PaymentStatus.SUCCEEDED.value
    )
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, nullable=True
    )
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, nullable=True
    )
    # A transfer or cheque reference typed by the team.
    external_reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # False when the team gave only the day it was paid: ``paid_at`` is then the start of that
    # day in France, and the payment is shown with its date alone.
    paid_time_known: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default="1"
    )
    recorded_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # A card payment the client disputed with their bank: Stripe's dispute, where it stands
    # (a DisputeStatus), why, for how much, when it was opened and when it was decided.
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    dispute_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    dispute_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    dispute_amount_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispute_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    refunds: Mapped[list["Refund"]] = relationship(
        "Refund", back_populates="payment", order_by="Refund.created_at"
    )

    @property
    def dispute_label(self) -> str | None:
        """The English msgid of where the payment's dispute stands, if it has one."""
        try:
            return DisputeStatus(self.dispute_status).label if self.dispute_status else None
        except ValueError:
            return self.dispute_status

    @property
    def paid_on(self) -> date:
        """Return the day in France the payment was received."""
        return self.paid_at.astimezone(BUSINESS_TIMEZONE).date()


class Refund(TenantOwned, Model):
    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True, index=True
    )
    payment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("payment.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    payment: Mapped[Payment] = relationship(Payment, back_populates="refunds")
    credit_note: Mapped["CreditNote | None"] = relationship(
        "CreditNote", back_populates="refund", uselist=False
    )


class Invoice(TenantOwned, Model):
    """An invoice numbered without gaps per year, frozen at issue for accounting."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True, index=True
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    payment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("payment.id", ondelete="RESTRICT"), unique=True, nullable=False
    )
    project_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True, index=True
    )
    project_reference: Mapped[str] = mapped_column(String(32), nullable=False)
    project_title: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_email: Mapped[str] = mapped_column(String(320), nullable=False)
    # The buyer's postal address, when the project gave one; None on older invoices.
    client_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    seller_name: Mapped[str] = mapped_column(String(200), nullable=False)
    seller_address: Mapped[str] = mapped_column(Text, nullable=False)
    seller_registration: Mapped[str | None] = mapped_column(String(100), nullable=True)
    seller_vat_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    vat_rate_basis_points: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_excl_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    vat_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_incl_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # When and how it was paid, as the payment said at issue (a PaymentMethod value).
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(12), nullable=True)

    credit_notes: Mapped[list["CreditNote"]] = relationship(
        "CreditNote",
        back_populates="invoice",
        order_by="CreditNote.sequence",
        lazy="selectin",
    )

    @property
    def issued_on(self) -> date:
        """Return the day in France the invoice was issued: its date."""
        return self.issued_at.astimezone(BUSINESS_TIMEZONE).date()

    @property
    def paid_on(self) -> date | None:
        """Return the day in France the invoice was paid, if it says so."""
        return self.paid_at.astimezone(BUSINESS_TIMEZONE).date() if self.paid_at else None


class CreditNote(TenantOwned, Model):
    """A credit note (avoir) for a refund: its own gapless yearly numbers, frozen at issue.

    It corrects its invoice, which is never altered: the buyer is the invoice's, the amounts
    (positive here, deducted from the invoice) split at the invoice's VAT rate.
    """

    __tablename__ = "credit_note"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True, index=True
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    refund_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("refund.id", ondelete="RESTRICT"), unique=True, nullable=False
    )
    invoice_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("invoice.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(32), nullable=False)
    invoice_issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    project_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True, index=True
    )
    project_reference: Mapped[str] = mapped_column(String(32), nullable=False)
    project_title: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_email: Mapped[str] = mapped_column(String(320), nullable=False)
    client_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    seller_name: Mapped[str] = mapped_column(String(200), nullable=False)
    seller_address: Mapped[str] = mapped_column(Text, nullable=False)
    seller_registration: Mapped[str | None] = mapped_column(String(100), nullable=True)
    seller_vat_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    vat_rate_basis_points: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_excl_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    vat_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_incl_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # The method the money goes back by: the payment's.
    payment_method: Mapped[str] = mapped_column(String(12), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    refund: Mapped[Refund] = relationship(Refund, back_populates="credit_note")
    invoice: Mapped[Invoice] = relationship(Invoice, back_populates="credit_notes")

    @property
    def issued_on(self) -> date:
        """Return the day in France the credit note was issued: its date and the refund's."""
        return self.issued_at.astimezone(BUSINESS_TIMEZONE).date()

    @property
    def invoice_issued_on(self) -> date:
        """Return the date of the invoice it corrects."""
        return self.invoice_issued_at.astimezone(BUSINESS_TIMEZONE).date()


class CheckoutStatus(StrEnum):
    OPEN = "OPEN"  # the client may pay on Stripe's page
    COMPLETE = "COMPLETE"  # finished, the money not yet confirmed (a delayed method)
    PAID = "PAID"  # the payment is recorded
    FAILED = "FAILED"  # the delayed payment failed
    EXPIRED = "EXPIRED"  # expired by Stripe, or by us when a newer one replaced it
    # Paid on Stripe but refused here (revoked link, wrong amount or currency, project no longer
    # awaiting payment): money taken without a payment, for the team to refund or record.
    REFUSED = "REFUSED"


class CheckoutSession(TenantOwned, Model):
    """A Stripe Checkout Session opened from a payment link: one per "Pay by card" click."""

    __tablename__ = "stripe_checkout_session"
    __table_args__ = (Index("ix_stripe_checkout_session_status", "status", "created_at"),)

    # Stripe's id (cs_…).
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    payment_link_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("payment_link.id", ondelete="SET NULL"), nullable=True, index=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A REFUSED session: why (a RefusalReason), and what Stripe took (it may differ from what
    # we asked).
    refusal: Mapped[str | None] = mapped_column(String(20), nullable=True)
    paid_amount_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paid_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # When the team settled a REFUSED session (refunded on Stripe, or recorded by hand), and how.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)

    resolved_by = relationship("AppUser", foreign_keys=[resolved_by_id], lazy="select")

    @property
    def refusal_label(self) -> str | None:
        """The English msgid saying why the payment was refused."""
        return RefusalReason(self.refusal).label if self.refusal else None

    @property
    def needs_action(self) -> bool:
        """Money was taken on Stripe for this session and nobody has settled it yet."""
        return self.status == CheckoutStatus.REFUSED.value and self.resolved_at is None


class StripeEvent(Model):
    """Each Stripe event id once: duplicates and replays stop here."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
