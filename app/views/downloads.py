"""How every face serves a stored file: opaque bytes to save, never a page to open."""

from typing import BinaryIO

from flask import Response, send_file

from app.models import ProjectFile


def attachment(stored: ProjectFile, stream: BinaryIO) -> Response:
    """Send a file as an attachment under its original name, kept out of every cache.

    Whatever the uploader claimed its type to be, the browser gets bytes to save, and is told
    not to guess another type from them.
    """
    response = send_file(
        stream,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=stored.original_name,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
