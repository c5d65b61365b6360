"""The one place views, menus and blueprints are wired."""

from flask import Flask
from flask_appbuilder import AppBuilder


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    from app.views.admin import register_admin_views
    from app.views.formatting import register_formatting
    from app.views.portal import register_portal_views
    from app.views.public.health import health_bp

    register_formatting(app)
    app.register_blueprint(health_bp)
    register_admin_views(appbuilder)
    register_portal_views(appbuilder)
