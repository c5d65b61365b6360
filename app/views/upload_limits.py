"""Refuse a request too large to take before reading its body, saying the limits in words.

Werkzeug refuses a declared ``Content-Length`` over ``MAX_CONTENT_LENGTH`` (413) before reading
a byte of the body; the check here makes that the first thing a request meets, whatever hook
would read the form first. Werkzeug's other 413s (too many parts, a text field over its memory
limit) get the same answer. One file over ``MAX_FILE_BYTES`` in a request that fits is refused
by the storage as it writes (``app.storage``), and nothing of the request is kept either.
"""

from flask import Flask, current_app, flash, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.views.formatting import language

MEBIBYTE = 1024 * 1024


def register_upload_limits(app: Flask) -> None:
    """Check the declared length before any other hook, and answer every 413 in words."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_declared_oversize)
    app.register_error_handler(RequestEntityTooLarge, answer_too_large)


def refuse_declared_oversize() -> None:
    """Refuse a request whose declared length is over the limit, its body left unread.

    :raise RequestEntityTooLarge: past ``MAX_CONTENT_LENGTH``.
    """
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def too_large_message() -> str:
    """Say, in the viewer's language, what one upload may hold and that nothing was kept."""
    return gettext(
        "This upload is too large: a file cannot exceed %(limit)s MB, nor one upload "
        "%(total)s MB in all. Nothing was stored: choose smaller files or send them in "
        "several goes.",
        limit=current_app.config["MAX_FILE_BYTES"] // MEBIBYTE,
        total=current_app.config["MAX_CONTENT_LENGTH"] // MEBIBYTE,
    )


def answer_too_large(error: RequestEntityTooLarge) -> tuple[Response | str, int]:
    """Answer the API with a JSON message, a form with a page saying the limits (413 both).

    The back office's upload form, sent by script, asks for JSON: it is told where to go back
    to, and the message waits there.
    """
    message = too_large_message()
    if request.path.startswith("/api/"):
        return jsonify(message=message), 413
    back = _page_to_go_back_to()
    if request.accept_mimetypes.best == "application/json":
        flash(message, "danger")
        return jsonify(message=message, redirect=back), 413
    page = render_template(
        "shared/upload_too_large.html", message=message, back=back, lang=language()
    )
    return page, 413


def _page_to_go_back_to() -> str:
    """Return the page the form was on (the Referer, when it is one of ours), else home."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else "/"
