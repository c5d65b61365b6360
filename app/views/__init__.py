"""The one place views, menus and blueprints are wired."""

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    from app.views.admin.project import ProjectAdminView
    from app.views.formatting import register_formatting
    from app.views.public.health import health_bp

    register_formatting(app)
    app.register_blueprint(health_bp)

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
