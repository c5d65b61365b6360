"""Emails about one person's account: an invitation or its notice, a password reset link, the
notices that a password changed or that the account is locked.

Each email goes to one address, in its owner's language, once whatever the retries. Those that
carry a secret link forget its token once sent.
"""

import logging
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app

from app.domain.dates import format_moment
from app.extensions import db
from app.jobs.email import EmailNotSent
from app.mail.render import display_zone, render_email
from app.models import AppUser, MemberInvitation, Organisation, PasswordReset
from app.models.base import utcnow
from app.services.email_log import Draft, deliver, log_emails
from app.services.payment_link import settle_token

log = logging.getLogger(__name__)

INVITATION_KIND = "invitation"
INVITATION_NOTICE_KIND = "invitation_notice"
RESET_LINK_KIND = "password_reset"
CHANGE_NOTICE_KIND = "password_changed"
ACCOUNT_LOCKED_KIND = "account_locked"


def send_invitation(message_id: str, invitation_id: int, data: dict[str, Any]) -> None:
    """Email the invited member the link with which they choose their password.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    invitation = db.session.get(MemberInvitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        log.info("Invitation %s is gone, used or revoked; no email sent", invitation_id)
        settle_token(message_id)
        return
    user = invitation.user
    _send(
        message_id,
        INVITATION_KIND,
        user,
        {
            "audience": "member",
            "inviter": _inviter(invitation.invited_by_id),
            "organisation": user.organisation.name if user.organisation else "",
            "email": user.email,
            "url": f"{_base_url()}/invitation/{data['token']}",
            "expires_at": invitation.expires_at,
        },
        carries_token=True,
    )


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
    _send(
        message_id,
        INVITATION_NOTICE_KIND,
        user,
        {
            "audience": "member",
            "inviter": _inviter(inviter_id),
            "organisation": organisation.name,
            "email": user.email,
        },
    )


def send_password_reset(message_id: str, reset_id: int, data: dict[str, Any]) -> None:
    """Email the reset link.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    reset = db.session.get(PasswordReset, reset_id)
    if reset is None or reset.used_at or reset.expires_at <= utcnow():
        log.info("Password reset %s is gone, used or expired; no email sent", reset_id)
        settle_token(message_id)
        return
    user = reset.user
    _send(
        message_id,
        RESET_LINK_KIND,
        user,
        {
            "audience": "account",
            "email": user.email,
            "url": f"{_base_url()}/reset-password/{data['token']}",
            "expires_at": _moment_with_zone(reset.expires_at, user.language),
        },
        carries_token=True,
    )


def send_password_changed(message_id: str, user_id: int, changed_at: str) -> None:
    """Tell an account's owner their password was changed, and what to do if it was not them.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    user = db.session.get(AppUser, user_id)
    if user is None:
        log.info("User %s is gone; no password notice sent", user_id)
        return
    _send(
        message_id,
        CHANGE_NOTICE_KIND,
        user,
        {
            "audience": "account",
            "email": user.email,
            "changed_at": _moment_with_zone(datetime.fromisoformat(changed_at), user.language),
            "forgot_url": f"{_base_url()}/forgot-password/",
        },
    )


def send_account_locked(message_id: str, user_id: int, data: dict[str, Any]) -> None:
    """Tell the owner when their account was locked and until when.

    :raise EmailNotSent: if the email failed; the job is retried.
    """
    user = db.session.get(AppUser, user_id)
    if user is None or not user.email:
        log.info("User %s is gone or has no email; no lock notice sent", user_id)
        return
    until = datetime.fromisoformat(data["until"])
    _send(
        message_id,
        ACCOUNT_LOCKED_KIND,
        user,
        {
            "audience": "member",
            "failures": data["failures"],
            "until": format_moment(until, user.language, display_zone()),
            "url": f"{_base_url()}/login/",
        },
    )


def _send(
    message_id: str,
    kind: str,
    user: AppUser,
    context: dict[str, Any],
    *,
    carries_token: bool = False,
) -> None:
    """Log the email to ``user`` once and send it; forget its token once it is out.

    :raise EmailNotSent: if it failed; the job is retried.
    """
    render = partial(render_email, kind, user.language, context)
    [email_id] = log_emails(message_id, kind, None, [Draft(user.email, user.language, render)])
    failed = deliver([email_id])
    if carries_token:
        settle_token(message_id)
    if failed:
        raise EmailNotSent(f"the {kind} email was not sent; it will be retried")


def _inviter(inviter_id: int | None) -> str:
    inviter = db.session.get(AppUser, inviter_id or 0)
    return (inviter.full_name or inviter.email) if inviter else "CNC Pulse"


def _moment_with_zone(moment: datetime, language: str) -> str:
    zone = display_zone()
    return f"{format_moment(moment, language, zone)} ({zone.key})"


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")
