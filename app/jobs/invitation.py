"""Send an invitation email: the link with which a new member chooses their password; or, to an
address that already has an account, a notice that someone tried to invite it."""

import logging
from functools import partial
from typing import Any

from flask import current_app

from app.extensions import db
from app.jobs.email import EmailNotSent
from app.mail.render import render_email
from app.models import AppUser, MemberInvitation, Organisation
from app.services.email_log import Draft, deliver, log_emails
from app.services.payment_link import settle_token

log = logging.getLogger(__name__)

INVITATION_KIND = "invitation"
NOTICE_KIND = "invitation_notice"


def send_invitation(message_id: str, invitation_id: int, data: dict[str, Any]) -> None:
    """Email the invited member their link once, whatever the retries; then forget the token.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    invitation = db.session.get(MemberInvitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        log.info("Invitation %s is gone, used or revoked; no email sent", invitation_id)
        settle_token(message_id)
        return
    email_id = _log_email(message_id, invitation, data["token"])
    failed = deliver([email_id])
    settle_token(message_id)
    if failed:
        raise EmailNotSent("the invitation email was not sent; it will be retried")


def _log_email(message_id: str, invitation: MemberInvitation, token: str) -> int:
    user = invitation.user
    inviter = db.session.get(AppUser, invitation.invited_by_id or 0)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    render = partial(
        render_email,
        INVITATION_KIND,
        user.language,
        {
            "audience": "member",
            "inviter": (inviter.full_name or inviter.email) if inviter else "CNC Pulse",
            "organisation": user.organisation.name if user.organisation else "",
            "email": user.email,
            "url": f"{base}/invitation/{token}",
            "expires_at": invitation.expires_at,
        },
    )
    [email_id] = log_emails(
        message_id, INVITATION_KIND, None, [Draft(user.email, user.language, render)]
    )
    return email_id


def send_invitation_notice(
    message_id: str, user_id: int, organisation_id: int, inviter_id: int | None
) -> None:
    """Tell the holder of an existing account that an organisation tried to invite them.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    user = db.session.get(AppUser, user_id)
    organisation = db.session.get(Organisation, organisation_id)
    if user is None or not user.active or organisation is None:
        log.info("Account %s is gone or closed; no invitation notice sent", user_id)
        return
    inviter = db.session.get(AppUser, inviter_id or 0)
    render = partial(
        render_email,
        NOTICE_KIND,
        user.language,
        {
            "audience": "member",
            "inviter": (inviter.full_name or inviter.email) if inviter else "CNC Pulse",
            "organisation": organisation.name,
            "email": user.email,
        },
    )
    [email_id] = log_emails(
        message_id, NOTICE_KIND, None, [Draft(user.email, user.language, render)]
    )
    if deliver([email_id]):
        raise EmailNotSent("the invitation notice was not sent; it will be retried")
