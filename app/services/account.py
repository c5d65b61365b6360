"""Organisations, users and roles: what the CLI and the Admin screens call."""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain import passwords
from app.domain.errors import N_, Conflict, Invalid, NotFound
from app.domain.policy import Role
from app.domain.sessions import SessionEnd
from app.extensions import db
from app.models import AppUser, MemberStatus, Organisation
from app.models.base import utcnow
from app.services.notification import EMAIL_QUEUE
from app.services.sessions import end_sessions_of
from app.uow import queue_job, transaction

CHANGE_NOTICE_JOB = "send_password_changed"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 320


def checked_email(email: str | None) -> str:
    """Return a login email as stored: trimmed, lower case.

    :raise Invalid: if it is not an email address.
    """
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > MAX_EMAIL_LENGTH:
        raise Invalid(N_("%(email)s is not a valid email address."), email=email)
    return email


def check_password(password: str | None, *user_inputs: str | None) -> None:
    """Apply the password rule (:mod:`app.domain.passwords`).

    :param user_inputs: the account's email and names: a password made of them is refused.
    :raise Invalid: for a password too short, too long or too easy to guess, saying why.
    """
    passwords.check_password(password, user_inputs)


def check_language(language: str) -> None:
    """:raise Invalid: for a language the application does not offer."""
    if language not in current_app.config["LANGUAGES"]:
        raise Invalid(N_("Unknown language %(language)s."), language=language)


def _checked_organisation_fields(name: str | None, project_limit: int | None) -> str:
    """Return an organisation's trimmed name.

    :raise Invalid: for an empty name or a negative limit.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid(N_("An organisation needs a name."))
    if project_limit is not None and project_limit < 0:
        raise Invalid(N_("The project limit cannot be negative."))
    return name


def sync_roles() -> None:
    """Write every view's permissions, give them to Admin, and make sure each role of ours exists.

    Team, OrgAdmin and OrgMember are FAB built-in roles: their rights are the patterns in
    ``app.roles``, so only their names need a row.
    """
    appbuilder = current_app.appbuilder
    security = appbuilder.sm
    for name in (
        security.auth_role_admin,
        security.auth_role_public,
        *current_app.config["FAB_ROLES"],
    ):
        security.add_role(name)
    appbuilder.add_permissions(update_perms=True)
    db.session.commit()


def create_organisation(name: str, project_limit: int | None = None) -> Organisation:
    """Create an organisation.

    :raise Invalid: for an empty name or a negative limit.
    :raise Conflict: if the name is taken.
    """
    name = _checked_organisation_fields(name, project_limit)
    with transaction() as session:
        taken = session.scalar(
            select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
        )
        if taken:
            raise Conflict(N_("An organisation named %(name)s already exists."), name=name)
        organisation = Organisation(name=name, project_limit=project_limit)
        session.add(organisation)
    return organisation


def update_organisation(
    organisation_id: int, name: str, project_limit: int | None = None
) -> Organisation:
    """Rename an organisation and set its project limit (None: no limit).

    A limit below the projects it already has is allowed: it only stops new ones.

    :raise NotFound: if the organisation does not exist.
    :raise Invalid: for an empty name or a negative limit.
    :raise Conflict: if another organisation has the name.
    """
    name = _checked_organisation_fields(name, project_limit)
    with transaction() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound(N_("No such organisation."))
        taken = session.scalar(
            select(Organisation.id).where(
                func.lower(Organisation.name) == name.lower(), Organisation.id != organisation_id
            )
        )
        if taken:
            raise Conflict(N_("An organisation named %(name)s already exists."), name=name)
        organisation.name = name
        organisation.project_limit = project_limit
    return organisation


def find_organisation(name: str) -> Organisation:
    """:raise NotFound: when no organisation has that name (any case)."""
    organisation = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    )
    if organisation is None:
        raise NotFound(N_("No organisation is named %(name)s."), name=name)
    return organisation


def create_user(
    email: str,
    password: str,
    role: str,
    organisation_name: str | None = None,
    name: str | None = None,
    language: str = "fr",
) -> AppUser:
    """Create a login; the email is the username.

    :raise Invalid: for a bad email, a password the rule refuses, an unknown role, an
        organisation role without organisation or a staff role with one.
    :raise Conflict: if the email is taken.
    :raise NotFound: if the organisation does not exist.
    """
    email = checked_email(email)
    check_password(password, email, name)
    try:
        role_enum = Role(role)
    except ValueError:
        raise Invalid(
            N_("Unknown role %(role)s: choose Admin, Team, OrgAdmin or OrgMember."), role=role
        ) from None
    organisation = find_organisation(organisation_name) if organisation_name else None
    _checked_roles((role_enum.value,), organisation.id if organisation else None)
    check_language(language)
    with transaction() as session:
        user = add_user(
            session,
            email=email,
            password=password,
            role=role_enum,
            organisation_id=organisation.id if organisation else None,
            name=name,
            language=language,
            active=True,
        )
    return user


def hash_password(password: str) -> str:
    """Hash a password the way FAB's login checks it."""
    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def add_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    organisation_id: int | None,
    name: str | None,
    language: str,
    active: bool,
) -> AppUser:
    """Add a checked account to the caller's transaction; the email is the login.

    :raise Invalid: for a password the rule refuses.
    :raise Conflict: if an account already uses the email.
    """
    check_password(password, email, name)
    taken = session.scalar(
        select(AppUser.id).where(
            (func.lower(AppUser.email) == email) | (func.lower(AppUser.username) == email)
        )
    )
    if taken:
        raise Conflict(N_("A user with the email %(email)s already exists."), email=email)
    first_name, _, last_name = ((name or "").strip() or email.split("@")[0]).partition(" ")
    user = AppUser(
        username=email,
        email=email,
        first_name=first_name[:64],
        last_name=last_name.strip()[:64],
        active=active,
        status=(MemberStatus.ACTIVE if active else MemberStatus.DEACTIVATED).value,
        language=language,
        organisation_id=organisation_id,
        password=hash_password(password),
    )
    user.roles = [current_app.appbuilder.sm.find_role(role.value)]
    session.add(user)
    return user


STAFF_ROLES = frozenset({Role.ADMIN, Role.TEAM})
ORGANISATION_ROLES = frozenset({Role.ORG_ADMIN, Role.ORG_MEMBER})


@dataclass(frozen=True)
class UserInput:
    """What the Admin's user form holds; the email is the login."""

    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    organisation_id: int | None
    language: str
    active: bool


def save_user(user_id: int | None, data: UserInput, password: str | None = None) -> AppUser:
    """Create an account (``user_id`` None, with its password) or update one, roles included.

    :raise Invalid: for a bad email, a password the rule refuses, no role or one not of ours,
        staff and organisation roles mixed, an organisation role without organisation or a
        staff role with one, or an unknown language.
    :raise Conflict: if another account uses the email.
    :raise NotFound: if the user or the organisation does not exist.
    """
    email = checked_email(data.email)
    if user_id is None:
        check_password(password, email, data.first_name, data.last_name)
    roles = _checked_roles(data.roles, data.organisation_id)
    check_language(data.language)
    with transaction() as session:
        if data.organisation_id is not None and not session.get(Organisation, data.organisation_id):
            raise NotFound(N_("No such organisation."))
        if user_id is None:
            name = f"{data.first_name.strip()} {data.last_name.strip()}".strip()
            user = add_user(
                session,
                email=email,
                password=password or "",
                role=roles[0],
                organisation_id=data.organisation_id,
                name=name or None,
                language=data.language,
                active=data.active,
            )
        else:
            user = session.get(AppUser, user_id)
            if user is None:
                raise NotFound(N_("User not found."))
            _check_email_free(session, email, user_id)
            user.email = user.username = email
            user.active = data.active
            if data.active:
                user.status = MemberStatus.ACTIVE.value
            elif user.status != MemberStatus.INVITED.value:
                user.status = MemberStatus.DEACTIVATED.value
            user.language = data.language
            user.organisation_id = data.organisation_id
        if data.first_name.strip() or data.last_name.strip():
            user.first_name = data.first_name.strip()[:64]
            user.last_name = data.last_name.strip()[:64]
        security = current_app.appbuilder.sm
        user.roles = [security.find_role(role.value) for role in roles]
    return user


def set_password(
    user_id: int,
    password: str,
    current_password: str | None = None,
    *,
    keep_session: str | None = None,
) -> None:
    """Give an account a new password, hashed the way the login checks it; end every session and
    token signed in with the old one, and tell the owner.

    Whoever set it (the owner, an Admin, a reset link), the owner is emailed a notice once the
    change commits, saying what to do if it was not them.

    :param current_password: required when users change their own password: it must be the
        account's present password.
    :param keep_session: the session the user changes their own password from, which stays
        open; every other one ends (an Admin's reset or a reset link keeps none).
    :raise Invalid: for a wrong current password, or a new one the rule refuses.
    :raise NotFound: if the user does not exist.
    """
    with transaction() as session:
        user = session.get(AppUser, user_id)
        if user is None:
            raise NotFound(N_("User not found."))
        if current_password is not None and not check_password_hash(
            user.password or "", current_password
        ):
            raise Invalid(N_("The current password is not right."))
        check_password(password, user.email, user.first_name, user.last_name)
        user.password = hash_password(password)
        end_sessions_of(session, user_id, keep=keep_session, reason=SessionEnd.PASSWORD_CHANGED)
        queue_job(
            session,
            CHANGE_NOTICE_JOB,
            {"user_id": user.id, "changed_at": utcnow().isoformat()},
            queue=EMAIL_QUEUE,
        )


def _checked_roles(names: tuple[str, ...], organisation_id: int | None) -> list[Role]:
    if not names:
        raise Invalid(N_("Choose a role: Admin, Team, OrgAdmin or OrgMember."))
    try:
        roles = sorted({Role(name) for name in names}, key=list(Role).index)
    except ValueError:
        raise Invalid(N_("Choose a role: Admin, Team, OrgAdmin or OrgMember.")) from None
    staff = STAFF_ROLES.intersection(roles)
    if staff and len(staff) != len(roles):
        raise Invalid(N_("A user is either CNC Pulse staff or an organisation user, not both."))
    if staff and organisation_id is not None:
        raise Invalid(N_("CNC Pulse staff do not belong to an organisation."))
    if not staff and organisation_id is None:
        raise Invalid(N_("An organisation user needs an organisation."))
    return roles


def _check_email_free(session: Session, email: str, user_id: int) -> None:
    taken = session.scalar(
        select(AppUser.id).where(
            (func.lower(AppUser.email) == email) | (func.lower(AppUser.username) == email),
            AppUser.id != user_id,
        )
    )
    if taken:
        raise Conflict(N_("A user with the email %(email)s already exists."), email=email)
