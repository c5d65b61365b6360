"""How every face serves a stored file: a file to save under its own type, never a page to open."""

from typing import BinaryIO

from flask import Response, send_file

from app.domain.file_kinds import served_type
from app.models import ProjectFile


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
