"""Stripe's jobs: handle a stored event, close sessions nobody may pay, reconcile payments."""

import logging

from app.jobs.runner import job_context

log = logging.getLogger(__name__)


def process_stripe_event(message_id: str, event_id: str) -> None:
    """Act on one stored Stripe event (an outbox job)."""
    from app.services.stripe_event import handle_stripe_event

    del message_id
    handle_stripe_event(event_id)


def expire_checkout_sessions(message_id: str, project_id: int) -> None:
    """Close on Stripe the project's sessions that can no longer be paid (an outbox job)."""
    from app.services.checkout import close_checkout_sessions

    del message_id
    close_checkout_sessions(project_id)


def settle_unreported_payments() -> int:
    """Settle every session Stripe says is paid whose event never arrived; the periodic job.

    Runs in its own app context, wherever it is called from. Return how many projects it
    marked paid.
    """
    from app.services.checkout import reconcile_payments

    with job_context():
        result = reconcile_payments()
    log.info(
        "Payment reconciliation: %s sessions checked, %s paid, %s not reachable",
        result.checked,
        result.paid,
        result.unreachable,
    )
    return result.paid
