"""Forgotten passwords: a single-use link by email, valid one hour, to choose a new password.

Asking answers the same whether or not the email belongs to an account. The email itself goes
out from the background: the request only adds a row when an account exists, so its timing does
not tell either.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.domain.errors import N_, NotFound
from app.extensions import db
from app.models import AppUser, MemberStatus, PasswordReset
from app.models.base import utcnow
from app.services.account import check_password, set_password
from app.services.member import token_hash
from app.services.notification import EMAIL_QUEUE
from app.uow import queue_job, transaction

RESET_LINK_JOB = "send_password_reset"
RESET_VALIDITY = timedelta(hours=1)
# Links sent to one account within RESET_VALIDITY: more would only flood its mailbox.
MAX_LINKS_PER_VALIDITY = 3
_MAX_EMAIL_LENGTH = 320
LINK_INVALID = N_(
    "This password reset link is no longer valid. Ask for a new one from the sign-in page."
)


def request_password_reset(email: str | None) -> None:
    """Email a reset link to the active account using ``email``, if there is one.

    Nothing tells the caller whether a link was sent: a malformed or unknown address, an
    account that is not active, or one already sent ``MAX_LINKS_PER_VALIDITY`` links within the
    hour, is answered like any other.
    """
    email = (email or "").strip().lower()[:_MAX_EMAIL_LENGTH]
    with transaction() as session:
        user = session.scalar(
            select(AppUser).where(
                (func.lower(AppUser.email) == email) | (func.lower(AppUser.username) == email)
            )
        )
        if user is None or not _may_reset(user) or _asked_too_often(session, user.id):
            return
        token = secrets.token_urlsafe(32)
        now = utcnow()
        reset = PasswordReset(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + RESET_VALIDITY,
        )
        session.add(reset)
        session.flush()
        # The raw token travels in the outbox until its email is sent, then it is wiped.
        queue_job(
            session,
            RESET_LINK_JOB,
            {"reset_id": reset.id, "data": {"token": token}},
            queue=EMAIL_QUEUE,
        )


def find_password_reset(token: str | None) -> PasswordReset:
    """Return the open reset a link's token names.

    :raise NotFound: for an unknown, used or expired token, or an account no longer active,
        all alike.
    """
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token or ""))
    )
    if (
        reset is None
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
        or not _may_reset(reset.user)
    ):
        raise NotFound(LINK_INVALID)
    return reset


def reset_password(token: str | None, password: str) -> AppUser:
    """Set the password a reset link was sent for; that link and the user's others stop working.

    :raise NotFound: for an unknown, used or expired token.
    :raise Invalid: for a password the rule refuses; the link still works.
    """
    reset = find_password_reset(token)
    user = reset.user
    check_password(password, user.email, user.first_name, user.last_name)
    user_id, reset_id = user.id, reset.id
    with transaction() as session:
        # Claimed by one statement: of two requests using the link at once, one wins.
        claimed = session.execute(
            update(PasswordReset)
            .where(PasswordReset.id == reset_id, PasswordReset.used_at.is_(None))
            .values(used_at=utcnow())
        ).rowcount
        if claimed != 1:
            raise NotFound(LINK_INVALID)
        session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=utcnow())
        )
    set_password(user_id, password)
    return db.session.get(AppUser, user_id)


def _asked_too_often(session: Session, user_id: int) -> bool:
    recent = session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user_id,
            PasswordReset.created_at > utcnow() - RESET_VALIDITY,
        )
    )
    return recent >= MAX_LINKS_PER_VALIDITY


def _may_reset(user: AppUser | None) -> bool:
    return user is not None and user.active and user.status == MemberStatus.ACTIVE.value


def forget_dead_links(moment: datetime | None = None) -> int:
    """Delete the reset links expired for more than a day, used or not; return how many."""
    before = (moment or utcnow()) - timedelta(days=1)
    with transaction() as session:
        return session.execute(
            delete(PasswordReset).where(PasswordReset.expires_at < before)
        ).rowcount
