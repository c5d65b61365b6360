"""The landing page: staff go to their dashboard, organisation users to their portal."""

from typing import Any

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.security import current_viewer


class HomeView(IndexView):
    """Send each visitor where their work is."""

    index_template = "admin/home.html"

    @expose("/")
    def index(self) -> Any:
        """Send staff to their dashboard, organisation users to their portal, visitors to login."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        viewer = current_viewer()
        if viewer is not None and viewer.is_staff:
            return redirect(url_for("DashboardAdminView.index"))
        if viewer is not None and viewer.is_org_user:
            return redirect(url_for("DashboardPortalView.index"))
        return self.render_template(self.index_template, organisation=user.organisation)
