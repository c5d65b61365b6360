"""The team's CSV exports: the payments journal (with booked batches) and the project list."""

import json
from datetime import date
from typing import Any

from flask import current_app, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.urltools import get_order_args
from flask_babel import gettext
from sqlalchemy import Select

from app.domain.csv_export import CsvDialect, parse_dialect
from app.domain.errors import N_, DomainError, PermissionDenied
from app.domain.policy import Viewer
from app.security import current_viewer
from app.services.export import (
    booked_line_counts,
    journal_csv,
    parse_period,
    projects_csv,
    recent_exports,
)
from app.views.admin.project import WORK_QUEUE, ProjectAdminView, list_order
from app.views.admin.project_filters import project_list_filters
from app.views.errors import flash_error
from app.views.exports import csv_response


def _staff() -> Viewer:
    # The services check the role again; an account without one of ours gets no further.
    viewer = current_viewer()
    if viewer is None:
        raise PermissionDenied(N_("You cannot export projects."))
    return viewer


def _project_list() -> ProjectAdminView:
    """The registered project list, whose filters the export reads the URL with."""
    return next(v for v in current_app.appbuilder.baseviews if isinstance(v, ProjectAdminView))


class ExportAdminView(BaseView):
    """Download the journal of a period, or the project list as filtered on screen."""

    route_base = "/admin/exports"
    default_view = "index"
    base_permissions = ["can_index", "can_journal", "can_projects"]

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Show the journal's form and the latest exports, who made them and with what filters."""
        exports = recent_exports()
        today = date.today()
        return self.render_template(
            "admin/exports.html",
            exports=exports,
            filters={export.id: json.loads(export.filters or "{}") for export in exports},
            booked=booked_line_counts([e.id for e in exports if e.marks_lines]),
            dialects=list(CsvDialect),
            start=today.replace(day=1).isoformat(),
            end=today.isoformat(),
        )

    @expose("/journal", methods=["POST"])
    @has_access
    def journal(self) -> Any:
        """Download a period's journal; with ``mark``, only the lines no batch booked, booking them.

        A POST behind CSRF either way: every export is recorded, and a batch books lines.
        """
        try:
            viewer = _staff()
            dialect = parse_dialect(request.form.get("dialect"))
            first, last = parse_period(request.form.get("start"), request.form.get("end"))
            download = journal_csv(
                viewer,
                first,
                last,
                dialect,
                mark_exported=request.form.get("mark") == "1",
                translate=gettext,
            )
        except DomainError as error:
            flash_error(error)
            return redirect(url_for(".index"))
        return csv_response(download)

    @expose("/projects")
    @has_access
    def projects(self) -> Any:
        """Download the project list with the filters and order the list's URL carries."""
        listing = _project_list()
        try:
            viewer = _staff()
            dialect = parse_dialect(request.args.get("dialect"))
            filters = project_list_filters(listing._filters.get_search_filters(), request.args)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("ProjectAdminView.list"))
        column, direction = get_order_args().get(ProjectAdminView.__name__, (WORK_QUEUE, "asc"))
        if column not in (WORK_QUEUE, *listing.order_columns):
            column, direction = WORK_QUEUE, "asc"

        def narrow(statement: Select) -> Select:
            keys = list_order(column, direction)
            return filters.apply_all(statement).order_by(*(key.clause() for key in keys))

        arguments = {k: v for k, v in request.args.items() if k != "dialect"}
        download = projects_csv(viewer, dialect, arguments, narrow, translate=gettext)
        return csv_response(download)
