"""The organisation portal: each organisation user's projects, files, comments and account."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext


def shown_to_organisation_users() -> bool:
    """Tell whether the portal's menu entries belong in this user's navigation bar."""
    from app.security import current_viewer

    viewer = current_viewer()
    return viewer is not None and viewer.is_org_user


def register_portal_views(appbuilder: AppBuilder) -> None:
    from app.views.portal.dashboard import DashboardPortalView
    from app.views.portal.documents import ProjectDocumentPortalView
    from app.views.portal.exports import ExportPortalView
    from app.views.portal.files import CommentPortalView, ProjectFilePortalView
    from app.views.portal.member import InvitationView, MemberPortalView
    from app.views.portal.payment_link import ProjectPaymentPortalView
    from app.views.portal.project import ProjectPortalView

    # Menu names are permission names too: app.roles grants menu_access by matching them.
    # Admin holds every permission; the portal's entries are still only for organisations.
    appbuilder.add_view(
        DashboardPortalView,
        "Portail",
        label=lazy_gettext("Dashboard"),
        icon="fa-dashboard",
        menu_cond=shown_to_organisation_users,
    )
    appbuilder.add_view(
        ProjectPortalView,
        "Mes projets",
        label=lazy_gettext("My projects"),
        icon="fa-folder-open",
        menu_cond=shown_to_organisation_users,
    )
    appbuilder.add_view_no_menu(ProjectFilePortalView)
    appbuilder.add_view_no_menu(ProjectDocumentPortalView)
    appbuilder.add_view_no_menu(ExportPortalView)
    appbuilder.add_view_no_menu(CommentPortalView)
    appbuilder.add_view_no_menu(ProjectPaymentPortalView)
    appbuilder.add_view_no_menu(MemberPortalView)
    # Public: the invited member has no password yet.
    appbuilder.add_view_no_menu(InvitationView)
