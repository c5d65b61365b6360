"""What a project's page shows: the project, its files, thread, history and money side.

Run inside a request of an organisation user, these read that organisation alone: the tenant
scope of app.tenancy applies to them like to every ORM query.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.domain import policy
from app.domain.payment_access import LinkState, downloads_open_until
from app.domain.policy import Viewer
from app.domain.workflow import PAYMENT_DUE_STATUSES, ProjectStatus
from app.extensions import db
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    Comment,
    FileKind,
    Invoice,
    Payment,
    PaymentLink,
    Project,
    ProjectEvent,
    ProjectFile,
    RequestedService,
)
from app.queries.previews import PreviewCard, preview_cards
from app.services.common import load_project
from app.services.payment_link import describe_link
from app.services.settings import get_settings
from app.services.stripe_gateway import card_payments_enabled


def project_for(viewer: Viewer, project_id: int, *, fresh: bool = False) -> Project:
    """Return the project if the viewer may see it.

    :param fresh: read it again from the database rather than from what the request loaded,
        which a refused change may have left as it tried to make it.
    :raise NotFound: if it does not exist or belongs to an organisation the viewer cannot see.
    """
    if fresh:
        db.session.expire_all()
    return load_project(db.session, viewer, project_id)


@dataclass(frozen=True)
class ProjectFiles:
    """A project's files in upload order, split by kind."""

    project_files: list[ProjectFile]
    deliverables: list[ProjectFile]
    # Each file's preview, by file id.
    previews: dict[int, PreviewCard]


def files_of(project_id: int) -> ProjectFiles:
    """Return the project's files and deliverables, oldest first."""
    files = db.session.scalars(
        select(ProjectFile)
        .where(ProjectFile.project_id == project_id)
        .order_by(ProjectFile.uploaded_at, ProjectFile.id)
    ).all()
    return ProjectFiles(
        project_files=[f for f in files if f.kind == FileKind.PROJECT.value],
        deliverables=[f for f in files if f.kind == FileKind.DELIVERABLE.value],
        previews=preview_cards(db.session, files),
    )


def comments_for(viewer: Viewer, project_id: int) -> list[Comment]:
    """Return the thread as the viewer may read it, oldest first; internal notes for staff only.

    :raise NotFound: if the viewer cannot see the project.
    """
    project = load_project(db.session, viewer, project_id)
    statement = select(Comment).where(Comment.project_id == project.id)
    if not policy.can_see_internal_notes(viewer):
        statement = statement.where(Comment.is_internal.is_(False))
    return list(db.session.scalars(statement.order_by(Comment.created_at, Comment.id)))


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the timeline: the recorded event and its decoded details."""

    event: ProjectEvent
    details: dict[str, Any]


def history_of(project_id: int, *, deliverables: bool = True) -> list[HistoryEntry]:
    """Return the project's timeline, newest first.

    :param deliverables: include the entries naming deliverables; their names stay with the
        team until the organisation may read the deliverables.
    """
    statement = (
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project_id)
        .order_by(ProjectEvent.created_at.desc(), ProjectEvent.id.desc())
    )
    entries = [HistoryEntry(e, _decoded(e.details)) for e in db.session.scalars(statement)]
    if deliverables:
        return entries
    return [e for e in entries if e.details.get("kind") != FileKind.DELIVERABLE.value]


def _decoded(raw: str | None) -> dict[str, Any]:
    # Written by the services as a JSON object; anything else is shown without details.
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


@dataclass(frozen=True)
class DeletionLoss:
    """What deleting a project takes with it, as its organisation sees it."""

    files: int
    comments: int


def deletion_loss(project_id: int) -> DeletionLoss:
    """Count the files and the public comments a deletion removes."""
    files = select(func.count(ProjectFile.id)).where(ProjectFile.project_id == project_id)
    comments = select(func.count(Comment.id)).where(
        Comment.project_id == project_id, Comment.is_internal.is_(False)
    )
    return DeletionLoss(
        files=db.session.scalar(files) or 0, comments=db.session.scalar(comments) or 0
    )


def offered_services(kept: Sequence[RequestedService] = ()) -> list[RequestedService]:
    """Return the services a project form offers, in their order.

    A withdrawn service is offered only on the form of a project that already has it (``kept``),
    so saving that form does not drop it.
    """
    choosable = RequestedService.active.is_(True)
    if kept:
        choosable = choosable | RequestedService.id.in_([service.id for service in kept])
    return list(
        db.session.scalars(
            select(RequestedService)
            .where(choosable)
            .order_by(RequestedService.position, RequestedService.name)
        )
    )


@dataclass(frozen=True)
class LinkLine:
    link: PaymentLink
    state: LinkState
    # Until when the link works: its expiry, or once paid, the end of the download period.
    open_until: datetime
    # When the client first opened a link of the project that still works: the confirmation's
    # downloads link, issued on payment, leaves the link they paid through working.
    opened_at: datetime | None


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

    @property
    def latest_invoice(self) -> Invoice | None:
        """Return the invoice of the latest payment, if it has one."""
        for payment in self.payments:
            if payment.id in self.invoices:
                return self.invoices[payment.id]
        return None


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

    return PaymentOverview(
        links=[_line(project, link, download_days, links) for link in links],
        sessions=list(sessions),
        payments=list(payments),
        invoices={invoice.payment_id: invoice for invoice in invoices},
        card_payments=card_payments_enabled(),
        refused=list(refused),
        download_days=download_days,
        payment_due=project.status_enum in PAYMENT_DUE_STATUSES,
        paid=project.status_enum is ProjectStatus.PAID,
    )


def _line(
    project: Project, link: PaymentLink, download_days: int, links: Sequence[PaymentLink]
) -> LinkLine:
    open_until = link.expires_at
    if project.paid_at is not None:
        open_until = downloads_open_until(project.paid_at, link.created_at, download_days)
    opened = link.opened_at
    if link.revoked_at is None:
        openings = [each.opened_at for each in links if each.revoked_at is None and each.opened_at]
        opened = min(openings, default=None)
    return LinkLine(link, describe_link(link, project), open_until, opened)


@dataclass(frozen=True)
class LinkSummary:
    """The client's payment link as the organisation follows it: no Stripe detail, no note."""

    current: LinkLine | None
    links_issued: int
    invoice: Invoice | None
    # The link works and reached the client: the organisation may send it again.
    can_resend: bool


def link_summary(viewer: Viewer, project: Project) -> LinkSummary:
    """Gather the state of the project's current link and its invoice, for its organisation."""
    links = db.session.scalars(
        select(PaymentLink)
        .where(PaymentLink.project_id == project.id)
        .order_by(PaymentLink.id.desc())
    ).all()
    days = get_settings().download_access_days
    current = _line(project, links[0], days, links) if links else None
    invoice = db.session.scalars(
        select(Invoice)
        .where(Invoice.project_id == project.id)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    ).first()
    return LinkSummary(
        current=current,
        links_issued=len(links),
        invoice=invoice,
        can_resend=(
            current is not None
            and current.state is LinkState.ACTIVE
            and current.link.sent_at is not None
            and project.status_enum in PAYMENT_DUE_STATUSES
            and policy.can_resend_payment_link(viewer, project.organisation_id)
        ),
    )
