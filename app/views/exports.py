"""Serve a recorded CSV export as a download, streamed as the database hands the rows over."""

from flask import Response, stream_with_context

from app.services.export import CsvDownload


def csv_response(download: CsvDownload) -> Response:
    """Stream the export as an attachment; the request, and its tenant scope, last to the end."""
    response = Response(
        stream_with_context(download.chunks), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Export-Id"] = str(download.export_id)
    return response
