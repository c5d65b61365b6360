"""The organisation portal: each organisation user's projects, files, comments and account."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext


def register_portal_views(appbuilder: AppBuilder) -> None:
    from app.views.portal.account import AccountPortalView
    from app.views.portal.dashboard import DashboardPortalView
    from app.views.portal.exports import ExportPortalView
    from app.views.portal.files import CommentPortalView, ProjectFilePortalView
    from app.views.portal.member import InvitationView, MemberPortalView
    from app.views.portal.project import ProjectPortalView

    # Menu names are permission names too: app.roles grants menu_access by matching them.
    appbuilder.add_view(
        DashboardPortalView,
        "Portail",
        label=lazy_gettext("Dashboard"),
        icon="fa-dashboard",
    )
    appbuilder.add_view(
        ProjectPortalView,
        "Mes projets",
        label=lazy_gettext("My projects"),
        icon="fa-folder-open",
    )
    appbuilder.add_view_no_menu(ProjectFilePortalView)
    appbuilder.add_view_no_menu(ExportPortalView)
    appbuilder.add_view_no_menu(CommentPortalView)
    appbuilder.add_view_no_menu(AccountPortalView)
    appbuilder.add_view_no_menu(MemberPortalView)
    # Public: the invited member has no password yet.
    appbuilder.add_view_no_menu(InvitationView)
