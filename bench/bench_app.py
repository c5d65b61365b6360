"""The application as the bench serves it: the real app, measured, plus a baseline list.

``gunicorn "bench.bench_app:app"`` serves the app that ``create_app`` builds from the environment,
with three additions that exist only here, never in the product:

- every response carries ``X-Bench-Statements`` (SQL statements the request executed, counted by
  a ``before_cursor_execute`` listener), ``X-Bench-Counts`` (how many of them were ``count(…)``
  queries) and ``X-Bench-Server-Ms`` (time from the request's start to its response's headers;
  for a streamed body the client's time is the one to read);
- a request sent with ``X-Bench-Capture: <path>`` writes its statements and their parameters to
  that file (pickled), so the bench can run the very SQL of a page directly, without the app;
- ``/bench/baseline/list/`` lists projects with a plain Flask-AppBuilder ``ModelView`` over the
  same table and the same columns, written the way the documentation shows, with the files and
  comments counted through the model's relationships: the baseline the team list is compared to;
- ``/bench/empty/`` is a back-office page with nothing on it: the sign-in check, the layout and
  the menu, which every page of the back office pays for whatever it shows.
"""

import pickle
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_appbuilder import BaseView, Model, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import event
from sqlalchemy.orm import relationship

from app import create_app, settle_process
from app.extensions import db
from app.models import Comment, Organisation, Project, ProjectFile

_local = threading.local()


class BaselineProject(Model):
    """The project table mapped the plain way: relationships, and counts taken by ``len()``."""

    __table__ = Project.__table__

    organisation = relationship(Organisation)
    files = relationship(ProjectFile, viewonly=True)
    comments = relationship(Comment, viewonly=True)

    def counters(self) -> str:
        return f"{len(self.files)} / {len(self.comments)}"

    def __repr__(self) -> str:
        return f"{self.reference} {self.title}"


class BaselineProjectAdminView(ModelView):
    """The team list as the documentation would have it: columns, search, an order, pages.

    The name ends in ``AdminView`` so the Team role's permissions reach it.
    """

    datamodel = SQLAInterface(BaselineProject)
    route_base = "/bench/baseline"
    include_route_methods = {"list"}
    base_permissions = ["can_list"]
    list_columns = [
        "reference",
        "title",
        "organisation",
        "client_name",
        "status",
        "priority",
        "deadline",
        "final_price_cents",
        "counters",
        "created_at",
    ]
    search_columns = ["reference", "title", "client_name", "status", "priority"]
    base_order = ("created_at", "desc")
    page_size = 25


class BenchEmptyPageAdminView(BaseView):
    """A back-office page showing nothing; the name ends in ``AdminView`` for the Team role."""

    route_base = "/bench/empty"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> Any:
        return self.render_template("admin/base.html")


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    counter = getattr(_local, "counter", None)
    if counter is None:
        return
    counter["statements"] += 1
    if "count(" in statement.lower():
        counter["counts"] += 1
    if counter["captured"] is not None:
        counter["captured"].append((statement, parameters))


def _start() -> None:
    g.bench_started = time.perf_counter()
    capture = request.headers.get("X-Bench-Capture")
    _local.counter = {"statements": 0, "counts": 0, "captured": [] if capture else None}


def _finish(response: Any) -> Any:
    counter = getattr(_local, "counter", None)
    if counter is None:
        return response
    elapsed = (time.perf_counter() - g.get("bench_started", time.perf_counter())) * 1000
    response.headers["X-Bench-Server-Ms"] = f"{elapsed:.2f}"
    response.headers["X-Bench-Statements"] = str(counter["statements"])
    response.headers["X-Bench-Counts"] = str(counter["counts"])
    capture = request.headers.get("X-Bench-Capture")
    if capture and counter["captured"] is not None:
        Path(capture).write_bytes(pickle.dumps(counter["captured"]))
    return response


def _stop(_error: BaseException | None) -> None:
    _local.counter = None


def build() -> Flask:
    """Build the app from the environment and add the bench's counters and baseline view."""
    application = create_app()
    with application.app_context():
        event.listen(db.engine, "before_cursor_execute", _count_statement)
        application.appbuilder.add_view_no_menu(BaselineProjectAdminView())
        application.appbuilder.add_view_no_menu(BenchEmptyPageAdminView())
    # First of all, so the time and the statements include FAB's loading of the user.
    application.before_request_funcs.setdefault(None, []).insert(0, _start)
    application.after_request(_finish)
    application.teardown_request(_stop)
    return application


app = build()
settle_process()  # as run.py does for every web worker
