"""The application as the bench serves it: the real app, with its work counted in headers.

``gunicorn "bench.bench_app:app"`` serves the app that ``create_app`` builds from the environment,
and adds to every response, only here, never in the product: ``X-Bench-Statements`` (SQL
statements the request executed, counted by a ``before_cursor_execute`` listener),
``X-Bench-Counts`` (how many of them were ``count(…)`` queries) and ``X-Bench-Server-Ms`` (time
from the request's start to its response's headers; for a streamed body the client's time is the
one to read).
"""

import threading
import time
from typing import Any

from flask import Flask, g
from sqlalchemy import event

from app import create_app, settle_process
from app.extensions import db

_local = threading.local()


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    counter = getattr(_local, "counter", None)
    if counter is None:
        return
    counter["statements"] += 1
    if "count(" in statement.lower():
        counter["counts"] += 1


def _start() -> None:
    g.bench_started = time.perf_counter()
    _local.counter = {"statements": 0, "counts": 0}


def _finish(response: Any) -> Any:
    counter = getattr(_local, "counter", None)
    if counter is None:
        return response
    elapsed = (time.perf_counter() - g.get("bench_started", time.perf_counter())) * 1000
    response.headers["X-Bench-Server-Ms"] = f"{elapsed:.2f}"
    response.headers["X-Bench-Statements"] = str(counter["statements"])
    response.headers["X-Bench-Counts"] = str(counter["counts"])
    return response


def _stop(_error: BaseException | None) -> None:
    _local.counter = None


def build() -> Flask:
    """Build the app from the environment and add the bench's counters."""
    application = create_app()
    with application.app_context():
        event.listen(db.engine, "before_cursor_execute", _count_statement)
    # First of all, so the time and the statements include FAB's loading of the user.
    application.before_request_funcs.setdefault(None, []).insert(0, _start)
    application.after_request(_finish)
    application.teardown_request(_stop)
    return application


app = build()
settle_process()  # as run.py does for every web worker
