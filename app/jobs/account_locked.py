"""Tell the owner of an account that it is locked after repeated failed sign-ins."""

import logging
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app

from app.domain.dates import format_moment
from app.extensions import db
from app.jobs.email import EmailNotSent
from app.mail.render import display_zone, render_email
from app.models import AppUser
from app.services.email_log import Draft, deliver, log_emails

log = logging.getLogger(__name__)

ACCOUNT_LOCKED_KIND = "account_locked"


def send_account_locked(message_id: str, user_id: int, data: dict[str, Any]) -> None:
    """Email the owner once, in their language, when their account was locked and until when.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    user = db.session.get(AppUser, user_id)
    if user is None or not user.email:
        log.info("User %s is gone or has no email; no lock notice sent", user_id)
        return
    until = datetime.fromisoformat(data["until"])
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    render = partial(
        render_email,
        ACCOUNT_LOCKED_KIND,
        user.language,
        {
            "audience": "member",
            "failures": data["failures"],
            "until": format_moment(until, user.language, display_zone()),
            "url": f"{base}/login/",
        },
    )
    [email_id] = log_emails(
        message_id, ACCOUNT_LOCKED_KIND, None, [Draft(user.email, user.language, render)]
    )
    if deliver([email_id]):
        raise EmailNotSent("the account lock notice was not sent; it will be retried")
