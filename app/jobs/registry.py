"""The jobs an outbox message can name, by name."""

from collections.abc import Callable
from typing import Any

from app.jobs.email import resend_email
from app.jobs.invitation import send_invitation
from app.jobs.notify import send_notification

# Each handler takes the outbox message id and its decoded payload as keyword arguments.
HANDLERS: dict[str, Callable[..., Any]] = {
    "send_notification": send_notification,
    "resend_email": resend_email,
    "send_invitation": send_invitation,
}


def handler_for(job: str) -> Callable[..., Any]:
    """Return the function that runs ``job``.

    :raise LookupError: for a job name no handler is registered under.
    """
    try:
        return HANDLERS[job]
    except KeyError:
        raise LookupError(f"no handler registered for outbox job {job!r}") from None
