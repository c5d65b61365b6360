"""Gunicorn's logger with the tokens of secret addresses redacted from its access and error lines.

Used with ``gunicorn --logger-class app.gunicorn_logger.RedactingLogger`` (see the README).
With ``LOG_FORMAT=json`` (production's default) both logs write one JSON object per line, the
access line with the request's fields and the id the app answered with.
"""

import os
from typing import Any

from gunicorn.glogging import Logger

from app.log_format import JSON, AccessJsonFormatter, RedactedJsonFormatter
from app.log_redaction import RedactionFilter, install_redaction, redact
from app.request_id import RequestIdFilter
from config import log_format


class RedactingLogger(Logger):
    """Gunicorn's logger, with tokens redacted from the access log's fields and error lines."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        install_redaction()
        for logger in (self.error_log, self.access_log):
            logger.addFilter(RedactionFilter())
        self.error_log.addFilter(RequestIdFilter())

    def setup(self, cfg: Any) -> None:
        # Called again when gunicorn reloads its settings: the handlers are new each time.
        super().setup(cfg)
        if log_format(os.environ) != JSON:
            return
        for handler in self.error_log.handlers:
            handler.setFormatter(RedactedJsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(AccessJsonFormatter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in found.items()
        }
