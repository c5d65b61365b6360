"""Record money received: the payment, its invoice, and the move to PAID."""

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.dates import BUSINESS_TIMEZONE, business_today
from app.domain.errors import N_, Invalid, PermissionDenied
from app.domain.money import split_vat
from app.domain.notifications import Event
from app.domain.payment import PaymentMethod
from app.domain.policy import Viewer
from app.domain.reference import format_invoice_number
from app.domain.workflow import Actor, ProjectStatus
from app.models import Invoice, Payment, Project
from app.models.base import utcnow
from app.services.common import business_year, load_project, next_number
from app.services.notification import notify
from app.services.settings import get_settings
from app.uow import transaction

MANUAL_METHODS = (
    PaymentMethod.TRANSFER,
    PaymentMethod.CHEQUE,
    PaymentMethod.CASH,
    PaymentMethod.OTHER,
)


def record_manual_payment(
    viewer: Viewer, project_id: int, method: str, paid_on: date, reference: str | None = None
) -> Payment:
    """Record a transfer, cheque or cash payment of the final price, as a member of the team.

    A payment received today is dated now. One received on an earlier day is dated at the
    start of that day in France, marked as having no known time: it is shown by its date
    alone, and the download period runs from that day.

    :raise PermissionDenied: for anyone but the team.
    :raise Invalid: for an unknown method, a date in the future, or a project not awaiting payment.
    """
    if not policy.can_change_status(viewer):
        raise PermissionDenied(N_("Only the team can record a payment."))
    try:
        chosen = PaymentMethod(method)
    except ValueError:
        chosen = None
    if chosen not in MANUAL_METHODS:
        raise Invalid(N_("Choose how the client paid: transfer, cheque, cash or other."))
    now = utcnow()
    today = business_today(now)
    if paid_on > today:
        raise Invalid(N_("The payment date cannot be in the future."))
    if paid_on == today:
        paid_at, time_known = now, True
    else:
        paid_at = datetime.combine(paid_on, time(0), tzinfo=BUSINESS_TIMEZONE).astimezone(UTC)
        time_known = False
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        return record_payment(
            session,
            project,
            method=chosen,
            paid_at=paid_at,
            paid_time_known=time_known,
            viewer=viewer,
            external_reference=(reference or "").strip()[:200] or None,
        )


def record_payment(
    session: Session,
    project: Project,
    *,
    method: PaymentMethod,
    paid_at: datetime,
    paid_time_known: bool = True,
    viewer: Viewer | None,
    external_reference: str | None = None,
    stripe_checkout_session_id: str | None = None,
    stripe_payment_intent_id: str | None = None,
    payment_link_id: int | None = None,
) -> Payment:
    """Record a payment of the final price on a locked project, issue its invoice, mark it PAID.

    :raise Invalid: if the project is not awaiting payment.
    """
    from app.services.payment_link import issue_downloads_link, queue_checkout_expiry
    from app.services.workflow import apply_transition, check_move

    if project.status_enum is not ProjectStatus.AWAITING_PAYMENT:
        raise Invalid(
            N_("Only a project awaiting payment can be paid; this one is %(status)s."),
            status=project.status_enum.label,
        )
    actor = Actor.TEAM if viewer is not None else Actor.SYSTEM
    transition = check_move(session, project, ProjectStatus.PAID, actor)
    amount = project.final_price_cents or 0
    payment = Payment(
        organisation_id=project.organisation_id,
        project_id=project.id,
        payment_link_id=payment_link_id,
        project_reference=project.reference,
        project_title=project.title,
        organisation_name=project.organisation.name,
        client_name=project.client_name,
        client_email=project.client_email,
        amount_cents=amount,
        currency=project.currency,
        method=method.value,
        stripe_checkout_session_id=stripe_checkout_session_id,
        stripe_payment_intent_id=stripe_payment_intent_id,
        external_reference=external_reference,
        paid_at=paid_at,
        paid_time_known=paid_time_known,
        recorded_by_id=viewer.user_id if viewer else None,
        created_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    issue_invoice(session, project, payment)
    # Without a person behind it, a payment is Stripe's verified event.
    apply_transition(session, project, transition, viewer, system_name="Stripe")
    project.paid_at = paid_at
    project.paid_time_known = paid_time_known
    # Paid now, by card or by hand: no other Checkout Session may take the money twice.
    queue_checkout_expiry(session, project)
    # The confirmation opens the downloads by a link of its own: the token of the link paid
    # through is stored nowhere.
    link, token = issue_downloads_link(session, project)
    notify(
        session,
        Event.PAYMENT_RECEIVED,
        project.id,
        payment_id=payment.id,
        link_id=link.id,
        token=token,
    )
    return payment


def issue_invoice(session: Session, project: Project, payment: Payment) -> Invoice:
    """Number and freeze the invoice of a payment: next number of the year, no gaps."""
    settings = get_settings()
    year = business_year(payment.paid_at)
    sequence = next_number(session, "invoice", year)
    excl, vat = split_vat(payment.amount_cents, settings.vat_rate_basis_points)
    invoice = Invoice(
        organisation_id=project.organisation_id,
        number=format_invoice_number(year, sequence),
        year=year,
        sequence=sequence,
        payment_id=payment.id,
        project_id=project.id,
        project_reference=project.reference,
        project_title=project.title,
        organisation_name=project.organisation.name,
        client_name=project.client_name,
        client_email=project.client_email,
        client_address=project.client_address,
        seller_name=settings.company_name,
        seller_address=settings.company_address,
        seller_registration=settings.company_registration or None,
        seller_vat_number=settings.company_vat_number or None,
        vat_rate_basis_points=settings.vat_rate_basis_points,
        amount_excl_cents=excl,
        vat_cents=vat,
        amount_incl_cents=payment.amount_cents,
        currency=payment.currency,
        paid_at=payment.paid_at,
        payment_method=payment.method,
        issued_at=utcnow(),
    )
    session.add(invoice)
    return invoice
