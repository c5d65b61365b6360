"""The team's view of a project's money: its links, card sessions, payments, refunds, invoices."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.payment_access import LinkState, downloads_open_until
from app.domain.workflow import PAYMENT_DUE_STATUSES, ProjectStatus
from app.extensions import db
from app.models import CheckoutSession, CheckoutStatus, Invoice, Payment, PaymentLink, Project
from app.services.payment_link import describe_link
from app.services.settings import get_settings
from app.services.stripe_gateway import card_payments_enabled


@dataclass(frozen=True)
class LinkLine:
    link: PaymentLink
    state: LinkState
    # Until when the link works: its expiry, or once paid, the end of the download period.
    open_until: datetime


@dataclass(frozen=True)
class PaymentOverview:
    links: list[LinkLine]
    sessions: list[CheckoutSession]
    payments: list[Payment]
    invoices: dict[int, Invoice]
    card_payments: bool
    # Card payments taken on Stripe but refused here, settled or not, newest first.
    refused: list[CheckoutSession]
    download_days: int
    # What a new link would be for: the payment still due, the downloads once paid, or nothing.
    payment_due: bool
    paid: bool

    @property
    def current_link(self) -> LinkLine | None:
        return self.links[0] if self.links else None


def payment_overview(project: Project) -> PaymentOverview:
    """Gather the money side of a project the viewer was allowed to load, newest first."""
    links = db.session.scalars(
        select(PaymentLink)
        .where(PaymentLink.project_id == project.id)
        .order_by(PaymentLink.id.desc())
    ).all()
    payments = db.session.scalars(
        select(Payment).where(Payment.project_id == project.id).order_by(Payment.id.desc())
    ).all()
    invoices = db.session.scalars(select(Invoice).where(Invoice.project_id == project.id)).all()
    sessions = db.session.scalars(
        select(CheckoutSession)
        .where(CheckoutSession.project_id == project.id)
        .order_by(CheckoutSession.created_at.desc())
        .limit(10)
    ).all()
    refused = db.session.scalars(
        select(CheckoutSession)
        .where(
            CheckoutSession.project_id == project.id,
            CheckoutSession.status == CheckoutStatus.REFUSED.value,
        )
        .order_by(CheckoutSession.created_at.desc())
    ).all()
    download_days = get_settings().download_access_days

    def line(link: PaymentLink) -> LinkLine:
        open_until = link.expires_at
        if project.paid_at is not None:
            open_until = downloads_open_until(project.paid_at, link.created_at, download_days)
        return LinkLine(link, describe_link(link, project), open_until)

    return PaymentOverview(
        links=[line(link) for link in links],
        sessions=list(sessions),
        payments=list(payments),
        invoices={invoice.payment_id: invoice for invoice in invoices},
        card_payments=card_payments_enabled(),
        refused=list(refused),
        download_days=download_days,
        payment_due=project.status_enum in PAYMENT_DUE_STATUSES,
        paid=project.status_enum is ProjectStatus.PAID,
    )
