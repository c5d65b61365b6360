"""The one place views, menus and blueprints are wired."""

from flask import Flask
from flask_appbuilder import AppBuilder


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    from app.extensions import csrf
    from app.views.account import AccountView
    from app.views.admin import register_admin_views
    from app.views.api import register_api
    from app.views.formatting import register_formatting
    from app.views.layout import register_layout
    from app.views.password_reset import ForgotPasswordView
    from app.views.portal import register_portal_views
    from app.views.portal.common import send_staff_to_back_office
    from app.views.public.health import health_bp
    from app.views.public.pay import pay_bp
    from app.views.public.stripe_webhook import stripe_webhook_bp
    from app.views.storage_errors import register_storage_errors

    register_formatting(app)
    register_storage_errors(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(pay_bp)
    # Stripe signs its events; it cannot send our CSRF token.
    csrf.exempt(stripe_webhook_bp)
    app.register_blueprint(stripe_webhook_bp)
    register_admin_views(appbuilder)
    register_portal_views(appbuilder)
    register_api(appbuilder)
    # Public: whoever forgot their password cannot log in.
    appbuilder.add_view_no_menu(ForgotPasswordView)
    appbuilder.add_view_no_menu(AccountView)
    # Runs before the portal's permission check, which would answer staff 403.
    app.before_request(send_staff_to_back_office)
    register_layout(app, appbuilder)
