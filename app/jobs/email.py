"""Send a logged email again, as the team asked; and the error that has a job retried."""

from app.services.email_log import deliver, prepare_resend
from app.services.payment_link import settle_token


class EmailNotSent(RuntimeError):  # noqa: N818 - named like the domain's errors
    """Some emails of a job could not be sent; the job is retried for those only."""


def send_logged_email(message_id: str, email_id: int) -> None:
    """Send a logged email again: a failed one in place, a sent one as a new copy in the log.

    :raise EmailNotSent: if it could not be sent.
    """
    resend = prepare_resend(message_id, email_id)
    if resend is None:
        return
    failed = deliver([resend.email_id])
    if resend.original_outbox_id:
        settle_token(resend.original_outbox_id)
    if failed:
        raise EmailNotSent(f"email {resend.email_id} not sent; it will be retried")
