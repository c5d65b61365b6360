"""Secret links out of the logs: the token of a payment, invitation or password-reset address.

Whoever reads a log line must not be able to open the client's page or an invitation with it.
The app's records are rewritten as they are made (a log record factory, so every logger and
handler is covered, Werkzeug's and RQ's included); gunicorn's own access and error lines go
through ``app.gunicorn_logger.RedactingLogger``.
"""

import logging
import re
import traceback
from typing import Any

# The address's first segment after the prefix is the secret; what follows it is not.
_TOKEN_IN_PATH = re.compile(r"(/(?:pay|invitation|reset-password)/)(?!\[redacted\])[^/?#\s\"'&<>]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with the token of every secret address replaced by ``[redacted]``."""
    if "/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(r"\1" + REDACTED, text)


def redact_values(value: Any) -> Any:
    """Return ``value`` with every string in it redacted, through nested dicts, lists, tuples."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(item) for item in value]
    return value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record in place so its message, traceback and stack carry no token."""
    try:
        message = record.getMessage()
    except Exception:
        # A malformed format: leave it for the handler to report as logging does.
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactionFilter(logging.Filter):
    """A filter that lets every record through, with its tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_redaction() -> None:
    """Make every log record of this process redact itself; installing twice changes nothing."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_tokens", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    factory.redacts_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
