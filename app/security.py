"""The security manager: users belong to an organisation, and carry one role of ours.

The security screens it serves are ours, in :mod:`app.views.accounts`. Every sign-in is a
session kept on the server (:mod:`app.services.sessions`): the cookie carries its id, and so do
the API's tokens, and each request is let in only while that session is open.
"""

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, flash, g, request, session
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.sqla.models import Group
from flask_babel import lazy_gettext
from flask_jwt_extended import JWTManager
from flask_login import LoginManager, user_logged_in
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain.policy import Role, Viewer
from app.domain.sessions import SessionEnd, SessionKind
from app.models.user import AppUser
from app.services.sessions import SESSION_KEY, check_session, end_session, start_session
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
from app.views.api.security import SESSION_CLAIM, SecurityApi
from app.views.sign_in import AuthDBView, forget_failed_sign_ins, note_failed_sign_in

# What Flask-Login keeps in the cookie for a signed-in user.
LOGIN_KEYS = ("_user_id", "_fresh", "_id")
SESSION_ENDED = lazy_gettext("Your session has ended: please sign in again.")

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

    def create_login_manager(self, app: Flask) -> LoginManager:
        """Open a session on the server at each sign-in through a browser."""
        manager = super().create_login_manager(app)
        # FAB hands over current_app; signals name the application itself as their sender.
        user_logged_in.connect(self._open_web_session, app._get_current_object())
        return manager

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """Refuse a token whose session is not open; let neither cookie nor token outlive it."""
        lifetime = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
        app.config["JWT_REFRESH_TOKEN_EXPIRES"] = lifetime
        manager = super().create_jwt_manager(app)
        manager.token_in_blocklist_loader(self._token_revoked)
        return manager

    def _open_web_session(self, sender: Flask, user: AppUser, **extra: Any) -> None:
        session[SESSION_KEY] = start_session(
            user.id,
            SessionKind.WEB,
            user_agent=request.user_agent.string,
            address=request.remote_addr or "",
        )

    def _token_revoked(self, header: dict, payload: dict) -> bool:
        try:
            user_id = int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            return True
        return not check_session(payload.get(SESSION_CLAIM), user_id)

    def load_user(self, pk: Any) -> AppUser | None:
        """Load the cookie's user while its session is open; sign the browser out otherwise."""
        if not check_session(session.get(SESSION_KEY), int(pk)):
            for key in (*LOGIN_KEYS, SESSION_KEY):
                session.pop(key, None)
            flash(str(SESSION_ENDED), "warning")
            return None
        return super().load_user(pk)

    def load_user_jwt(self, header: dict, payload: dict) -> AppUser | None:
        """Load a token's user: its session was checked with the token."""
        user = self.get_user_by_id(int(payload["sub"]))
        if user is None or not user.is_active:
            return None
        g.user = user
        return user

    def on_user_logout(self, user: AppUser) -> None:
        """End the browser's session: its cookie, copied or not, no longer signs anyone in."""
        end_session(session.pop(SESSION_KEY, None), SessionEnd.LOGOUT)

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


def current_session_id() -> str | None:
    """Return the id of the browser session this request is signed in with."""
    return session.get(SESSION_KEY)


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
