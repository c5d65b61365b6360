"""What every portal view needs: the organisation user asking, and the input of project forms."""

from datetime import date

from flask import abort, redirect, request, url_for
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.wrappers import Response

from app.domain.errors import N_, Invalid
from app.domain.policy import Viewer
from app.security import current_viewer
from app.services.file import Upload
from app.services.project import TEAM_ONLY_FIELDS, ProjectInput

_TEXT_FIELDS = (
    "client_name",
    "client_email",
    "client_phone",
    "client_address",
    "client_language",
    "title",
)


def portal_viewer() -> Viewer:
    """Return the organisation user asking; staff and accounts without organisation get a 403."""
    viewer = current_viewer()
    if viewer is None or not viewer.is_org_user or viewer.organisation_id is None:
        abort(403)
    return viewer


def send_staff_to_back_office() -> Response | None:
    """Redirect Admin and Team opening a portal page to the matching back-office page.

    A portal project page leads to the back-office page of the same project (a file's page to
    the same file's), any other portal page to the team's dashboard. Only reads are redirected:
    a write answers 403 as before.
    """
    endpoint = request.endpoint or ""
    if request.method != "GET" or not endpoint.split(".")[0].endswith("PortalView"):
        return None
    viewer = current_viewer()
    if viewer is None or not viewer.is_staff:
        return None
    arguments = request.view_args or {}
    pk = arguments.get("pk")
    if endpoint == "ProjectFilePortalView.file_page":
        return redirect(
            url_for("ProjectActionsAdminView.file_page", pk=pk, file_id=arguments["file_id"])
        )
    if endpoint.startswith("Project") and pk is not None:
        return redirect(url_for("ProjectAdminView.show", pk=pk))
    return redirect(url_for("DashboardAdminView.index"))


def project_input(form: MultiDict[str, str]) -> ProjectInput:
    """Read the creation form.

    :raise Invalid: for a deadline that is not a date.
    """
    return ProjectInput(
        client_name=form.get("client_name", ""),
        client_email=form.get("client_email", ""),
        client_phone=form.get("client_phone") or None,
        client_address=form.get("client_address") or None,
        client_language=form.get("client_language", "fr"),
        title=form.get("title", ""),
        description=form.get("description", ""),
        deadline=_deadline(form.get("deadline")),
        service_ids=form.getlist("service_ids"),  # type: ignore[arg-type]
    )


def project_changes(form: MultiDict[str, str]) -> dict[str, object]:
    """Read the edit form; team-only fields are passed on, for the service to refuse them.

    :raise Invalid: for a deadline that is not a date.
    """
    changes: dict[str, object] = {name: form.get(name, "") for name in _TEXT_FIELDS}
    changes["description"] = form.get("description", "")
    changes["deadline"] = _deadline(form.get("deadline"))
    changes["service_ids"] = form.getlist("service_ids")
    changes.update({name: form[name] for name in TEAM_ONLY_FIELDS if name in form})
    return changes


def uploads_of(files: MultiDict[str, FileStorage]) -> list[Upload]:
    """Turn the files of a multipart form into uploads, skipping the empty file inputs."""
    return [
        Upload(filename=f.filename or "", stream=f.stream, content_type=f.mimetype)
        for f in files.getlist("files")
        if f.filename
    ]


def _deadline(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("The deadline must be a date.")) from None
