"""The organisation's own project list as CSV, with the filters the list shows."""

from typing import Any

from flask import redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.csv_export import parse_dialect
from app.domain.errors import DomainError
from app.services.export import projects_csv
from app.views.errors import flash_error
from app.views.exports import csv_response
from app.views.portal.common import portal_viewer
from app.views.portal.listing import list_search


class ExportPortalView(BaseView):
    """Download the organisation's projects, searched and filtered as on the list."""

    route_base = "/portal/projects"
    base_permissions = ["can_export"]

    @expose("/export")
    @has_access
    def export(self) -> Any:
        """Stream the list's projects as CSV, in the chosen dialect."""
        viewer = portal_viewer()
        criteria = list_search(request.args)
        try:
            download = projects_csv(
                viewer,
                parse_dialect(request.args.get("dialect")),
                criteria.arguments,
                criteria.ordered,
                translate=gettext,
            )
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("ProjectPortalView.list"))
        return csv_response(download)
