"""Report unhandled errors to Sentry when ``SENTRY_DSN`` is set; without it, nothing is loaded.

No personal data is sent (no cookies, no user, no client address), and every string of an
event has the tokens of secret addresses redacted, as the logs do.
"""

from typing import Any

from flask import Flask

from app.log_redaction import redact_values
from app.request_id import current_request_id


def init_error_reporting(app: Flask) -> bool:
    """Start reporting ``app``'s errors (web requests and RQ jobs) if ``SENTRY_DSN`` is set.

    :return: whether reporting was started.
    """
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["ENVIRONMENT"],
        integrations=[FlaskIntegration(), RqIntegration()],
        # No personal data: send_default_pii keeps its default, False (setting it at all is
        # deprecated in this version, for data_collection, which derives from it when unset).
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # A frame's local variables may hold a bare token, an address or a password.
        include_local_variables=False,
        # Errors only: performance tracing would send every request's address.
        traces_sample_rate=0.0,
    )
    return True


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Redact every string of ``event`` and tag it with the request's id."""
    clean = redact_values(event)
    request_id = current_request_id()
    if request_id:
        clean.setdefault("tags", {})["request_id"] = request_id
    return clean


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Redact every string of a breadcrumb (log lines, HTTP calls) before it is kept."""
    return redact_values(crumb)
