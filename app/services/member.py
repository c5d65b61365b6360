"""The members of an organisation: invitations, deactivation, and their own settings."""

import hashlib
import secrets
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Invalid, NotFound, PermissionDenied
from app.domain.policy import Role, Viewer
from app.extensions import db
from app.models import AppUser, MemberInvitation, MemberStatus, NotificationPreference
from app.models.base import utcnow
from app.services.account import (
    add_user,
    check_language,
    check_password,
    checked_email,
    hash_password,
)
from app.services.notification import EMAIL_QUEUE
from app.uow import queue_job, transaction

INVITATION_JOB = "send_invitation"
INVITATION_NOTICE_JOB = "send_invitation_notice"
INVITATION_VALIDITY = timedelta(days=7)
# FAB's first_name and last_name columns.
MAX_NAME_LENGTH = 64


def save_own_settings(
    user_id: int,
    *,
    first_name: str,
    last_name: str,
    language: str,
    notify: Collection[str],
    kinds: Collection[str],
) -> None:
    """Save what a user sets on their account page: name, language, the emails they receive.

    :param notify: the kinds of notification switched on; every other one of ``kinds``, the
        kinds the user's role may switch off, is switched off.
    :raise Invalid: for an empty first name, a name too long, or an unknown language.
    :raise NotFound: if the user does not exist.
    """
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name:
        raise Invalid(N_("Enter your first name."))
    if len(first_name) > MAX_NAME_LENGTH or len(last_name) > MAX_NAME_LENGTH:
        raise Invalid(N_("A name has at most %(count)s characters."), count=MAX_NAME_LENGTH)
    check_language(language)
    with transaction() as session:
        user = session.get(AppUser, user_id)
        if user is None:
            raise NotFound(N_("User not found."))
        user.first_name, user.last_name, user.language = first_name, last_name, language
        stored = {
            preference.kind: preference
            for preference in session.scalars(
                select(NotificationPreference).where(NotificationPreference.user_id == user_id)
            )
        }
        for kind in kinds:
            enabled = kind in notify
            if kind in stored:
                stored[kind].enabled = enabled
            elif not enabled:
                session.add(NotificationPreference(user_id=user_id, kind=kind, enabled=False))


def members_of(viewer: Viewer, organisation_id: int) -> list[AppUser]:
    """List the accounts of an organisation, active ones first.

    :raise PermissionDenied: unless the viewer manages this organisation's members.
    """
    _require_manager(viewer, organisation_id)
    statement = (
        select(AppUser)
        .where(AppUser.organisation_id == organisation_id)
        .order_by(AppUser.active.desc(), AppUser.first_name, AppUser.last_name, AppUser.id)
    )
    return list(db.session.scalars(statement).unique())


def invite_member(
    viewer: Viewer, organisation_id: int, email: str, name: str, language: str = "fr"
) -> MemberInvitation | None:
    """Create an inactive member account and email them a link to choose their password.

    An address another organisation (or the team) already uses gets no second account, and the
    inviter is told nothing else than for a new address: who has an account elsewhere is not
    theirs to learn. The address's owner is emailed a notice instead, and ``None`` is returned.

    :raise PermissionDenied: unless the viewer manages this organisation's members.
    :raise Invalid: for a malformed email or an unknown language.
    :raise Conflict: if a member of this very organisation already uses this email.
    """
    _require_manager(viewer, organisation_id)
    email = checked_email(email)
    check_language(language)
    with transaction() as session:
        taken = _account_using(session, email)
        if taken is not None and taken.organisation_id != organisation_id:
            # The address's owner learns someone tried; the inviter learns nothing.
            queue_job(
                session,
                INVITATION_NOTICE_JOB,
                {
                    "user_id": taken.id,
                    "organisation_id": organisation_id,
                    "inviter_id": viewer.user_id,
                },
                queue=EMAIL_QUEUE,
            )
            # As long as creating the account takes: the answer's delay tells nothing either.
            hash_password(secrets.token_urlsafe(32))
            return None
        user = add_user(
            session,
            email=email,
            # Nobody can log in before the invitation sets a real password.
            password=secrets.token_urlsafe(32),
            role=Role.ORG_MEMBER,
            organisation_id=organisation_id,
            name=name,
            language=language,
            active=False,
        )
        user.status = MemberStatus.INVITED.value
        session.flush()
        invitation = _send_invitation(session, viewer, user)
    return invitation


def _account_using(session: Session, email: str) -> Row[tuple[int, int | None]] | None:
    """Return the id and organisation of the account using ``email`` as its email or login."""
    return session.execute(
        select(AppUser.id, AppUser.organisation_id).where(
            (func.lower(AppUser.email) == email) | (func.lower(AppUser.username) == email)
        )
    ).first()


def find_invitation(token: str) -> MemberInvitation:
    """Return the open invitation a link's token names.

    :raise NotFound: for an unknown, used or expired token, all alike.
    """
    invitation = db.session.scalar(
        select(MemberInvitation).where(MemberInvitation.token_hash == token_hash(token or ""))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise NotFound(N_("This invitation link is no longer valid. Ask for a new invitation."))
    return invitation


def accept_invitation(token: str, password: str) -> AppUser:
    """Set the invited member's password and open their account; the link then stops working.

    :raise NotFound: for an unknown, used or expired token.
    :raise Invalid: for a password the rule refuses, saying why.
    """
    with transaction() as session:
        invitation = find_invitation(token)
        user = invitation.user
        check_password(password, user.email, user.first_name, user.last_name)
        user.password = hash_password(password)
        user.active = True
        user.status = MemberStatus.ACTIVE.value
        invitation.accepted_at = utcnow()
        session.flush()
    return user


def deactivate_member(viewer: Viewer, organisation_id: int, user_id: int) -> None:
    """Close a member's account: they can no longer log in nor receive emails.

    :raise PermissionDenied: unless the viewer manages this organisation's members, or for
        the viewer's own account.
    :raise NotFound: if the user is not a member of this organisation.
    """
    _require_manager(viewer, organisation_id)
    if user_id == viewer.user_id:
        raise Invalid(N_("You cannot deactivate your own account."))
    with transaction() as session:
        user = _member(session, organisation_id, user_id)
        user.active = False
        user.status = MemberStatus.DEACTIVATED.value
        _revoke_open_invitations(session, user_id)


def resend_invitation(viewer: Viewer, organisation_id: int, user_id: int) -> MemberInvitation:
    """Send an invited member a new link; the link sent before stops working.

    :raise PermissionDenied: unless the viewer manages this organisation's members.
    :raise NotFound: if the user is not a member of this organisation.
    :raise Invalid: if the member is not waiting on an invitation.
    """
    _require_manager(viewer, organisation_id)
    with transaction() as session:
        user = _invited_member(session, organisation_id, user_id)
        _revoke_open_invitations(session, user_id)
        invitation = _send_invitation(session, viewer, user)
    return invitation


def revoke_invitation(viewer: Viewer, organisation_id: int, user_id: int) -> None:
    """Withdraw an invitation: its link stops working and the account stays closed.

    :raise PermissionDenied: unless the viewer manages this organisation's members.
    :raise NotFound: if the user is not a member of this organisation.
    :raise Invalid: if the member is not waiting on an invitation.
    """
    _require_manager(viewer, organisation_id)
    with transaction() as session:
        user = _invited_member(session, organisation_id, user_id)
        _revoke_open_invitations(session, user_id)
        user.status = MemberStatus.DEACTIVATED.value


def _member(session: Session, organisation_id: int, user_id: int) -> AppUser:
    user = session.get(AppUser, user_id)
    # Accounts are not tenant rows: the organisation is checked here.
    if user is None or user.organisation_id != organisation_id:
        raise NotFound(N_("User not found."))
    return user


def _invited_member(session: Session, organisation_id: int, user_id: int) -> AppUser:
    user = _member(session, organisation_id, user_id)
    if user.status != MemberStatus.INVITED.value:
        raise Invalid(N_("This member is not waiting on an invitation."))
    return user


def _revoke_open_invitations(session: Session, user_id: int) -> None:
    session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.user_id == user_id,
            MemberInvitation.accepted_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


def _send_invitation(session: Session, viewer: Viewer, user: AppUser) -> MemberInvitation:
    """Add an invitation with a fresh token, and queue its email once the change commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = MemberInvitation(
        organisation_id=user.organisation_id,
        user_id=user.id,
        token_hash=token_hash(token),
        invited_by_id=viewer.user_id,
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    session.add(invitation)
    session.flush()
    # The raw token travels in the outbox until its email is sent, then it is wiped.
    queue_job(
        session,
        INVITATION_JOB,
        {"invitation_id": invitation.id, "data": {"token": token}},
        queue=EMAIL_QUEUE,
    )
    return invitation


def token_hash(token: str) -> str:
    """Return what is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_manager(viewer: Viewer, organisation_id: int) -> None:
    if not policy.can_manage_members(viewer, organisation_id):
        raise PermissionDenied(N_("Only an organisation administrator can manage its members."))
