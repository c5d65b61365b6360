"""Every user's own account page: name, language, emails, password, and open sessions."""

from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext, ngettext, refresh

from app.domain.errors import DomainError
from app.domain.notifications import PREFERENCE_LABELS, preference_kinds_for
from app.domain.policy import Role
from app.queries.sessions import open_sessions
from app.security import current_session_id, current_viewer
from app.services.member import save_own_settings
from app.services.notification import preferences_for
from app.services.sessions import end_other_sessions, now, session_limits
from app.views.errors import flash_error


class AccountView(BaseView):
    """One page for Admin, Team and organisation users alike; each sees their own account."""

    route_base = "/account"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self) -> Any:
        """Show the account, or save the settings its form sends."""
        user = g.user
        staff = self._is_staff()
        kinds = self._kinds(user, staff)
        if request.method == "POST":
            form = request.form
            try:
                save_own_settings(
                    user.id,
                    first_name=form.get("first_name", ""),
                    last_name=form.get("last_name", ""),
                    language=form.get("language", ""),
                    notify=set(form.getlist("notify")),
                    kinds=kinds,
                )
            except DomainError as error:
                flash_error(error)
                return self._page(staff, kinds, form=form), 400
            session["locale"] = form["language"]
            refresh()
            flash(gettext("Your settings are saved."), "success")
            return redirect(url_for(".index"))
        return self._page(staff, kinds)

    @expose("/sessions/end-others", methods=["POST"])
    @has_access
    def end_other_sessions(self) -> Any:
        """End every session of the user but this browser's."""
        ended = end_other_sessions(g.user.id, keep=current_session_id())
        if ended:
            flash(
                ngettext("%(num)d other session ended.", "%(num)d other sessions ended.", ended),
                "success",
            )
        else:
            flash(gettext("No other session was open."), "info")
        return redirect(url_for(".index"))

    @staticmethod
    def _is_staff() -> bool:
        viewer = current_viewer()
        return viewer is not None and viewer.is_staff

    @staticmethod
    def _kinds(user: Any, staff: bool) -> list[str]:
        """The emails the user may switch off: the team's go to Team accounts, not to Admin's."""
        if staff and not any(role.name == Role.TEAM.value for role in user.roles):
            return []
        return [kind.value for kind in preference_kinds_for(staff=staff)]

    def _page(self, staff: bool, kinds: list[str], form: Any = None) -> Any:
        user = g.user
        stored = preferences_for(user.id)
        if form is not None:
            # A refused form shows what was sent, so nothing typed is lost.
            chosen = set(form.getlist("notify"))
            enabled = {kind: kind in chosen for kind in kinds}
            details = {
                "first_name": form.get("first_name", ""),
                "last_name": form.get("last_name", ""),
                "language": form.get("language", ""),
            }
        else:
            enabled = {kind: stored[kind] for kind in kinds}
            details = {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
            }
        labels = {event.value: label for event, label in PREFERENCE_LABELS.items()}
        return self.render_template(
            "shared/account.html",
            base_template="admin/base.html" if staff else "portal/base.html",
            user=user,
            details=details,
            languages=current_app.config["LANGUAGES"],
            preferences=[(kind, labels[kind], enabled[kind]) for kind in kinds],
            sessions=open_sessions(user.id, now(), session_limits()),
            current_session=current_session_id(),
        )
