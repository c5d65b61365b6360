"""A project's files and thread in the portal: upload, remove, download, comment."""

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext, ngettext

from app.domain.errors import DomainError, NotFound
from app.models import FileKind
from app.queries.previews import file_page
from app.services.comment import add_comment
from app.services.file import (
    add_files,
    files_archive,
    open_file,
    open_file_preview,
    remove_file,
)
from app.views.downloads import (
    attachment,
    file_kind_asked,
    preview_file,
    section_of,
    zip_attachment,
)
from app.views.errors import flash_error, message_of
from app.views.portal.common import portal_viewer, uploads_of


class ProjectFilePortalView(BaseView):
    """Add, remove and download a project's files; deliverables only from COMPLETED on."""

    route_base = "/portal/projects"
    base_permissions = ["can_upload", "can_remove", "can_download"]
    method_permission_name = {
        "upload": "upload",
        "remove": "remove",
        "download": "download",
        "archive": "download",
        "file_page": "download",
        "preview": "download",
    }

    @expose("/<int:pk>/files", methods=["POST"])
    @has_access
    def upload(self, pk: int) -> Any:
        """Store the chosen files on the project."""
        viewer = portal_viewer()
        try:
            files = add_files(viewer, pk, FileKind.PROJECT, uploads_of(request.files))
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(ngettext("%(num)d file added.", "%(num)d files added.", len(files)), "success")
        return redirect(url_for("ProjectPortalView.show", pk=pk) + "#section-files")

    @expose("/<int:pk>/files/<int:file_id>/remove", methods=["POST"])
    @has_access
    def remove(self, pk: int, file_id: int) -> Any:
        """Remove one project file, from the storage too."""
        viewer = portal_viewer()
        try:
            remove_file(viewer, pk, file_id)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("File removed."), "success")
        return redirect(url_for("ProjectPortalView.show", pk=pk) + "#section-files")

    @expose("/<int:pk>/files/<int:file_id>")
    @has_access
    def download(self, pk: int, file_id: int) -> Any:
        """Serve a file as an attachment, never for the browser to open."""
        viewer = portal_viewer()
        try:
            stored, stream = open_file(viewer, pk, file_id)
        except NotFound:
            abort(404)
        return attachment(stored, stream)

    @expose("/<int:pk>/files/<int:file_id>/view")
    @has_access
    def file_page(self, pk: int, file_id: int) -> Any:
        """Show a file's technical sheet and its viewer."""
        try:
            found = file_page(portal_viewer(), pk, file_id)
        except NotFound:
            abort(404)
        return self.render_template("portal/file_show.html", page=found)

    @expose("/<int:pk>/files/<int:file_id>/preview/<asset>")
    @has_access
    def preview(self, pk: int, file_id: int, asset: str) -> Any:
        """Send a file's preview picture or viewer data."""
        try:
            return preview_file(open_file_preview(portal_viewer(), pk, file_id, asset))
        except NotFound:
            abort(404)

    @expose("/<int:pk>/files/archive")
    @has_access
    def archive(self, pk: int) -> Any:
        """Send every deliverable (or, with ``?kind=PROJECT``, every project file) as one zip."""
        viewer = portal_viewer()
        kind = file_kind_asked()
        try:
            found = files_archive(viewer, pk, kind)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(message_of(error), "warning")
            return redirect(url_for("ProjectPortalView.show", pk=pk) + section_of(kind))
        return zip_attachment(found)


class CommentPortalView(BaseView):
    """Post a public comment on a project of the viewer's organisation."""

    route_base = "/portal/projects"
    base_permissions = ["can_comment"]

    @expose("/<int:pk>/comments", methods=["POST"])
    @has_access
    def comment(self, pk: int) -> Any:
        """Add the comment; organisation users never write internal notes."""
        viewer = portal_viewer()
        try:
            add_comment(viewer, pk, request.form.get("body", ""))
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("Comment posted."), "success")
        return redirect(url_for("ProjectPortalView.show", pk=pk) + "#section-comments")
