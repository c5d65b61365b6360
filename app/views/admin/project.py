"""The team's projects of every organisation: a list and a detail page, both read-only."""

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import format_decimal, gettext, lazy_gettext
from sqlalchemy import Row, func, select
from wtforms import SelectField

from app.domain.errors import Invalid, NotFound
from app.domain.workflow import (
    TRANSITIONS,
    Actor,
    Priority,
    ProjectStatus,
    allowed_targets,
    is_editable,
)
from app.extensions import db
from app.models import FileKind, Organisation, Project, ProjectEvent, ProjectFile
from app.security import current_viewer
from app.services.backoffice import (
    business_today,
    is_overdue,
    priority_rank,
    work_queue_order,
)
from app.services.comment import comments_for
from app.services.common import load_project
from app.services.dashboard import row_counts
from app.services.payment import MANUAL_METHODS
from app.services.payment_overview import payment_overview
from app.services.project import PRICE_FROZEN_STATUSES
from app.views.admin.project_filters import (
    GROUP_LABELS,
    RANGE_ARGUMENTS,
    project_list_filters,
)
from app.views.errors import message_of
from app.views.formatting import PAYMENT_METHOD_LABELS

MAX_PAGE_SIZE = 100
# The pager counts the matching projects only this far past the page shown (and at least to
# COUNTED_AT_LEAST): enough for its links, and a count that stays cheap at any volume.
COUNTED_PAGES_AHEAD = 10
COUNTED_AT_LEAST = 1000
# The default order's name: not a column, see ProjectInterface.apply_order_by.
WORK_QUEUE = "work_queue"
# Searched by picking a value from a list, so "starts with" and the like make no sense.
CHOICE_COLUMNS = frozenset({"status", "priority", "organisation_id"})
# FAB's filter arguments: _flt_<index of the filter among the column's filters>_<column>.
_FILTER_ARGUMENT = re.compile(r"_flt_(\d)_(.*)")
# The ways the team records money received by hand (Stripe payments record themselves).
PAYMENT_METHODS = tuple(
    (method.value, PAYMENT_METHOD_LABELS[method.value]) for method in MANUAL_METHODS
)


class ProjectFilterConverter(SQLAFilterConverter):
    """Offer only "equal" and "not equal" on the columns searched from a list."""

    conversion_table = (
        ("is_choice", [FilterEqual, FilterNotEqual]),
        *SQLAFilterConverter.conversion_table,
    )


@dataclass(frozen=True)
class MatchCount:
    """How many projects the list's filters match: ``value`` exactly, or more than ``value``."""

    value: int
    more: bool

    def label(self) -> str:
        """Write the count as the viewer's language does: "1 000", "plus de 1 000"."""
        number = format_decimal(self.value)
        return gettext("more than %(count)s", count=number) if self.more else number


def counted_limit(page: int, page_size: int) -> int:
    """Return how far the pager counts for a page: the pages it links to ahead, at least."""
    return max(COUNTED_AT_LEAST, (page + 1 + COUNTED_PAGES_AHEAD) * page_size)


class ProjectInterface(SQLAInterface):
    """Hand the list template whole projects, so one cell can combine columns (price, currency)."""

    filter_converter_class = ProjectFilterConverter

    def is_choice(self, col_name: str) -> bool:
        return col_name in CHOICE_COLUMNS

    def get_values(self, lst: list[Project], list_columns: list[str]) -> Iterator[dict[str, Any]]:
        counts = row_counts([project.id for project in lst], include_internal=True)
        today = business_today()
        for project in lst:
            yield {
                "project": project,
                "counts": counts[project.id],
                "overdue": is_overdue(project, today),
            }

    def query_page(
        self,
        filters: Filters,
        order_column: str,
        order_direction: str,
        page: int,
        page_size: int,
    ) -> tuple[MatchCount, list[Project]]:
        """Return one page of the projects the filters match, and how many match, capped.

        One walk over the ids in the list's order (for the work queue, an index-only scan of
        ``ix_project_work_queue``) skips to the page and reads on as far as the count reaches
        (``counted_limit``): the page's ids and the count come from the same scan, which never
        reads every project. Then only the page's rows are loaded. Two statements, whatever
        the page and its size.
        """
        matching = self.apply_filters(self.session.query(Project.id), filters)
        ordered = self.apply_order_by(matching, order_column, order_direction, add_pk=True)
        limit = counted_limit(page, page_size)
        offset = page * page_size
        ahead = [row.id for row in ordered.offset(offset).limit(limit - offset + 1)]
        if ahead or offset == 0:
            counted = offset + len(ahead)
        else:
            # Past the last page: count what there is, as far as the pager reaches.
            counted = self.session.scalar(
                select(func.count()).select_from(matching.limit(limit + 1).subquery())
            )
        count = MatchCount(value=min(counted, limit), more=counted > limit)
        page_ids = ahead[:page_size]
        if not page_ids:
            return count, []
        rows = self.session.query(Project).filter(Project.id.in_(page_ids))
        rows = self.apply_order_by(rows, order_column, order_direction, add_pk=True)
        return count, rows.all()

    def apply_order_by(
        self, query: Any, order_column: str, order_direction: str, **kwargs: Any
    ) -> Any:
        """Sort by the work queue, or priorities by urgency rather than by their codes."""
        if order_column == WORK_QUEUE:
            return query.order_by(*work_queue_order())
        if order_column == "priority":
            rank = priority_rank()
            # "Descending" priority reads as most urgent first, which is the smallest rank.
            ordered = rank.asc() if order_direction == "desc" else rank.desc()
            return query.order_by(ordered, Project.id.asc())
        return super().apply_order_by(query, order_column, order_direction, **kwargs)


class ProjectListWidget(ListWidget):
    """Draw FAB's list with our row template: badges, prices, local dates."""

    template = "admin/widgets/project_list.html"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the timeline: the recorded event and its decoded details."""

    event: ProjectEvent
    details: dict[str, Any]


def _choices(values: type[ProjectStatus] | type[Priority]) -> list[tuple[str, Any]]:
    return [(value.value, lazy_gettext(value.label)) for value in values]


def _organisations() -> Sequence[Row[tuple[int, str]]]:
    # The search form draws one option per organisation on every page: ids and names only.
    return db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()


class ProjectAdminView(ModelView):
    """List and show projects; every change goes through the services, never through FAB forms."""

    datamodel = ProjectInterface(Project)
    route_base = "/admin/projects"
    # Only the reading routes exist: FAB's add, edit, delete and action routes are not registered.
    include_route_methods = {"list", "show"}
    base_permissions = ["can_list", "can_show"]

    list_title = lazy_gettext("Projects")
    list_template = "admin/project_list.html"
    show_template = "admin/project_show.html"
    list_widget = ProjectListWidget

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
    # Status sorts alphabetically by code, which reads as no order at all; priority sorts by rank.
    order_columns = [
        "reference",
        "title",
        "client_name",
        "priority",
        "deadline",
        "final_price_cents",
        "created_at",
    ]
    base_order = (WORK_QUEUE, "asc")
    page_size = 25
    # The organisation is searched by its id: FAB's relation filters load rows with the legacy
    # Query.get(), which SQLAlchemy 2 deprecates.
    search_columns = [
        "reference",
        "title",
        "description",
        "client_name",
        "status",
        "priority",
        "organisation_id",
    ]
    search_form_extra_fields = {
        "status": SelectField(
            lazy_gettext("Status"), choices=_choices(ProjectStatus), widget=Select2Widget()
        ),
        "priority": SelectField(
            lazy_gettext("Priority"), choices=_choices(Priority), widget=Select2Widget()
        ),
        "organisation_id": QuerySelectField(
            lazy_gettext("Organisation"),
            query_func=_organisations,
            get_pk_func=lambda organisation: organisation.id,
            get_label="name",
            widget=Select2Widget(),
        ),
    }
    label_columns = {
        "reference": lazy_gettext("Reference"),
        "title": lazy_gettext("Title"),
        "organisation": lazy_gettext("Organisation"),
        "organisation_id": lazy_gettext("Organisation"),
        "description": lazy_gettext("Description"),
        "client_name": lazy_gettext("Client"),
        "status": lazy_gettext("Status"),
        "priority": lazy_gettext("Priority"),
        "deadline": lazy_gettext("Deadline"),
        "final_price_cents": lazy_gettext("Price"),
        "counters": lazy_gettext("Files / comments"),
        "created_at": lazy_gettext("Created"),
    }

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """List the projects the URL's search, group and date ranges ask for."""
        try:
            widgets = self._list()
        except Invalid as error:
            # The list is not drawn on a filter it cannot read; the form keeps what was typed.
            page = self.render_template(
                self.list_template, title=self.list_title, filter_error=message_of(error)
            )
            return page, 400
        return self.render_template(self.list_template, title=self.list_title, widgets=widgets)

    def _list(self, **kwargs: Any) -> dict[str, Any]:
        self._refuse_bad_arguments()
        return super()._list(**kwargs)

    def render_template(self, template: str, **kwargs: Any) -> Any:
        """Hand the list its dashboard group, if any, and the date ranges typed."""
        if template == self.list_template:
            label = GROUP_LABELS.get(request.args.get("group", ""))
            if label:
                kwargs["group_label"] = gettext(label)
            kwargs["ranges"] = {name: request.args.get(name, "") for name in RANGE_ARGUMENTS}
            kwargs["kept_arguments"] = [
                (name, value)
                for name, value in request.args.items(multi=True)
                if name not in RANGE_ARGUMENTS and not name.startswith("page_")
            ]
        return super().render_template(template, **kwargs)

    def _get_list_widget(
        self,
        filters: Filters,
        actions: Any = None,
        order_column: str = "",
        order_direction: str = "",
        page: int | None = None,
        page_size: int | None = None,
        widgets: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """FAB's list widget, drawn from ``query_page``: a page and a capped count.

        :raise Invalid: for a group, a date or a date range the list cannot read.
        """
        filters = project_list_filters(self._filters, request.args)
        widgets = widgets or {}
        page = page or 0
        page_size = page_size or self.page_size
        if not order_column:
            order_column, order_direction = self.base_order
        count, projects = self.datamodel.query_page(
            filters.get_joined_filters(self._base_filters),
            order_column,
            order_direction,
            page,
            page_size,
        )
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(projects, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=count.value,
            count_label=count.label(),
            pks=self.datamodel.get_keys(projects),
            actions=actions or self.actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **kwargs,
        )
        return widgets

    def _refuse_bad_arguments(self) -> None:
        """Answer 400 to paging, sorting and filters FAB would turn into a crash or a huge query."""
        name = self.__class__.__name__
        try:
            page = get_page_args().get(name, 0)
            page_size = get_page_size_args().get(name, self.page_size)
        except ValueError:
            abort(400, description="Page and page size must be whole numbers.")
        if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
            abort(400, description=f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
        order = get_order_args().get(name)
        if order and order[0] not in self.order_columns:
            abort(400, description="Projects cannot be sorted by that column.")
        filters = self._filters.get_search_filters()
        for argument in request.args:
            match = _FILTER_ARGUMENT.search(argument)
            if match and int(match[1]) >= len(filters.get(match[2], ())):
                abort(400, description="Projects cannot be filtered that way.")

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show one project with its files, comment thread and history."""
        viewer = current_viewer()
        if viewer is None:
            abort(403)
        try:
            project = load_project(db.session, viewer, pk)
            comments = comments_for(viewer, pk)
        except NotFound:
            abort(404)
        files = _files_of(project.id)
        status = project.status_enum
        return self.render_template(
            self.show_template,
            project=project,
            targets=team_targets(status),
            priorities=list(Priority),
            payment_methods=PAYMENT_METHODS,
            payment_due=status is ProjectStatus.AWAITING_PAYMENT,
            prices_editable=status not in PRICE_FROZEN_STATUSES,
            read_only=not is_editable(status),
            today=date.today().isoformat(),
            project_files=[f for f in files if f.kind == FileKind.PROJECT.value],
            deliverables=[f for f in files if f.kind == FileKind.DELIVERABLE.value],
            comments=comments,
            history=_history_of(project.id),
            payment_info=payment_overview(project),
        )


def team_targets(status: ProjectStatus) -> list[ProjectStatus]:
    """List the moves the status form offers: the team's, less PAID (a payment is recorded)."""
    return [
        target
        for target in allowed_targets(status, Actor.TEAM)
        if not TRANSITIONS[(status, target)].records_payment
    ]


def _files_of(project_id: int) -> list[ProjectFile]:
    statement = (
        select(ProjectFile)
        .where(ProjectFile.project_id == project_id)
        .order_by(ProjectFile.uploaded_at, ProjectFile.id)
    )
    return list(db.session.scalars(statement))


def _history_of(project_id: int) -> list[HistoryEntry]:
    statement = (
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project_id)
        .order_by(ProjectEvent.created_at.desc(), ProjectEvent.id.desc())
    )
    return [HistoryEntry(event, _details(event.details)) for event in db.session.scalars(statement)]


def _details(raw: str | None) -> dict[str, Any]:
    # Written by the services as a JSON object; anything else is shown without details.
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
