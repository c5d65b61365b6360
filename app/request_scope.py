"""Scope each request's session to the signed-in user's organisation, and lift it after.

The scoping itself is :mod:`app.tenancy`'s; these are the hooks that apply it per request.
"""

from flask import request
from flask_jwt_extended import verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import current_user
from jwt.exceptions import PyJWTError
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.domain.policy import Viewer
from app.extensions import db
from app.security import current_viewer
from app.tenancy import NO_ORGANISATION, scope_viewer, set_tenant


def scope_request() -> None:
    """Scope this request's session to the organisation of an organisation user; staff see all.

    An API call carrying a token has no logged-in user yet when this runs (FAB checks the token
    in each endpoint), so the token is checked here first. A token that does not check out scopes
    the request to nothing at all; the endpoint then refuses it.
    """
    if _is_static_file():
        # Static files read nothing from the database: loading their user would cost a query.
        return
    if _bears_api_token() and not _load_token_identity():
        set_tenant(db.session, NO_ORGANISATION)
        return
    viewer = current_viewer()
    scope_viewer(db.session, viewer)
    if viewer is not None and viewer.is_org_user:
        _keep_signed_in_user(db.session)


def scope_to(viewer: Viewer) -> None:
    """Scope this request's session to what ``viewer`` may see: their organisation, or all."""
    scope_viewer(db.session, viewer)


def _is_static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _keep_signed_in_user(session: Session) -> None:
    """Put the signed-in organisation user back in the session their scope just emptied.

    FAB checks permissions (once per menu entry) on an attached user: a detached one is loaded
    again for each check. The user is their own account, which their scope lets them read.
    """
    if not current_user or not current_user.is_authenticated:
        return
    user = current_user._get_current_object()
    if inspect(user).detached:
        session.add(user)


def unscope_request(error: BaseException | None = None) -> None:
    """Lift the scope once the request is done, so code after it starts unscoped."""
    set_tenant(db.session, None)


def _bears_api_token() -> bool:
    return (
        request.path.startswith("/api/")
        and request.headers.get("Authorization", "").startswith("Bearer ")
        and not current_user.is_authenticated
    )


def _load_token_identity() -> bool:
    """Check the request's JWT, which sets ``g.user`` (FAB's user loader); False if it fails."""
    try:
        return verify_jwt_in_request(optional=True) is not None
    except (JWTExtendedException, PyJWTError):
        return False
