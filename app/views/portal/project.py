"""The organisation's projects: list, page, creation, edition and deletion, all through services."""

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from sqlalchemy import func, select

from app.domain import policy
from app.domain.errors import DomainError, NotFound
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import Comment, FileKind, Project, ProjectEvent, ProjectFile, RequestedService
from app.services.comment import comments_for
from app.services.common import load_project
from app.services.project import create_project, delete_project, edit_project
from app.views.admin.project import HistoryEntry
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
        files = list(
            db.session.scalars(
                select(ProjectFile)
                .where(ProjectFile.project_id == pk)
                .order_by(ProjectFile.uploaded_at, ProjectFile.id)
            )
        )
        status = project.status_enum
        org = project.organisation_id
        return self.render_template(
            "portal/project_show.html",
            project=project,
            project_files=[f for f in files if f.kind == FileKind.PROJECT.value],
            deliverables=[f for f in files if f.kind == FileKind.DELIVERABLE.value],
            deliverables_visible=policy.can_read_deliverables(viewer, org, status),
            comments=comments,
            history=_history_of(pk, deliverables=policy.can_read_deliverables(viewer, org, status)),
            can_edit=policy.can_edit_project(viewer, org, status),
            can_change_files=policy.can_add_project_file(viewer, org, status),
            can_comment=policy.can_comment(viewer, org, status),
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
                db.session.expire_all()
                project = _project_or_404(pk)
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
        return self.render_template(
            "portal/project_delete.html",
            project=project,
            file_count=_count(ProjectFile.id, ProjectFile.project_id == pk),
            comment_count=_count(
                Comment.id, Comment.project_id == pk, Comment.is_internal.is_(False)
            ),
        )

    def _form(self, project: Project | None, values: Any, status: int) -> Any:
        services = db.session.scalars(
            select(RequestedService)
            .where(RequestedService.active.is_(True))
            .order_by(RequestedService.position, RequestedService.name)
        ).all()
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


def _project_or_404(pk: int) -> Project:
    try:
        return load_project(db.session, portal_viewer(), pk)
    except NotFound:
        abort(404)


def _count(column: Any, *criteria: Any) -> int:
    return db.session.scalar(select(func.count(column)).where(*criteria)) or 0


def _history_of(project_id: int, *, deliverables: bool) -> list[HistoryEntry]:
    statement = (
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project_id)
        .order_by(ProjectEvent.created_at.desc(), ProjectEvent.id.desc())
    )
    entries = [HistoryEntry(e, _decoded(e.details)) for e in db.session.scalars(statement)]
    if deliverables:
        return entries
    # Deliverables' names stay with the team until the project is completed.
    return [e for e in entries if e.details.get("kind") != FileKind.DELIVERABLE.value]


def _decoded(raw: str | None) -> dict[str, Any]:
    # Written by the services as a JSON object; anything else is shown without details.
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
