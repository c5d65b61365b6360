"""One id per request, on its answer, its log lines and the jobs it queues.

The id comes from the proxy's ``X-Request-ID`` when it is a sane token, else it is made here.
It lives in a context variable, so a job run by a worker can carry it too
(:func:`bound_request_id`): the outbox keeps the id of the request that queued each message.
"""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import uuid4

from flask import Flask, request
from werkzeug.wrappers import Response

HEADER = "X-Request-ID"
# What a proxy may hand us: letters, digits and a few separators, 8 to 64 of them. Anything
# else (spaces, quotes, control characters, a novel) would end up verbatim in every log line.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:=-]{8,64}")
NO_REQUEST = "-"

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request or job this code runs for, if any."""
    return _current.get()


def accepted_or_new(proposed: str | None) -> str:
    """Return ``proposed`` when it is a sane id, else a new one (uuid4, hex)."""
    if proposed and _ACCEPTED.fullmatch(proposed):
        return proposed
    return uuid4().hex


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """Make ``request_id`` the current id while the block runs (None leaves it unset)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every record: the current id, or ``-`` outside any request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get() or NO_REQUEST
        return True


def _start() -> None:
    _current.set(accepted_or_new(request.headers.get(HEADER)))


def _answer(response: Response) -> Response:
    request_id = _current.get()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _end(error: BaseException | None = None) -> None:
    _current.set(None)


def install(app: Flask) -> None:
    """Give each of ``app``'s requests its id, before any other hook, and return it."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_answer)
    app.teardown_request(_end)
