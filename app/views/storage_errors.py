"""Answer a file store that cannot take or give files: 503, in words, never a bare error page.

Views that store files catch the refusal with the other domain errors and flash it on the form's
page; this handler answers wherever a view lets it through (a download, a zip, a preview).
"""

from flask import Flask, jsonify, render_template, request
from werkzeug.wrappers import Response

from app.domain.errors import StorageUnavailable
from app.views.errors import message_of
from app.views.formatting import language


def register_storage_errors(app: Flask) -> None:
    app.register_error_handler(StorageUnavailable, answer_unavailable)


def answer_unavailable(error: StorageUnavailable) -> tuple[Response | str, int, dict[str, str]]:
    """Answer the API with a JSON message, a page with the message and the way back (503)."""
    message = message_of(error)
    # Clients may come back: the store is most often full or away for minutes, not for good.
    headers = {"Retry-After": "60"}
    if request.path.startswith("/api/"):
        return jsonify(message=message), error.http_status, headers
    referrer = request.referrer or ""
    back = referrer if referrer.startswith(request.host_url) else "/"
    page = render_template(
        "shared/storage_unavailable.html", message=message, back=back, lang=language()
    )
    return page, error.http_status, headers
