"""The organisation's projects: list, page, creation, edition and deletion, all through services."""

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain import policy
from app.domain.errors import DomainError, NotFound
from app.domain.workflow import ProjectStatus
from app.models import Project
from app.queries.documents import latest_invoice
from app.queries.project_page import (
    comments_for,
    deletion_loss,
    files_of,
    history_of,
    link_summary,
    offered_services,
    project_for,
)
from app.services.project import create_project, delete_project, edit_project
from app.views.errors import flash_error
from app.views.portal.common import portal_viewer, project_changes, project_input, uploads_of
from app.views.portal.listing import COUNTER_GROUPS, find_projects


class ProjectPortalView(BaseView):
    """Let an organisation user follow and change their organisation's projects."""

    route_base = "/portal/projects"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]

    @expose("/")
    @has_access
    def list(self) -> Any:
        """List the organisation's projects, searched, filtered and sorted as asked."""
        viewer = portal_viewer()
        return self.render_template(
            "portal/project_list.html",
            result=find_projects(viewer.organisation_id, request.args),
            statuses=list(ProjectStatus),
            groups=COUNTER_GROUPS,
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show a project as its organisation sees it: no internal note, no team-only action."""
        viewer = portal_viewer()
        project = _project_or_404(pk)
        comments = comments_for(viewer, pk)
        files = files_of(pk)
        status = project.status_enum
        org = project.organisation_id
        deliverables_visible = policy.can_read_deliverables(viewer, org, status)
        return self.render_template(
            "portal/project_show.html",
            project=project,
            project_files=files.project_files,
            deliverables=files.deliverables,
            file_previews=files.previews,
            deliverables_visible=deliverables_visible,
            comments=comments,
            history=history_of(pk, deliverables=deliverables_visible),
            can_edit=policy.can_edit_project(viewer, org, status),
            can_change_files=policy.can_add_project_file(viewer, org, status),
            can_comment=policy.can_comment(viewer, org, status),
            payment=link_summary(viewer, project),
            invoice=latest_invoice(pk),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Show the creation form, or submit the project it describes with its files."""
        viewer = portal_viewer()
        status = 200
        if request.method == "POST":
            try:
                project = create_project(
                    viewer,
                    viewer.organisation_id,
                    project_input(request.form),
                    uploads_of(request.files),
                )
            except DomainError as error:
                flash_error(error)
                status = error.http_status
            else:
                flash(
                    gettext("Project %(reference)s submitted.", reference=project.reference),
                    "success",
                )
                return redirect(url_for(".show", pk=project.id))
        return self._form(None, request.form, status)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Show the edit form, or save the allowed fields; team-only fields are refused."""
        viewer = portal_viewer()
        project = _project_or_404(pk)
        status = 200
        if request.method == "POST":
            try:
                edit_project(viewer, pk, project_changes(request.form))
            except NotFound:
                abort(404)
            except DomainError as error:
                flash_error(error)
                status = error.http_status
                project = _project_or_404(pk, fresh=True)
            else:
                flash(
                    gettext("Project %(reference)s saved.", reference=project.reference), "success"
                )
                return redirect(url_for(".show", pk=pk))
        elif not policy.can_edit_project(viewer, project.organisation_id, project.status_enum):
            flash(gettext("A cancelled project can no longer be changed."), "danger")
            return redirect(url_for(".show", pk=pk))
        return self._form(project, request.form if request.method == "POST" else None, status)

    @expose("/<int:pk>/delete", methods=["GET", "POST"])
    @has_access
    def delete(self, pk: int) -> Any:
        """Ask for confirmation, then delete the project for good; invoices stay."""
        viewer = portal_viewer()
        project = _project_or_404(pk)
        if request.method == "POST":
            reference = project.reference
            try:
                delete_project(viewer, pk, confirmed=request.form.get("confirm") == "yes")
            except NotFound:
                abort(404)
            except DomainError as error:
                flash_error(error)
            else:
                flash(gettext("Project %(reference)s deleted.", reference=reference), "success")
                return redirect(url_for(".list"))
        loss = deletion_loss(pk)
        return self.render_template(
            "portal/project_delete.html",
            project=project,
            file_count=loss.files,
            comment_count=loss.comments,
        )

    def _form(self, project: Project | None, values: Any, status: int) -> Any:
        services = offered_services(kept=project.services if project else ())
        if values is not None:
            chosen = {int(i) for i in values.getlist("service_ids") if str(i).isdigit()}
        else:
            chosen = {s.id for s in project.services} if project else set()
        return (
            self.render_template(
                "portal/project_form.html",
                project=project,
                values=values,
                services=services,
                chosen=chosen,
            ),
            status,
        )


def _project_or_404(pk: int, *, fresh: bool = False) -> Project:
    try:
        return project_for(portal_viewer(), pk, fresh=fresh)
    except NotFound:
        abort(404)
