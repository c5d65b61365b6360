"""The security manager: users belong to an organisation, and carry one role of ours.

The security screens it serves are ours, in :mod:`app.views.accounts`.
"""

from flask import g, session
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.sqla.models import Group
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain.policy import Role, Viewer
from app.models.user import AppUser
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

    def update_user_auth_stat(self, user: AppUser, success: bool = True) -> None:
        """Record the login and switch the interface to the user's language."""
        super().update_user_auth_stat(user, success)
        if success and user.language:
            session["locale"] = user.language


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
