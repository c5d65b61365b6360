"""How log lines look: one JSON object per line in production, plain text on a developer's machine.

Both formats carry the request id (see :mod:`app.request_id`). Messages are already redacted
as records are made (:mod:`app.log_redaction`); the JSON formatter renders a traceback itself,
from the exception rather than from the redacted text, and adds the record's extra fields, so
it redacts each value again before writing the line.
"""

import logging
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from app.log_redaction import redact, redact_values
from app.request_id import NO_REQUEST, RequestIdFilter

JSON, TEXT = "json", "text"
FORMATS = (JSON, TEXT)
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
# gunicorn's access atoms, named for people: the request line's parts and its outcome.
_ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "f": "referer",
    "a": "user_agent",
}


class RedactedJsonFormatter(JsonFormatter):
    """One JSON object per record: time, level, logger, message, request_id, and any extras."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            list(_JSON_FIELDS),
            rename_fields=dict(_RENAMED),
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
            **kwargs,
        )

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = NO_REQUEST
        return super().format(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return redact(super().formatStack(stack_info))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: redact_values(value) for key, value in log_data.items()}


class AccessJsonFormatter(RedactedJsonFormatter):
    """gunicorn's access line as JSON: the request, its status, size, duration and id.

    gunicorn logs it with its atoms as the record's arguments; they become fields here.
    """

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        for atom, field in _ACCESS_FIELDS.items():
            log_data[field] = atoms.get(atom)
        if "D" in atoms:
            log_data["duration_ms"] = round(atoms["D"] / 1000, 3)
        # The app answers with the id of the request; the access line is written after it.
        log_data["request_id"] = atoms.get("{x-request-id}o") or NO_REQUEST
        log_data["message"] = atoms.get("r", log_data.get("message"))


def formatter_for(log_format: str) -> logging.Formatter:
    """Return the formatter of ``log_format`` (json or text)."""
    if log_format == JSON:
        return RedactedJsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def make_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """Return a handler writing to ``stream`` (stderr) in ``log_format``, with request ids."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(RequestIdFilter())
    return handler
