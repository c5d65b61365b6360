"""The client's payment link seen from the portal: send it again."""

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.errors import DomainError, NotFound
from app.services.payment_link import resend_payment_link
from app.views.errors import flash_error
from app.views.portal.common import portal_viewer


class ProjectPaymentPortalView(BaseView):
    """Follow the client's payment of a project of the viewer's organisation."""

    route_base = "/portal/projects"
    base_permissions = ["can_resend_link"]

    @expose("/<int:pk>/payment-link/resend", methods=["POST"])
    @has_access
    def resend_link(self, pk: int) -> Any:
        """Email the client the payment link again; the service decides whether it may."""
        viewer = portal_viewer()
        try:
            resend_payment_link(viewer, pk)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("The payment link is on its way to your client again."), "success")
        return redirect(url_for("ProjectPortalView.show", pk=pk) + "#section-payment")
