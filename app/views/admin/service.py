"""The requested services: the team reads the list; Admin adds, renames, withdraws and deletes."""

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.domain.errors import DomainError, NotFound
from app.domain.policy import Viewer
from app.models import RequestedService
from app.queries.records import projects_per_service, requested_service, requested_services
from app.security import current_viewer
from app.services.requested_service import (
    add_service,
    delete_service,
    rename_service,
    set_service_offered,
)
from app.views.errors import flash_error, message_of

FORM_TEMPLATE = "admin/service_form.html"


class RequestedServiceAdminView(BaseView):
    """List the services a project can ask for; Admin changes them through the services."""

    route_base = "/admin/services"
    default_view = "list"
    base_permissions = ["can_list", "can_add", "can_edit", "can_delete"]
    method_permission_name = {
        "list": "list",
        "add": "add",
        "edit": "edit",
        "offer": "edit",
        "delete": "delete",
    }

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """Show every service in the forms' order, with how many projects asked for it."""
        return self.render_template(
            "admin/service_list.html",
            services=requested_services(),
            used=projects_per_service(),
            can_manage=self.appbuilder.sm.has_access("can_edit", self.class_permission_name),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Show the form, or add the service named."""
        form = _typed()
        if request.method == "POST":
            try:
                service = add_service(_viewer(), form["name"], form["name_en"])
            except DomainError as error:
                return self._form(None, form, message_of(error))
            flash(gettext("Service %(name)s added.", name=service.name), "success")
            return _to_list()
        return self._form(None, form)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Show the form, or save the names typed."""
        service = requested_service(pk)
        if service is None:
            abort(404)
        if request.method == "GET":
            return self._form(service, {"name": service.name, "name_en": service.name_en or ""})
        form = _typed()
        try:
            rename_service(_viewer(), pk, form["name"], form["name_en"])
        except NotFound:
            abort(404)
        except DomainError as error:
            return self._form(service, form, message_of(error))
        flash(gettext("Service saved."), "success")
        return _to_list()

    @expose("/<int:pk>/offered", methods=["POST"])
    @has_access
    def offer(self, pk: int) -> Response:
        """Offer the service on new project forms again (``offered=1``), or withdraw it."""
        offered = request.form.get("offered") == "1"
        try:
            service = set_service_offered(_viewer(), pk, offered)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            if offered:
                flash(gettext("%(name)s is offered again.", name=service.name), "success")
            else:
                flash(
                    gettext(
                        "%(name)s is no longer offered on new projects; the projects that "
                        "have it keep it.",
                        name=service.name,
                    ),
                    "success",
                )
        return _to_list()

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int) -> Response:
        """Delete a service no project asked for; one in use is refused."""
        try:
            name = delete_service(_viewer(), pk)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("Service %(name)s deleted.", name=name), "success")
        return _to_list()

    def _form(
        self, service: RequestedService | None, form: dict[str, str], error: str | None = None
    ) -> tuple[str, int]:
        # A refused form is shown again with what was typed, so nothing typed is lost.
        page = self.render_template(FORM_TEMPLATE, service=service, form=form, error=error)
        return page, 422 if error else 200


def _viewer() -> Viewer:
    viewer = current_viewer()
    if viewer is None:
        abort(403)
    return viewer


def _typed() -> dict[str, str]:
    return {"name": request.form.get("name", ""), "name_en": request.form.get("name_en", "")}


def _to_list() -> Response:
    return redirect(url_for("RequestedServiceAdminView.list"))
