"""Gunicorn's logger with the tokens of secret addresses redacted from its access and error lines.

Used with ``gunicorn --logger-class app.gunicorn_logger.RedactingLogger`` (see the README).
"""

from typing import Any

from gunicorn.glogging import Logger

from app.log_redaction import RedactionFilter, install_redaction, redact


class RedactingLogger(Logger):
    """Gunicorn's logger, with tokens redacted from the access log's fields and error lines."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        install_redaction()
        for logger in (self.error_log, self.access_log):
            logger.addFilter(RedactionFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in found.items()
        }
