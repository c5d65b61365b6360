"""Send the emails about a password: the reset link, and the notice that it was changed."""

import logging
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app

from app.domain.dates import format_moment
from app.extensions import db
from app.jobs.email import EmailNotSent
from app.mail.render import display_zone, render_email
from app.models import AppUser, PasswordReset
from app.models.base import utcnow
from app.services.email_log import Draft, deliver, log_emails
from app.services.payment_link import settle_token

log = logging.getLogger(__name__)

RESET_LINK_KIND = "password_reset"
CHANGE_NOTICE_KIND = "password_changed"


def send_password_reset(message_id: str, reset_id: int, data: dict[str, Any]) -> None:
    """Email the reset link once, whatever the retries; then forget the token.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    reset = db.session.get(PasswordReset, reset_id)
    if reset is None or reset.used_at or reset.expires_at <= utcnow():
        log.info("Password reset %s is gone, used or expired; no email sent", reset_id)
        settle_token(message_id)
        return
    user = reset.user
    render = partial(
        render_email,
        RESET_LINK_KIND,
        user.language,
        {
            "audience": "account",
            "email": user.email,
            "url": f"{_base_url()}/reset-password/{data['token']}",
            "expires_at": _moment(reset.expires_at, user.language),
        },
    )
    _send(message_id, RESET_LINK_KIND, Draft(user.email, user.language, render))


def send_password_changed(message_id: str, user_id: int, changed_at: str) -> None:
    """Tell an account's owner their password was changed, and what to do if it was not them.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    user = db.session.get(AppUser, user_id)
    if user is None:
        log.info("User %s is gone; no password notice sent", user_id)
        return
    render = partial(
        render_email,
        CHANGE_NOTICE_KIND,
        user.language,
        {
            "audience": "account",
            "email": user.email,
            "changed_at": _moment(datetime.fromisoformat(changed_at), user.language),
            "forgot_url": f"{_base_url()}/forgot-password/",
        },
    )
    _send(message_id, CHANGE_NOTICE_KIND, Draft(user.email, user.language, render))


def _send(message_id: str, kind: str, draft: Draft) -> None:
    [email_id] = log_emails(message_id, kind, None, [draft])
    failed = deliver([email_id])
    settle_token(message_id)
    if failed:
        raise EmailNotSent(f"the {kind} email was not sent; it will be retried")


def _moment(moment: datetime, language: str) -> str:
    zone = display_zone()
    return f"{format_moment(moment, language, zone)} ({zone.key})"


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")
