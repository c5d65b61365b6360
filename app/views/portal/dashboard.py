"""The portal's landing page: the organisation's projects counted by status group."""

from typing import Any

from flask_appbuilder import BaseView, expose, has_access

from app.domain import policy
from app.queries.dashboard import counters
from app.views.portal.common import portal_viewer


class DashboardPortalView(BaseView):
    """Show the counters of SPEC §7, each opening the list filtered on its statuses."""

    route_base = "/portal"
    default_view = "index"
    base_permissions = ["can_index"]

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Count the projects of the viewer's organisation; the tenant scope does the filtering."""
        viewer = portal_viewer()
        return self.render_template(
            "portal/dashboard.html",
            counters=counters(viewer.organisation_id),
            manages_members=policy.can_manage_members(viewer, viewer.organisation_id),
        )
