"""The jobs an outbox message can name, by name."""

from collections.abc import Callable
from typing import Any

from app.jobs.account import (
    send_account_locked,
    send_invitation,
    send_invitation_notice,
    send_password_changed,
    send_password_reset,
)
from app.jobs.email import send_logged_email
from app.jobs.notify import send_notification
from app.jobs.preview import make_preview
from app.jobs.stripe import expire_checkout_sessions, process_stripe_event

# Each handler takes the outbox message id and its decoded payload as keyword arguments.
HANDLERS: dict[str, Callable[..., Any]] = {
    "send_notification": send_notification,
    # The name outbox rows already stored carry: it stays, whatever the function is called.
    "resend_email": send_logged_email,
    "send_invitation": send_invitation,
    "send_invitation_notice": send_invitation_notice,
    "send_password_reset": send_password_reset,
    "send_password_changed": send_password_changed,
    "send_account_locked": send_account_locked,
    "process_stripe_event": process_stripe_event,
    "expire_checkout_sessions": expire_checkout_sessions,
    "make_preview": make_preview,
}


def handler_for(job: str) -> Callable[..., Any]:
    """Return the function that runs ``job``.

    :raise LookupError: for a job name no handler is registered under.
    """
    try:
        return HANDLERS[job]
    except KeyError:
        raise LookupError(f"no handler registered for outbox job {job!r}") from None
