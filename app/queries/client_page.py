"""What the client reads through the payment link: the summary, the deliverables, the invoice."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.domain import policy
from app.domain.errors import N_, NotFound, PermissionDenied
from app.domain.payment_access import LinkState, downloads_open_until
from app.domain.policy import Viewer
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    CreditNote,
    FileKind,
    Invoice,
    Payment,
    Project,
    ProjectFile,
)
from app.models.base import utcnow
from app.queries.previews import PreviewCard, preview_cards
from app.services.common import load_project
from app.services.payment_link import LINK_NOT_VALID, ClientLink, open_client_link
from app.services.project import LANGUAGES
from app.services.settings import Contact, Settings, contact, get_settings
from app.services.stripe_gateway import card_payments_enabled


@dataclass(frozen=True)
class ClientPage:
    """Everything the client's page shows; nothing the client may not read."""

    opened: ClientLink
    organisation_name: str
    deliverables: list[ProjectFile]
    can_pay: bool
    card_payments: bool
    can_download: bool
    invoice: Invoice | None
    downloads_until: datetime | None
    # A card payment is being confirmed: no second one is offered meanwhile.
    confirming: bool
    # The language the client's emails are in, which the page follows too.
    language: str
    # The account to pay a transfer to (None until the settings hold one), and whom to ask.
    bank: Settings | None = None
    contact: Contact | None = None
    # Each deliverable's preview, by file id: before payment, its marked picture only.
    previews: dict[int, PreviewCard] = field(default_factory=dict)


def client_page(token: str, *, back_from_checkout: bool = False) -> ClientPage:
    """Gather the page a token opens.

    :param back_from_checkout: Stripe sent the client back after a payment; its event may
        not have arrived yet.
    :raise NotFound: for an unknown, revoked or expired token, all alike.
    """
    opened = _open(token)
    project = opened.project
    status = project.status_enum
    can_pay = opened.state is LinkState.ACTIVE and status is ProjectStatus.AWAITING_PAYMENT
    deliverables = (
        deliverables_by_name(project.id) if policy.client_can_list_deliverables(status) else []
    )
    downloads = opened.state is LinkState.DOWNLOADS and policy.client_can_download_deliverables(
        status
    )
    until = None
    if downloads:
        until = downloads_open_until(
            project.paid_at or opened.link.created_at,
            opened.link.created_at,
            get_settings().download_access_days,
        )
    settings = get_settings()
    return ClientPage(
        opened=opened,
        organisation_name=project.organisation.name,
        deliverables=deliverables,
        can_pay=can_pay,
        card_payments=card_payments_enabled(),
        can_download=downloads,
        invoice=_invoice_of(project.id) if downloads else None,
        downloads_until=until,
        bank=settings if settings.bank_details_complete else None,
        contact=contact(),
        confirming=can_pay and _confirming(opened, back_from_checkout),
        language=_language_of(project),
        previews=preview_cards(db.session, deliverables),
    )


def _language_of(project: Project) -> str:
    return project.client_language if project.client_language in LANGUAGES else "fr"


@dataclass(frozen=True)
class ClientFilePage:
    """A paid deliverable's page for the client: its sheet and its viewer."""

    project: Project
    file: ProjectFile
    card: PreviewCard
    language: str


def client_file_page(token: str, file_id: int) -> ClientFilePage:
    """Gather a deliverable's page for the client of a paid project.

    :raise NotFound: for a token that opens no downloads, or a file that is not one of the
        project's deliverables.
    """
    opened = _open(token)
    project = opened.project
    stored = None
    if opened.state is LinkState.DOWNLOADS and policy.client_can_download_deliverables(
        project.status_enum
    ):
        stored = db.session.scalars(
            select(ProjectFile).where(
                ProjectFile.id == file_id,
                ProjectFile.project_id == project.id,
                ProjectFile.kind == FileKind.DELIVERABLE.value,
            )
        ).first()
    if stored is None:
        raise NotFound(N_("File not found."))
    card = preview_cards(db.session, [stored])[stored.id]
    return ClientFilePage(project, stored, card, _language_of(project))


def deliverables_by_name(project_id: int) -> list[ProjectFile]:
    """Return a project's deliverables in the order the client reads them: by name."""
    return list(
        db.session.scalars(
            select(ProjectFile)
            .where(
                ProjectFile.project_id == project_id,
                ProjectFile.kind == FileKind.DELIVERABLE.value,
            )
            .order_by(ProjectFile.original_name, ProjectFile.id)
        )
    )


def _confirming(opened: ClientLink, back_from_checkout: bool) -> bool:
    """Tell whether the link's latest card payment is finished on Stripe but not yet paid here.

    Stripe says so (a session COMPLETE, its money not yet confirmed), or the client has just
    come back from paying and the event is still on its way (the session still OPEN).
    """
    latest = db.session.scalars(
        select(CheckoutSession)
        .where(CheckoutSession.payment_link_id == opened.link.id)
        .order_by(CheckoutSession.created_at.desc())
    ).first()
    if latest is None:
        return False
    if latest.status == CheckoutStatus.COMPLETE.value:
        return True
    return (
        back_from_checkout
        and latest.status == CheckoutStatus.OPEN.value
        and latest.expires_at > utcnow()
    )


def client_invoice(token: str) -> Invoice:
    """Return the invoice of a paid project, for the client holding its link.

    :raise NotFound: for a token that opens no downloads, or a project without an invoice.
    """
    opened = _open(token)
    invoice = _invoice_of(opened.project.id) if opened.state is LinkState.DOWNLOADS else None
    if invoice is None:
        raise NotFound(N_("Invoice not found."))
    return invoice


def client_credit_note(token: str, credit_note_id: int) -> CreditNote:
    """Return a credit note of the paid project, for the client holding its link.

    :raise NotFound: for a token that opens no downloads, or a credit note of another project.
    """
    opened = _open(token)
    note = None
    if opened.state is LinkState.DOWNLOADS:
        note = db.session.scalars(
            select(CreditNote).where(
                CreditNote.id == credit_note_id, CreditNote.project_id == opened.project.id
            )
        ).first()
    if note is None:
        raise NotFound(N_("Credit note not found."))
    return note


def _open(token: str) -> ClientLink:
    opened = open_client_link(token)
    if opened is None:
        raise NotFound(LINK_NOT_VALID)
    return opened


def _invoice_of(project_id: int) -> Invoice | None:
    """Return the invoice of the project's latest payment."""
    return db.session.scalars(
        select(Invoice)
        .join(Payment, Payment.id == Invoice.payment_id)
        .where(Invoice.project_id == project_id)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    ).first()


def staff_invoice(viewer: Viewer, project_id: int) -> Invoice:
    """Return the invoice of a project, for the team.

    :raise PermissionDenied: for anyone but the team.
    :raise NotFound: if the project does not exist or has no invoice.
    """
    if not viewer.is_staff:
        raise PermissionDenied(N_("Only the team can open invoices here."))
    load_project(db.session, viewer, project_id)
    invoice = _invoice_of(project_id)
    if invoice is None:
        raise NotFound(N_("Invoice not found."))
    return invoice
