"""Card payment through Stripe Checkout: open a session from the client's link, settle it once paid.

A Checkout Session lives 35 minutes at most; the 7-day link is ours. Each "Pay by card" click
opens a fresh session and expires the link's earlier open ones, so only the newest can be paid.
Whatever tells us a session is paid (its event, the client coming back, the reconciliation),
the same function settles it, once.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Conflict, Invalid, NotFound, PermissionDenied
from app.domain.notifications import Event
from app.domain.payment import PaymentMethod
from app.domain.payment_access import LinkState, RefusalReason
from app.domain.policy import Viewer
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    Payment,
    PaymentLink,
    Project,
)
from app.models.base import utcnow
from app.services.common import load_project
from app.services.notification import notify
from app.services.payment import record_payment
from app.services.payment_link import describe_link, link_reached_client, open_client_link
from app.services.stripe_gateway import (
    NewCheckout,
    StripeUnavailableError,
    card_payments_enabled,
    create_checkout_session,
    expire_checkout_session,
    recent_completed_sessions,
    retrieve_checkout_session,
)
from app.uow import transaction

log = logging.getLogger(__name__)

# Stripe refuses less than 30 minutes; the margin covers the clocks' difference.
CHECKOUT_LIFETIME = timedelta(minutes=35)
# Events are retried for three days: the reconciliation looks that far back.
RECONCILE_WINDOW = timedelta(days=3)

CARD_PAYMENT_UNAVAILABLE = N_(
    "Card payment is not available. Please contact the team to pay by transfer or cheque."
)
STRIPE_UNREACHABLE = N_(
    "Card payment cannot be opened right now. Please try again in a few minutes."
)
NOT_PAYABLE = N_("This project cannot be paid online at the moment. Please contact the team.")
LINK_NOT_VALID = N_("This payment link is not valid.")

# A session's states only move up this ladder, whatever order Stripe's events arrive in.
_RANK = {
    CheckoutStatus.OPEN: 0,
    CheckoutStatus.COMPLETE: 1,
    CheckoutStatus.FAILED: 2,
    CheckoutStatus.EXPIRED: 2,
    CheckoutStatus.PAID: 3,
    CheckoutStatus.REFUSED: 3,
}
# Final states: nothing Stripe says afterwards changes them.
_FINAL = frozenset({CheckoutStatus.PAID, CheckoutStatus.REFUSED})


def start_checkout(token: str, language: str | None, page_url: str) -> str:
    """Open a Checkout Session for the link's project; return where to send the client.

    Returns the page itself when an earlier session turns out to be paid already.

    :param language: the one the client chose on the page; None for the client's own.
    :param page_url: the client's page, where Stripe sends the client back.
    :raise NotFound: for a token that opens nothing.
    :raise Conflict: when card payment is not configured, Stripe does not answer, or the
        project is not awaiting payment.
    """
    if not card_payments_enabled():
        raise Conflict(CARD_PAYMENT_UNAVAILABLE)
    with transaction() as session:
        opened = open_client_link(token, session)
        if opened is None:
            raise NotFound(LINK_NOT_VALID)
        # Clicks on one link are served one after the other: each sees the sessions before it.
        link = session.scalars(
            select(PaymentLink)
            .where(PaymentLink.id == opened.link.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        project = load_project(session, None, link.project_id, lock=True)
        if project.status_enum is ProjectStatus.PAID:
            return page_url
        if (
            project.status_enum is ProjectStatus.COMPLETED
            and describe_link(link, project) is LinkState.ACTIVE
        ):
            # The client holds a valid link: it was sent, even if the email's job has not
            # said so yet. The same move the job makes, under the same locks.
            link_reached_client(session, link, project)
        language = language or project.client_language
        amount = project.final_price_cents or 0
        if project.status_enum is not ProjectStatus.AWAITING_PAYMENT or amount <= 0:
            raise Conflict(NOT_PAYABLE)
        try:
            if _close_earlier_sessions(session, link):
                return page_url
            now = utcnow()
            expires_at = now + CHECKOUT_LIFETIME
            created = create_checkout_session(
                NewCheckout(
                    amount_cents=amount,
                    currency=project.currency,
                    product_name=f"{project.reference} — {project.title}",
                    customer_email=project.client_email,
                    language=language,
                    success_url=f"{page_url}?checkout=success&lang={language}",
                    cancel_url=f"{page_url}?checkout=cancelled&lang={language}",
                    expires_at=expires_at,
                    metadata={
                        "project_id": str(project.id),
                        "project_reference": project.reference,
                        "payment_link_id": str(link.id),
                    },
                    idempotency_key=f"cnc-checkout-{link.id}-{uuid4().hex}",
                )
            )
        except StripeUnavailableError as error:
            log.warning("Stripe refused or did not answer for project %s: %s", project.id, error)
            raise Conflict(STRIPE_UNREACHABLE) from None
        session.add(
            CheckoutSession(
                id=created["id"],
                organisation_id=project.organisation_id,
                project_id=project.id,
                payment_link_id=link.id,
                amount_cents=amount,
                currency=project.currency,
                status=CheckoutStatus.OPEN.value,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return created["url"]


def _close_earlier_sessions(session: Session, link: PaymentLink) -> bool:
    """Expire the link's open sessions on Stripe; return True if one of them was paid meanwhile."""
    earlier = session.scalars(
        select(CheckoutSession).where(
            CheckoutSession.payment_link_id == link.id,
            CheckoutSession.status == CheckoutStatus.OPEN.value,
        )
    ).all()
    paid = False
    for local in earlier:
        remote = expire_checkout_session(local.id)
        apply_session_state(session, remote, source="checkout")
        paid = paid or local.status == CheckoutStatus.PAID.value
    return paid


def remote_status(remote: dict[str, Any], failed: bool = False) -> CheckoutStatus:
    """Translate Stripe's view of a session into ours."""
    if remote.get("status") == "expired":
        return CheckoutStatus.EXPIRED
    if remote.get("status") == "complete":
        if remote.get("payment_status") in ("paid", "no_payment_required"):
            return CheckoutStatus.PAID
        return CheckoutStatus.FAILED if failed else CheckoutStatus.COMPLETE
    return CheckoutStatus.OPEN


def apply_session_state(
    session: Session, remote: dict[str, Any], *, source: str, failed: bool = False
) -> str | None:
    """Bring our record of a session up to Stripe's view of it, paying the project if paid.

    :param failed: Stripe said the delayed payment failed.
    :return: why nothing was recorded when something should have been, else None. The
        reason is logged too.
    """
    session_id = str(remote.get("id") or "")
    local = session.scalars(
        select(CheckoutSession).where(CheckoutSession.id == session_id).with_for_update()
    ).first()
    if local is None:
        return _refused("unknown Checkout Session %s (%s)", session_id, source)
    if local.status == CheckoutStatus.REFUSED.value:
        # Refused once, the team told once: later events and reconciliations change nothing.
        return None
    target = remote_status(remote, failed)
    if target is CheckoutStatus.PAID:
        return _settle(session, local, remote, source)
    current = CheckoutStatus(local.status)
    if _RANK[target] > _RANK[current]:
        local.status = target.value
        if target is not CheckoutStatus.COMPLETE:
            local.closed_at = utcnow()
    return None


def _settle(
    session: Session, local: CheckoutSession, remote: dict[str, Any], source: str
) -> str | None:
    """Record the payment of a paid session once: one payment, one invoice, one move to PAID."""
    if local.status == CheckoutStatus.PAID.value:
        return None
    project = load_project(session, None, local.project_id, lock=True)
    already = session.scalar(
        select(func.count(Payment.id)).where(Payment.stripe_checkout_session_id == local.id)
    )
    if already:
        local.status = CheckoutStatus.PAID.value
        return None
    amount = remote.get("amount_total")
    currency = str(remote.get("currency") or "").upper()
    refusal = _refusal(session, local, project, amount, currency)
    if refusal is not None:
        reason, explanation = refusal
        return _refuse(session, local, project, remote, reason, f"{explanation} ({source})")
    local.status = CheckoutStatus.PAID.value
    local.closed_at = utcnow()
    session.flush()
    record_payment(
        session,
        project,
        method=PaymentMethod.STRIPE,
        paid_at=utcnow(),
        viewer=None,
        stripe_checkout_session_id=local.id,
        stripe_payment_intent_id=_id_of(remote.get("payment_intent")),
        payment_link_id=local.payment_link_id,
    )
    log.info("Project %s paid by card (Checkout Session %s, %s)", project.id, local.id, source)
    return None


def _refusal(
    session: Session,
    local: CheckoutSession,
    project: Project,
    amount: Any,
    currency: str,
) -> tuple[RefusalReason, str] | None:
    """Say why a paid session cannot pay its project, with a sentence for the log.

    :return: None when it can pay it.
    """
    if amount != project.final_price_cents or amount != local.amount_cents:
        return (
            RefusalReason.AMOUNT,
            f"Checkout Session {local.id} paid {amount} {currency} but project "
            f"{project.reference} costs {project.final_price_cents} {project.currency}",
        )
    if currency != project.currency.upper():
        return (
            RefusalReason.CURRENCY,
            f"Checkout Session {local.id} paid in {currency} but project "
            f"{project.reference} is in {project.currency}",
        )
    link = session.get(PaymentLink, local.payment_link_id) if local.payment_link_id else None
    if link is None or link.revoked_at is not None:
        return (
            RefusalReason.REVOKED_LINK,
            f"Checkout Session {local.id} of project {project.reference} was paid through "
            "a revoked link",
        )
    if project.status_enum is not ProjectStatus.AWAITING_PAYMENT:
        return (
            RefusalReason.NOT_PAYABLE,
            f"Checkout Session {local.id} was paid but project {project.reference} is "
            f"{project.status}",
        )
    return None


def _refuse(
    session: Session,
    local: CheckoutSession,
    project: Project,
    remote: dict[str, Any],
    reason: RefusalReason,
    explanation: str,
) -> str:
    """Close a session paid on Stripe that pays nothing here, and tell the team once.

    The money was taken: the session is REFUSED for good, out of every later reconciliation,
    and stays marked as needing action until the team refunds it on Stripe or records it.
    """
    local.status = CheckoutStatus.REFUSED.value
    local.closed_at = utcnow()
    local.refusal = reason.value
    amount = remote.get("amount_total")
    local.paid_amount_cents = amount if isinstance(amount, int) else None
    local.paid_currency = str(remote.get("currency") or "").upper()[:3] or None
    local.stripe_payment_intent_id = _id_of(remote.get("payment_intent"))
    notify(session, Event.CARD_PAYMENT_REFUSED, project.id, checkout_session_id=local.id)
    return _refused("%s", explanation)


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _refused(template: str, *args: Any) -> str:
    """Log why a session paid nothing here; money taken without a payment needs the team."""
    reason = template % args
    log.error("No payment recorded: %s", reason)
    return reason


RESOLUTION_MAX = 500


def resolve_refused_payment(viewer: Viewer, project_id: int, session_id: str, note: str) -> None:
    """Mark a refused card payment as settled by the team, with what they did about it.

    The team refunds the money on Stripe, or records the payment by hand, then says so here.

    :raise PermissionDenied: for anyone but the team.
    :raise NotFound: if the project or the session (of that project) does not exist.
    :raise Invalid: for an empty or too long note, a session that was not refused, or one
        already settled.
    """
    if not policy.can_change_status(viewer):
        raise PermissionDenied(N_("Only the team can settle card payments."))
    note = (note or "").strip()
    if not note:
        raise Invalid(N_("Say what was done with this payment: refunded on Stripe, or recorded."))
    if len(note) > RESOLUTION_MAX:
        raise Invalid(N_("The note is too long (%(max)s characters at most)."), max=RESOLUTION_MAX)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        local = session.scalars(
            select(CheckoutSession)
            .where(CheckoutSession.id == session_id, CheckoutSession.project_id == project.id)
            .with_for_update()
        ).first()
        if local is None:
            raise NotFound(N_("Card payment not found."))
        if local.status != CheckoutStatus.REFUSED.value:
            raise Invalid(N_("Only a refused card payment needs to be settled."))
        if local.resolved_at is not None:
            raise Invalid(N_("This card payment was already settled."))
        local.resolved_at = utcnow()
        local.resolved_by_id = viewer.user_id
        local.resolution = note


def close_checkout_sessions(project_id: int) -> int:
    """Expire on Stripe the project's open sessions that can no longer be paid here.

    Those of revoked links, or of a project no longer awaiting payment. Return how many
    were closed.

    :raise StripeUnavailableError: when Stripe does not answer (the job is retried).
    """
    if not card_payments_enabled():
        return 0
    statement = (
        select(CheckoutSession.id)
        .join(PaymentLink, PaymentLink.id == CheckoutSession.payment_link_id, isouter=True)
        .where(
            CheckoutSession.project_id == project_id,
            CheckoutSession.status == CheckoutStatus.OPEN.value,
        )
    )
    project = db.session.get(Project, project_id)
    if project is not None and project.status_enum is ProjectStatus.AWAITING_PAYMENT:
        statement = statement.where(
            (PaymentLink.id.is_(None)) | (PaymentLink.revoked_at.is_not(None))
        )
    ids = list(db.session.scalars(statement))
    db.session.rollback()
    for session_id in ids:
        remote = expire_checkout_session(session_id)
        with transaction() as session:
            apply_session_state(session, remote, source="closing")
    return len(ids)


@dataclass(frozen=True)
class Reconciliation:
    """What the reconciliation looked at, and what it could not reach."""

    checked: int
    paid: int
    unreachable: int


def reconcile_payments(window: timedelta = RECONCILE_WINDOW) -> Reconciliation:
    """Ask Stripe about our unsettled sessions and its recent payments, and settle what was paid.

    A payment whose event never arrived still ends in PAID. Does nothing without Stripe keys.
    """
    if not card_payments_enabled():
        return Reconciliation(0, 0, 0)
    since = utcnow() - window
    unsettled = list(
        db.session.scalars(
            select(CheckoutSession.id)
            .where(
                CheckoutSession.status.in_(
                    (CheckoutStatus.OPEN.value, CheckoutStatus.COMPLETE.value)
                )
            )
            .order_by(CheckoutSession.created_at)
        )
    )
    db.session.rollback()
    checked = paid = unreachable = 0
    seen: set[str] = set()
    remotes: list[dict[str, Any]] = []
    for session_id in unsettled:
        try:
            remotes.append(retrieve_checkout_session(session_id))
        except StripeUnavailableError as error:
            log.warning("Reconciliation: session %s not reachable: %s", session_id, error)
            unreachable += 1
    try:
        remotes.extend(recent_completed_sessions(since))
    except StripeUnavailableError as error:
        log.warning("Reconciliation: recent sessions not listed: %s", error)
        unreachable += 1
    for remote in _once(remotes, seen):
        checked += 1
        paid += _reconcile_one(remote)
    return Reconciliation(checked, paid, unreachable)


def _once(remotes: Iterable[dict[str, Any]], seen: set[str]) -> Iterable[dict[str, Any]]:
    for remote in remotes:
        if remote.get("id") not in seen:
            seen.add(remote.get("id"))
            yield remote


def _reconcile_one(remote: dict[str, Any]) -> int:
    """Apply one session's state in its own transaction; return 1 if it paid a project now."""
    with transaction() as session:
        local = session.get(CheckoutSession, remote.get("id"))
        if local is None or CheckoutStatus(local.status) in _FINAL:
            # Sessions opened elsewhere on the account, or settled or refused already.
            return 0
        apply_session_state(session, remote, source="reconciliation")
        return 1 if local.status == CheckoutStatus.PAID.value else 0
