"""The browser's security headers on every answer: content policy, framing, referrer, caching.

Every page's scripts come from our own origin; the few inline ones carry the request's nonce
(``csp_nonce()`` in templates, the name Flask-AppBuilder's templates already call). The policy
sets no ``form-action``: the payment form's answer is a redirect to Stripe's hosted page, which
browsers check against ``form-action`` too.
"""

import re
import secrets

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user
from werkzeug.wrappers import Response

# The pages whose address carries a secret: their address must not travel in a Referer.
TOKEN_PATH = re.compile(r"^/(?:pay|invitation|reset-password)/")
HSTS_VALUE = "max-age=31536000; includeSubDomains"
_NONCE_KEY = "cnc.csp_nonce"


def csp_nonce() -> str:
    """Return this request's script nonce, made on first use (kept in the request's environ)."""
    if not has_request_context():
        return secrets.token_urlsafe(18)
    nonce = request.environ.get(_NONCE_KEY)
    if nonce is None:
        nonce = request.environ[_NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Return the policy for one answer, allowing inline scripts that carry ``nonce``."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # Bootstrap's and our templates' style attributes (progress and dashboard bars).
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
        )
    )


def add_security_headers(response: Response) -> Response:
    """Set the security headers the answer does not set more strictly itself."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    path = request.path
    if TOKEN_PATH.match(path):
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cache-Control"] = "no-store"
    else:
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if _private(path) and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
    if current_app.config.get("SECURITY_HSTS"):
        headers["Strict-Transport-Security"] = HSTS_VALUE
    return response


def _private(path: str) -> bool:
    """Tell whether the answer is for one person: the API's, or any page of a signed-in user."""
    if request.endpoint and request.endpoint.split(".")[-1] == "static":
        return False
    if path.startswith("/api/"):
        return True
    return bool(getattr(current_user, "is_authenticated", False))


def install(app: Flask) -> None:
    """Give templates ``csp_nonce()`` and every answer the security headers."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)
