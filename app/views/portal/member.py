"""An organisation administrator's members page, and the public page that accepts an invitation."""

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.errors import DomainError, NotFound, PermissionDenied
from app.services.member import (
    accept_invitation,
    deactivate_member,
    find_invitation,
    invite_member,
    members_of,
    resend_invitation,
    revoke_invitation,
)
from app.views.errors import flash_error
from app.views.portal.common import portal_viewer


class MemberPortalView(BaseView):
    """List, invite and deactivate the members of the viewer's own organisation."""

    route_base = "/portal/members"
    default_view = "list"
    base_permissions = ["can_list", "can_invite", "can_deactivate", "can_resend", "can_revoke"]

    @expose("/")
    @has_access
    def list(self) -> Any:
        """List the organisation's accounts with the invitation form."""
        viewer = portal_viewer()
        try:
            members = members_of(viewer, viewer.organisation_id)
        except PermissionDenied:
            abort(403)
        return self.render_template(
            "portal/members.html", members=members, values=request.form, me=viewer.user_id
        )

    @expose("/invite", methods=["POST"])
    @has_access
    def invite(self) -> Any:
        """Create the member's account and send them the link to choose a password."""
        viewer = portal_viewer()
        email = request.form.get("email", "")
        try:
            invite_member(
                viewer,
                viewer.organisation_id,
                email,
                request.form.get("name", ""),
                request.form.get("language", "fr"),
            )
        except PermissionDenied:
            abort(403)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("An invitation was sent to %(email)s.", email=email.strip()), "success")
        return redirect(url_for(".list"))

    @expose("/<int:user_id>/deactivate", methods=["POST"])
    @has_access
    def deactivate(self, user_id: int) -> Any:
        """Close a member's account."""
        return self._change(deactivate_member, user_id, gettext("The account is deactivated."))

    @expose("/<int:user_id>/resend", methods=["POST"])
    @has_access
    def resend(self, user_id: int) -> Any:
        """Send an invited member a new link; the previous one stops working."""
        return self._change(resend_invitation, user_id, gettext("A new invitation was sent."))

    @expose("/<int:user_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, user_id: int) -> Any:
        """Withdraw an invitation before it is accepted."""
        return self._change(revoke_invitation, user_id, gettext("The invitation is revoked."))

    def _change(self, service: Any, user_id: int, done: str) -> Any:
        # A member who may not manage members gets the members list's answer: 403.
        viewer = portal_viewer()
        try:
            service(viewer, viewer.organisation_id, user_id)
        except PermissionDenied:
            abort(403)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(done, "success")
        return redirect(url_for(".list"))


class InvitationView(BaseView):
    """Let an invited member choose their password, without being logged in."""

    route_base = "/invitation"

    @expose("/<token>", methods=["GET", "POST"])
    def accept(self, token: str) -> Any:
        """Show the password form for an open invitation, or open the account."""
        try:
            invitation = find_invitation(token)
        except NotFound as error:
            flash_error(error)
            return self.render_template("portal/invitation.html", invitation=None), 404
        if request.method == "POST":
            password = request.form.get("password", "")
            if password != request.form.get("confirm", ""):
                flash(gettext("The two passwords differ."), "danger")
            else:
                try:
                    accept_invitation(token, password)
                except DomainError as error:
                    flash_error(error)
                else:
                    flash(gettext("Your account is open: log in with your email."), "success")
                    return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("portal/invitation.html", invitation=invitation)
