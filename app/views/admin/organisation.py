"""The organisations: their project limit, members and projects per status; create and edit."""

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.errors import N_, DomainError, Invalid
from app.domain.workflow import ProjectStatus
from app.models import Organisation
from app.queries.records import (
    members_per_organisation,
    projects_per_organisation,
)
from app.queries.records import organisation as find_organisation
from app.queries.records import organisations as all_organisations
from app.services.account import create_organisation, update_organisation
from app.views.errors import message_of

FORM_TEMPLATE = "admin/organisation_form.html"


def _limit(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid(N_("The project limit must be a whole number, or empty for no limit."))
    return int(text)


class OrganisationAdminView(BaseView):
    """List organisations with their counts; Admin creates and edits them through the services."""

    route_base = "/admin/organisations"
    default_view = "list"
    base_permissions = ["can_list", "can_add", "can_edit"]
    method_permission_name = {"list": "list", "add": "add", "edit": "edit"}

    @expose("/")
    @has_access
    def list(self) -> Any:
        """Show every organisation with its members and projects per status."""
        organisations = all_organisations()
        return self.render_template(
            "admin/organisation_list.html",
            organisations=organisations,
            projects=projects_per_organisation(),
            members=members_per_organisation(),
            statuses=list(ProjectStatus),
            can_manage=self.appbuilder.sm.has_access("can_add", self.class_permission_name),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Show the form, or create the organisation typed."""
        form = {"name": request.form.get("name", ""), "limit": request.form.get("limit", "")}
        if request.method == "POST":
            try:
                create_organisation(form["name"], _limit(form["limit"]))
            except DomainError as error:
                return self._form(None, form, message_of(error))
            flash(gettext("Organisation created."), "success")
            return redirect(url_for("OrganisationAdminView.list"))
        return self._form(None, form)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Show the form, or save the name and limit typed."""
        organisation = find_organisation(pk)
        if organisation is None:
            abort(404)
        if request.method == "GET":
            limit = organisation.project_limit
            form = {"name": organisation.name, "limit": "" if limit is None else str(limit)}
            return self._form(organisation, form)
        form = {"name": request.form.get("name", ""), "limit": request.form.get("limit", "")}
        try:
            update_organisation(pk, form["name"], _limit(form["limit"]))
        except DomainError as error:
            return self._form(organisation, form, message_of(error))
        flash(gettext("Organisation saved."), "success")
        return redirect(url_for("OrganisationAdminView.list"))

    def _form(
        self, organisation: Organisation | None, form: dict[str, str], error: str | None = None
    ) -> tuple[str, int]:
        # A refused form is shown again with what was typed, so nothing typed is lost.
        status = 422 if error else 200
        page = self.render_template(
            FORM_TEMPLATE, organisation=organisation, form=form, error=error
        )
        return page, status
