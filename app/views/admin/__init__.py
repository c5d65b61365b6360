"""The back office: the team's screens over every organisation."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext


def register_admin_views(appbuilder: AppBuilder) -> None:
    from app.views.admin.project import ProjectAdminView

    # Menu names are permission names too: app.roles grants menu_access by matching them.
    appbuilder.add_view(
        ProjectAdminView,
        "Projects",
        label=lazy_gettext("All projects"),
        icon="fa-folder-open",
        category="Projets",
        category_label=lazy_gettext("Projects"),
        category_icon="fa-industry",
    )
