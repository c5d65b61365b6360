"""The forgotten-password pages: ask for a link by email, then choose a new password with it.

No login. Asking answers the same for every address, so the page tells nobody who has an
account; an unknown, used or expired link gets one page, the same for all.
"""

from typing import Any

from flask import flash, redirect, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext

from app.domain.errors import DomainError, NotFound
from app.extensions import limiter
from app.services.password_reset import find_password_reset, request_password_reset, reset_password
from app.views.errors import flash_error

# Per address: enough for a person who mistypes, too few to flood someone's mailbox.
REQUEST_LIMIT = "5 per minute;20 per hour"
# Per address: generous for a person, slow for anyone guessing tokens.
LINK_LIMIT = "30 per minute"


class ForgotPasswordView(BaseView):
    """Ask for a reset link, and set a new password with it."""

    route_base = ""
    default_view = "forgot"

    @expose("/forgot-password/", methods=["GET"])
    def forgot(self) -> Any:
        """Show the form that asks for the account's email."""
        return self.render_template("shared/forgot_password.html")

    @expose("/forgot-password/", methods=["POST"])
    @limiter.limit(REQUEST_LIMIT, methods=["POST"])
    def ask(self) -> Any:
        """Send a link if an active account uses the email; answer the same in every case."""
        request_password_reset(request.form.get("email", ""))
        flash(
            gettext(
                "If an active account uses this address, an email with a link to choose a new "
                "password is on its way. The link works once, for one hour."
            ),
            "info",
        )
        return redirect(self.appbuilder.get_url_for_login)

    @expose("/reset-password/<token>", methods=["GET", "POST"])
    @limiter.limit(LINK_LIMIT)
    def reset(self, token: str) -> Any:
        """Show the new-password form for an open link, or set the password."""
        try:
            found = find_password_reset(token)
        except NotFound as error:
            flash_error(error)
            # Kept out of caches and out of the next site's Referer, as every token page
            # (app.security_headers).
            return self.render_template("shared/reset_password.html", email=None), 404
        if request.method == "POST":
            password = request.form.get("password", "")
            if password != request.form.get("confirm", ""):
                flash(gettext("The two passwords differ."), "danger")
            else:
                try:
                    reset_password(token, password)
                except DomainError as error:
                    flash_error(error)
                else:
                    flash(
                        gettext("Your password is changed: sign in with your new password."),
                        "success",
                    )
                    return redirect(self.appbuilder.get_url_for_login)
        page = self.render_template("shared/reset_password.html", email=found.user.email)
        return page, 422 if request.method == "POST" else 200
