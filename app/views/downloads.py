"""How every face serves a stored file: a file to save under its own type, never a page to open."""

from typing import BinaryIO

from flask import Response, abort, request, send_file
from flask_babel import gettext

from app.domain.file_kinds import served_type
from app.models import FileKind, ProjectFile
from app.services.file import FilesArchive
from app.services.preview import PreviewAsset


def attachment(stored: ProjectFile, stream: BinaryIO) -> Response:
    """Send a file as an attachment under its original name, kept out of every cache.

    The type comes from the file's name, not from what the uploader claimed (so a G-code
    file stored as netCDF is served as text); the browser gets a file to save, and is told
    not to guess another type from its bytes.
    """
    response = send_file(
        stream,
        mimetype=served_type(stored.original_name),
        as_attachment=True,
        download_name=stored.original_name,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def preview_file(asset: PreviewAsset) -> Response:
    """Send a preview's picture or viewer data for the page to show.

    The bytes are ours (drawn by a reader), never the uploaded file's; still, the browser is
    told not to guess another type from them. Like every signed-in page, they are not cached.
    """
    response = send_file(asset.stream, mimetype=asset.content_type, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def zip_attachment(archive: FilesArchive) -> Response:
    """Stream a zip of files as an attachment named after the project, kept out of every cache.

    The zip is written as it is sent: its length is not known ahead, and no copy is ever built.
    """
    part = gettext("deliverables") if archive.kind is FileKind.DELIVERABLE else gettext("files")
    response = Response(archive.stream(), mimetype="application/zip")
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"{archive.reference}-{part}.zip"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_kind_asked() -> FileKind:
    """Read which files a zip gathers from ``?kind=``: the deliverables unless told."""
    try:
        return FileKind(request.args.get("kind", FileKind.DELIVERABLE.value))
    except ValueError:
        abort(404)


def section_of(kind: FileKind) -> str:
    """Return the anchor of the project page's section listing ``kind``."""
    return "#section-deliverables" if kind is FileKind.DELIVERABLE else "#section-files"
