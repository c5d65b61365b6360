"""Stripe's events: verified and stored once when they arrive, handled by a job afterwards."""

import json
import logging
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from app.domain.errors import N_, Invalid
from app.domain.notifications import Event
from app.domain.payment import DisputeStatus
from app.log_redaction import redact
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    EventKind,
    Payment,
    PaymentStatus,
    Project,
    Refund,
    StripeEvent,
)
from app.models.base import UTCDateTime, utcnow
from app.services.checkout import apply_session_state
from app.services.common import record_event
from app.services.credit_note import issue_credit_note
from app.services.notification import notify
from app.services.payment_link import STRIPE_QUEUE
from app.services.stripe_gateway import BadSignatureError, verify_event
from app.uow import queue_job, transaction

log = logging.getLogger(__name__)

PROCESS_EVENT_JOB = "process_stripe_event"
SESSION_EVENTS = {
    "checkout.session.completed": False,
    "checkout.session.async_payment_succeeded": False,
    "checkout.session.async_payment_failed": True,
    "checkout.session.expired": False,
}
REFUND_EVENT = "charge.refunded"
# A client's dispute of a card payment: opened, then decided. True when it is decided.
DISPUTE_EVENTS = {"charge.dispute.created": False, "charge.dispute.closed": True}


# Stored once whatever the retries: a known id inserts nothing and returns no row. Written as
# SQL, which both databases take as it is, because SQLAlchemy compiles a dialect's own
# INSERT … ON CONFLICT again at every execution: a tenth of the webhook's time.
_STORE_EVENT = text(
    "INSERT INTO stripe_event (id, type, payload, received_at)"
    " VALUES (:id, :type, :payload, :received_at)"
    " ON CONFLICT (id) DO NOTHING RETURNING id"
).bindparams(bindparam("received_at", type_=UTCDateTime()))


def receive_stripe_event(payload: bytes, signature: str | None) -> bool:
    """Check a posted event's signature on its raw body, store it once and queue its handling.

    Return False for an event already received (a retry or a replay): nothing is queued.

    :raise Invalid: for a bad signature or a stale timestamp; nothing is written.
    """
    try:
        event = verify_event(payload, signature)
    except BadSignatureError as error:
        log.warning("Stripe webhook refused: %s", error)
        raise Invalid(N_("The Stripe signature is not valid.")) from None
    with transaction() as session:
        stored = session.scalar(
            _STORE_EVENT,
            {
                "id": str(event["id"])[:255],
                "type": str(event["type"])[:100],
                "payload": stored_payload(event),
                "received_at": utcnow(),
            },
        )
        if stored is None:
            return False
        queue_job(session, PROCESS_EVENT_JOB, {"event_id": stored}, queue=STRIPE_QUEUE)
        return True


def stored_payload(event: dict[str, Any]) -> str:
    """Return the event as it is kept: the client's page token taken out of its addresses.

    A Checkout Session carries the success and cancel addresses, which are the client's secret
    page; the token must be kept nowhere but as its hash.
    """
    return json.dumps(_redacted(event), separators=(",", ":"), ensure_ascii=False)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_redacted(each) for each in value]
    return value


def handle_stripe_event(event_id: str) -> None:
    """Act on a stored event once: settle, fail or expire a session, or record a refund.

    Whatever the order the events come in, a session's state only moves forward and a
    session pays its project once. Why an event changed nothing it should have is kept on it.
    """
    with transaction() as session:
        stored = session.scalars(
            select(StripeEvent).where(StripeEvent.id == event_id).with_for_update()
        ).first()
        if stored is None or stored.processed_at is not None:
            return
        event = json.loads(stored.payload)
        found = ((event.get("data") or {}).get("object")) or {}
        if stored.type in SESSION_EVENTS:
            stored.error = apply_session_state(
                session, found, source=f"event {stored.id}", failed=SESSION_EVENTS[stored.type]
            )
        elif stored.type == REFUND_EVENT:
            stored.error = record_stripe_refund(session, found)
        elif stored.type in DISPUTE_EVENTS:
            stored.error = record_stripe_dispute(session, found, closed=DISPUTE_EVENTS[stored.type])
        stored.processed_at = utcnow()


def record_stripe_refund(session: Session, charge: dict[str, Any]) -> str | None:
    """Record what a refunded charge gave back; return why nothing was recorded, if so.

    Stripe reports the charge's refunded total: what exceeds the refunds already recorded is
    one more refund, so replays and out-of-order events record nothing twice. Each refund
    recorded issues its credit note.
    """
    intent = charge.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    payment = session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == str(intent)).with_for_update()
    ).first()
    if payment is None:
        if _settle_refused_by_refund(session, str(intent), charge):
            return None
        reason = f"refund of charge {charge.get('id')} for an unknown payment ({intent})"
        log.error("No refund recorded: %s", reason)
        return reason
    recorded = {refund.stripe_refund_id: refund.amount_cents for refund in payment.refunds}
    total = sum(recorded.values())
    listed = ((charge.get("refunds") or {}).get("data")) or []
    new_refunds: list[Refund] = []
    for each in listed:
        if each.get("id") in recorded or each.get("status") in ("failed", "canceled"):
            continue
        new_refunds.append(_refund(payment, int(each.get("amount") or 0), each))
        total += int(each.get("amount") or 0)
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded > total:
        new_refunds.append(_refund(payment, refunded - total, None))
        total = refunded
    if not new_refunds:
        return None
    session.add_all(new_refunds)
    for refund in new_refunds:
        issue_credit_note(session, payment, refund)
    payment.refunded_cents = min(total, payment.amount_cents)
    payment.status = (
        PaymentStatus.REFUNDED.value
        if payment.refunded_cents >= payment.amount_cents
        else PaymentStatus.PARTIALLY_REFUNDED.value
    )
    project = session.get(Project, payment.project_id) if payment.project_id else None
    if project is not None:
        record_event(
            session,
            project,
            None,
            EventKind.PAYMENT,
            details={
                "action": "refunded",
                "amount_cents": sum(refund.amount_cents for refund in new_refunds),
                "currency": payment.currency,
            },
            system_name="Stripe",
        )
    log.info("Refund of %s cents recorded on payment %s", refunded, payment.id)
    return None


def _settle_refused_by_refund(session: Session, intent: str, charge: dict[str, Any]) -> bool:
    """Settle a refused card payment that Stripe refunded in full; tell whether it was one.

    A partial refund leaves it needing the team's action.
    """
    refused = session.scalars(
        select(CheckoutSession)
        .where(
            CheckoutSession.stripe_payment_intent_id == intent,
            CheckoutSession.status == CheckoutStatus.REFUSED.value,
        )
        .with_for_update()
    ).first()
    if refused is None:
        return False
    refunded = int(charge.get("amount_refunded") or 0)
    taken = refused.paid_amount_cents or int(charge.get("amount") or 0)
    if refused.resolved_at is None and refunded >= taken > 0:
        # No note: the team reads it as refunded on Stripe.
        refused.resolved_at = utcnow()
        log.info("Refused card payment %s refunded on Stripe", refused.id)
    return True


def _refund(payment: Payment, amount: int, listed: dict[str, Any] | None) -> Refund:
    return Refund(
        organisation_id=payment.organisation_id,
        payment_id=payment.id,
        amount_cents=amount,
        stripe_refund_id=str(listed["id"]) if listed and listed.get("id") else None,
        reason=str(listed.get("reason")) if listed and listed.get("reason") else None,
        created_at=utcnow(),
    )


def record_stripe_dispute(session: Session, dispute: dict[str, Any], *, closed: bool) -> str | None:
    """Mark a disputed payment, or its dispute decided; return why nothing was marked, if so.

    The team is told once per dispute, when it first hears of it, whatever the order and the
    replays of the events; a decision changes the mark and the history, and tells nobody.
    The organisation and the client are not told: the team decides what to say.
    """
    intent = dispute.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    payment = session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == str(intent)).with_for_update()
    ).first()
    dispute_id = str(dispute.get("id") or "")[:255]
    if payment is None or not dispute_id:
        charge = dispute.get("charge")
        reason = f"dispute {dispute_id} of charge {charge} for an unknown payment ({intent})"
        log.error("No dispute recorded: %s", reason)
        return reason
    project = session.get(Project, payment.project_id) if payment.project_id else None
    status = DisputeStatus.from_stripe(str(dispute.get("status") or ""))
    if payment.stripe_dispute_id != dispute_id:
        payment.stripe_dispute_id = dispute_id
        payment.dispute_status = DisputeStatus.OPEN.value
        payment.dispute_reason = str(dispute.get("reason") or "")[:60] or None
        payment.dispute_amount_cents = _whole(dispute.get("amount"))
        payment.disputed_at = utcnow()
        payment.dispute_closed_at = None
        if project is not None:
            record_event(
                session,
                project,
                None,
                EventKind.PAYMENT,
                details={"action": "disputed", "dispute": dispute_id},
                system_name="Stripe",
            )
            due_by = ((dispute.get("evidence_details") or {}).get("due_by")) or None
            notify(
                session,
                Event.PAYMENT_DISPUTED,
                project.id,
                payment_id=payment.id,
                respond_by=due_by if isinstance(due_by, int) else None,
            )
        log.warning("Payment %s disputed on Stripe (%s)", payment.id, dispute_id)
    if closed and status is not DisputeStatus.OPEN and payment.dispute_status != status.value:
        payment.dispute_status = status.value
        payment.dispute_closed_at = utcnow()
        if project is not None:
            record_event(
                session,
                project,
                None,
                EventKind.PAYMENT,
                details={
                    "action": "dispute_closed",
                    "dispute": dispute_id,
                    "outcome": status.value,
                },
                system_name="Stripe",
            )
        log.info("Dispute %s of payment %s closed: %s", dispute_id, payment.id, status.value)
    return None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) else None
