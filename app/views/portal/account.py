"""The organisation user's own settings: which emails they receive, and their language."""

from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext, refresh

from app.domain.errors import DomainError
from app.domain.notifications import PREFERENCE_LABELS, preference_kinds_for
from app.services.member import set_language
from app.services.notification import preferences_for, set_preference
from app.views.errors import flash_error
from app.views.portal.common import portal_viewer


class AccountPortalView(BaseView):
    """Show and save the viewer's notification preferences and interface language."""

    route_base = "/portal/account"
    default_view = "index"
    base_permissions = ["can_index"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self) -> Any:
        """Show the settings, or save those the form sends."""
        viewer = portal_viewer()
        kinds = preference_kinds_for(staff=False)
        if request.method == "POST":
            chosen = set(request.form.getlist("notify"))
            language = request.form.get("language", "")
            try:
                # The language first: the one field a person can get wrong stops the whole save.
                set_language(viewer.user_id, language)
                current = preferences_for(viewer.user_id)
                for kind in kinds:
                    if current[kind.value] != (kind.value in chosen):
                        set_preference(viewer.user_id, kind.value, kind.value in chosen)
            except DomainError as error:
                flash_error(error)
            else:
                session["locale"] = language
                refresh()
                flash(gettext("Your settings are saved."), "success")
                return redirect(url_for(".index"))
        preferences = preferences_for(viewer.user_id)
        return self.render_template(
            "portal/account.html",
            preferences=[(k.value, PREFERENCE_LABELS[k], preferences[k.value]) for k in kinds],
            languages=current_app.config["LANGUAGES"],
            language=g.user.language,
        )
