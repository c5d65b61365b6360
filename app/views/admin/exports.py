"""The team's CSV exports: the payments journal (with booked batches) and the project list."""

import json
from datetime import date
from typing import Any

from flask import redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.csv_export import CsvDialect, parse_dialect
from app.domain.errors import N_, DomainError, PermissionDenied
from app.domain.policy import Viewer
from app.queries.exports import booked_line_counts, recent_exports
from app.queries.search_arguments import (
    ORDER_ARGUMENT,
    PAGE_ARGUMENT,
    PAGE_SIZE_ARGUMENT,
    PagingError,
    team_search,
)
from app.security import current_viewer
from app.services.export import journal_csv, parse_period, projects_csv
from app.views.errors import flash_error
from app.views.exports import csv_response


def _staff() -> Viewer:
    # The services check the role again; an account without one of ours gets no further.
    viewer = current_viewer()
    if viewer is None:
        raise PermissionDenied(N_("You cannot export projects."))
    return viewer


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
        # The export takes every project the list's search finds, whatever page it shows.
        args = request.args.copy()
        for name in (PAGE_ARGUMENT, PAGE_SIZE_ARGUMENT):
            args.pop(name, None)
        try:
            viewer = _staff()
            dialect = parse_dialect(request.args.get("dialect"))
            try:
                search = team_search(args)
            except PagingError:
                # An order the list does not have: the export keeps the work queue's.
                args.pop(ORDER_ARGUMENT, None)
                search = team_search(args)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("ProjectAdminView.list"))
        arguments = {k: v for k, v in request.args.items() if k != "dialect"}
        download = projects_csv(viewer, dialect, arguments, search.ordered, translate=gettext)
        return csv_response(download)
