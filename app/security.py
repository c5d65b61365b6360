"""The security manager: users belong to an organisation, and carry one role of ours.

The security screens it serves are ours, in :mod:`app.views.accounts`.
"""

from datetime import datetime

from flask import g, session
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.sqla.models import Group
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain.policy import Role, Viewer
from app.models.user import AppUser
from app.services.sign_in import lock_after_failure, lock_end
from app.views.accounts import (
    PermissionModelView,
    PermissionViewModelView,
    ResetMyPasswordView,
    ResetPasswordView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from app.views.sign_in import (
    AuthDBView,
    SecurityApi,
    forget_failed_sign_ins,
    note_failed_sign_in,
)

# Strongest first: a user holding several roles acts with the first one found.
ROLE_ORDER = (Role.ADMIN, Role.TEAM, Role.ORG_ADMIN, Role.ORG_MEMBER)


class SecurityManager(FabSecurityManager):
    user_model = AppUser
    userdbmodelview = UserDBModelView
    rolemodelview = RoleModelView
    groupmodelview = UserGroupModelView
    permissionmodelview = PermissionModelView
    viewmenumodelview = ViewMenuModelView
    permissionviewmodelview = PermissionViewModelView
    resetpasswordview = ResetPasswordView
    resetmypasswordview = ResetMyPasswordView
    authdbview = AuthDBView
    security_api = SecurityApi

    def get_user_by_id(self, pk: int) -> AppUser | None:
        """Load a user with what every request reads of them: organisation, roles and groups.

        One statement instead of three: FAB reads the roles and the groups' roles on each
        permission check, and would load them one relationship at a time.
        """
        statement = (
            select(AppUser)
            .options(
                joinedload(AppUser.roles),
                joinedload(AppUser.groups).joinedload(Group.roles),
            )
            .where(AppUser.id == pk)
        )
        return self.session.execute(statement).unique().scalar_one_or_none()

    def lock_of(self, name: str) -> datetime | None:
        """Return when the lock on the account ``name`` signs in as ends, or None if unlocked.

        A sign-in refused for the lock counts as a failed one against the limits.
        """
        if not name:
            return None
        user = self.find_user(username=name) or self.find_user(email=name)
        until = lock_end(user) if user is not None else None
        if until is not None:
            note_failed_sign_in()
        return until

    def auth_user_db(self, username: str, password: str) -> AppUser | None:
        """Check the password of an account that is not locked; tell the limits how it went."""
        if self.lock_of(username) is not None:
            return None
        user = super().auth_user_db(username, password)
        if user is None:
            note_failed_sign_in()
        else:
            forget_failed_sign_ins()
        return user

    def update_user_auth_stat(self, user: AppUser, success: bool = True) -> None:
        """Record the login and switch the interface to the user's language.

        A success forgets the failures and any lock that ended; a failure may lock the account.
        """
        if success:
            user.locked_until = user.failed_sign_ins_since = None
        super().update_user_auth_stat(user, success)
        if success and user.language:
            session["locale"] = user.language
        elif not success:
            lock_after_failure(user.id)


def role_of(user: AppUser) -> Role | None:
    names = {role.name for role in user.roles}
    return next((role for role in ROLE_ORDER if role.value in names), None)


def viewer_for(user: AppUser) -> Viewer | None:
    """Describe ``user`` to the access rules, or None for an account without a role of ours."""
    role = role_of(user)
    if role is None:
        return None
    return Viewer(user_id=user.id, role=role, organisation_id=user.organisation_id)


def current_viewer() -> Viewer | None:
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return viewer_for(user)
