"""The team's projects of every organisation: a list and a detail page, both read-only."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import abort, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_babel import format_decimal, gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import Row, Select, func, select

from app.domain.errors import Invalid, NotFound
from app.domain.workflow import (
    TRANSITIONS,
    Actor,
    Priority,
    ProjectStatus,
    allowed_targets,
    is_editable,
)
from app.models import Organisation, Project
from app.queries.dashboard import counter_columns
from app.queries.project_page import (
    comments_for,
    files_of,
    history_of,
    payment_overview,
    project_for,
)
from app.security import current_viewer
from app.services.backoffice import (
    SortKey,
    business_today,
    priority_rank,
    work_queue_order,
)
from app.services.payment import MANUAL_METHODS
from app.services.project import PRICE_FROZEN_STATUSES
from app.tenancy import staff_read
from app.views.admin.project_filters import (
    GROUP_LABELS,
    RANGE_ARGUMENTS,
    TEXT_ARGUMENT,
    ListFilters,
    is_known_filter,
    project_list_filters,
)
from app.views.admin.project_rows import ListRow, list_rows, table_rows
from app.views.admin.search_options import labelled_options, organisation_options
from app.views.errors import message_of
from app.views.formatting import (
    PAYMENT_METHOD_LABELS,
    page_gettext,
)

MAX_PAGE_SIZE = 100
# The page sizes the list offers; any size from 1 to MAX_PAGE_SIZE is read from the URL.
PAGE_SIZES = (25, 50, 100)
# The pager counts the matching projects only this far past the page shown (and at least to
# COUNTED_AT_LEAST): enough for its links, and a count that stays cheap at any volume.
COUNTED_PAGES_AHEAD = 10
COUNTED_AT_LEAST = 1000
# How many page numbers the pager shows on each side of the current page.
PAGER_REACH = 3
# The default order's name: not a column, see list_order.
WORK_QUEUE = "work_queue"
# Searched by picking a value from a list, so "starts with" and the like make no sense.
CHOICE_COLUMNS = frozenset({"status", "priority", "organisation_id"})
# The ways the team records money received by hand (Stripe payments record themselves).
PAYMENT_METHODS = tuple(
    (method.value, PAYMENT_METHOD_LABELS[method.value]) for method in MANUAL_METHODS
)
# The list's URL arguments, FAB's names kept so links and bookmarks to the list keep working.
_VIEW = "ProjectAdminView"
PAGE_ARGUMENT = f"page_{_VIEW}"
PAGE_SIZE_ARGUMENT = f"psize_{_VIEW}"
ORDER_ARGUMENT = f"_oc_{_VIEW}"
DIRECTION_ARGUMENT = f"_od_{_VIEW}"
STATUS_ARGUMENT = "_flt_0_status"
PRIORITY_ARGUMENT = "_flt_0_priority"
ORGANISATION_ARGUMENT = "_flt_0_organisation_id"
# The arguments the search form shows as fields; it carries any other one in hidden fields.
FORM_ARGUMENTS = frozenset(
    {TEXT_ARGUMENT, STATUS_ARGUMENT, PRIORITY_ARGUMENT, ORGANISATION_ARGUMENT, *RANGE_ARGUMENTS}
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


@cache
def _list_rows() -> Select:
    """Select what a row of the list shows, with its files and comments (notes included).

    Built once: statements are immutable, each use derives its own.
    """
    files, comments = counter_columns(include_internal=True)
    return select(
        Project.id,
        Project.reference,
        Project.title,
        Organisation.name.label("organisation"),
        Project.client_name,
        Project.status,
        Project.priority,
        Project.deadline,
        Project.final_price_cents,
        Project.estimated_price_cents,
        Project.currency,
        Project.created_at,
        files.label("files"),
        comments.label("comments"),
    ).join(Organisation, Organisation.id == Project.organisation_id)


class ProjectInterface(SQLAInterface):
    """Read the list's pages: the ids in the list's order, then only the columns it shows."""

    filter_converter_class = ProjectFilterConverter

    def is_choice(self, col_name: str) -> bool:
        return col_name in CHOICE_COLUMNS

    def query_page(
        self,
        filters: ListFilters,
        order_column: str,
        order_direction: str,
        page: int,
        page_size: int,
    ) -> tuple[MatchCount, list[Row[Any]]]:
        """Return one page of the projects the filters match, and how many match, capped.

        One statement. It walks the ids in the list's order (for the work queue, an index-only
        scan of ``ix_project_work_queue``), skips to the page and reads on as far as the count
        reaches (``counted_limit``), never further: no statement reads every project. Of that
        walk it keeps the page's first rows and counts the rest, then joins only those rows to
        the columns the list shows, their organisation's name and their counts of files and
        comments. Past the last page a second statement counts what there is.
        """
        offset = page * page_size
        limit = counted_limit(page, page_size)
        rows = staff_read(
            self.session,
            page_select(filters, order_column, order_direction, page, page_size, business_today()),
        ).all()
        if rows:
            counted = offset + rows[0].counted
        elif offset == 0:
            counted = 0
        else:
            # Past the last page: count what there is, as far as the pager reaches.
            matching = filters.apply_all(select(Project.id)).limit(limit + 1)
            counted = staff_read(
                self.session, select(func.count()).select_from(matching.subquery())
            ).scalar()
        return MatchCount(value=min(counted, limit), more=counted > limit), rows


@lru_cache(maxsize=256)
def page_select(
    filters: ListFilters,
    order_column: str,
    order_direction: str,
    page: int,
    page_size: int,
    today: date,
) -> Select:
    """Build the statement of one page of the list (see ``ProjectInterface.query_page``).

    Building it, and SQLAlchemy's key to its compiled form, cost as much as running it; the
    pages the team opens again and again are built once. The overdue group's filter reads the
    day, hence ``today`` in the key.
    """
    keys = list_order(order_column, order_direction)
    limit = counted_limit(page, page_size)
    offset = page * page_size
    walk = (
        filters.apply_all(select(Project.id))
        .add_columns(*(key.expression.label(f"key_{i}") for i, key in enumerate(keys)))
        .order_by(*(key.clause() for key in keys))
        .offset(offset)
        .limit(limit - offset + 1)
        .subquery("walk")
    )
    kept = (
        select(walk, func.count().over().label("counted"))
        .order_by(*(key.clause(walk.c[f"key_{i}"]) for i, key in enumerate(keys)))
        .limit(page_size)
        .subquery("kept")
    )
    return (
        _list_rows()
        .add_columns(kept.c.counted)
        .join(kept, kept.c.id == Project.id)
        .order_by(*(key.clause(kept.c[f"key_{i}"]) for i, key in enumerate(keys)))
    )


def list_order(column: str, direction: str) -> list[SortKey]:
    """Order the list: by the work queue, or by a column and then by id, to page steadily.

    Priorities sort by urgency rather than by their codes; "descending" reads as most urgent
    first, which is the smallest rank.
    """
    if column == WORK_QUEUE:
        return work_queue_order()
    if column == "priority":
        return [SortKey(priority_rank(), descending=direction != "desc"), SortKey(Project.id)]
    descending = direction == "desc"
    return [
        SortKey(getattr(Project, column), descending=descending),
        SortKey(Project.id, descending=descending),
    ]


@dataclass(frozen=True)
class Link:
    """A link of the pager or of a column header."""

    label: str
    url: str
    # The pager's current page, or the column the list is sorted by.
    active: bool = False
    # "asc" or "desc" on the sorted column's header.
    direction: str = ""


@dataclass(frozen=True)
class ProjectListing:
    """One page of the team's list, and what its header, pager and page sizes link to."""

    rows: list[ListRow]
    # The rows as the table's HTML.
    table: Markup
    count: MatchCount
    page: int
    page_size: int
    headers: list[Link]
    pages: list[Link]
    previous: str
    next: str
    sizes: list[Link]


@dataclass(frozen=True)
class ListAddress:
    """The list's address as the request gave it, to link to variants of it."""

    base: str
    args: Mapping[str, list[str]]

    @classmethod
    def of_request(cls) -> "ListAddress":
        return cls(url_for("ProjectAdminView.list"), request.args.to_dict(flat=False))

    def but(self, **changes: str | int | None) -> str:
        """Return the address with some arguments changed (``None`` removes one)."""
        merged = dict(self.args)
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = [str(value)]
        query = urlencode(merged, doseq=True)
        return f"{self.base}?{query}" if query else self.base


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

    # The list's columns, in order, and the ones a click on the header sorts by. Status sorts
    # alphabetically by code, which reads as no order at all; priority sorts by rank.
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
    # What FAB's filter arguments may name. The organisation is searched by its id: FAB's
    # relation filters load rows with the legacy Query.get(), which SQLAlchemy 2 deprecates.
    search_columns = [
        "reference",
        "title",
        "description",
        "client_name",
        "status",
        "priority",
        "organisation_id",
    ]
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

    def _render_list(self, **kwargs: Any) -> str:
        """Draw the list page: the search form as the URL fills it, then the page, if any."""
        args = request.args
        group = GROUP_LABELS.get(args.get("group", ""))
        return self.render_template(
            self.list_template,
            title=self.list_title,
            group_label=gettext(group) if group else "",
            search={name: args.get(name, "") for name in FORM_ARGUMENTS},
            kept_arguments=[
                (name, value)
                for name, value in args.items(multi=True)
                if self._carried(name, value)
            ],
            **self._search_options(args),
            _=page_gettext(),
            **kwargs,
        )

    def _carried(self, name: str, value: str) -> bool:
        """Tell whether the search form carries an argument along unseen: one the list reads
        that the form has no field for. A filter or a group the list refused is dropped, so the
        next search does not fail again."""
        if name in FORM_ARGUMENTS or name == PAGE_ARGUMENT:
            return False
        if name == "group":
            return value in GROUP_LABELS
        if name.startswith("_flt_"):
            return is_known_filter(self._filters.get_search_filters(), name)
        return True

    @staticmethod
    def _search_options(args: Mapping[str, str]) -> dict[str, Markup]:
        """The options of the search form's selects, the URL's choices selected."""
        return {
            "status_options": labelled_options(ProjectStatus, args.get(STATUS_ARGUMENT, "")),
            "priority_options": labelled_options(Priority, args.get(PRIORITY_ARGUMENT, "")),
            "organisation_options": organisation_options(args.get(ORGANISATION_ARGUMENT, "")),
        }

    def _headers(self, address: ListAddress, order_column: str, order_direction: str) -> list[Link]:
        """Label each column; a sortable one links to its order, the other way if it is on."""
        headers = []
        for column in self.list_columns:
            label = str(self.label_columns[column])
            if column not in self.order_columns:
                headers.append(Link(label, ""))
                continue
            active = column == order_column
            direction = "desc" if active and order_direction == "asc" else "asc"
            url = address.but(
                **{ORDER_ARGUMENT: column, DIRECTION_ARGUMENT: direction, PAGE_ARGUMENT: None}
            )
            headers.append(Link(label, url, active, order_direction if active else ""))
        return headers

    def _read_paging(self) -> tuple[int, int, str, str]:
        """Read the page, its size and the order; 400 to what FAB would turn into a crash or a
        huge query."""
        try:
            page = get_page_args().get(_VIEW, 0)
            page_size = get_page_size_args().get(_VIEW, self.page_size)
        except ValueError:
            abort(400, description="Page and page size must be whole numbers.")
        if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
            abort(400, description=f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
        order_column, order_direction = get_order_args().get(_VIEW, self.base_order)
        if order_column != WORK_QUEUE and order_column not in self.order_columns:
            abort(400, description="Projects cannot be sorted by that column.")
        return page, page_size, order_column, order_direction

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """List the projects the URL's search, group and date ranges ask for, a page at a time.

        The search form, the table and the pager are drawn here, not by FAB's list widgets: the
        list is the team's most visited page, and FAB's generic widgets cost it most of its time.
        """
        page, page_size, order_column, order_direction = self._read_paging()
        try:
            filters = project_list_filters(self._filters.get_search_filters(), request.args)
        except Invalid as error:
            # The list is not drawn on a filter it cannot read; the form keeps what was typed.
            return self._render_list(filter_error=message_of(error)), 400
        count, rows = self.datamodel.query_page(
            filters,
            order_column,
            order_direction,
            page,
            page_size,
        )
        address = ListAddress.of_request()
        written = list_rows(rows, business_today())
        # The project page's address, less its id: one url_for for the page, not one per row.
        show_url = url_for("ProjectAdminView.show", pk=0)[:-1]
        listing = ProjectListing(
            rows=written,
            table=table_rows(written, show_url),
            count=count,
            page=page,
            page_size=page_size,
            headers=self._headers(address, order_column, order_direction),
            pages=_pages(address, page, page_size, count),
            previous=address.but(**{PAGE_ARGUMENT: page - 1 or None}) if page else "",
            next=(
                address.but(**{PAGE_ARGUMENT: page + 1})
                if (page + 1) * page_size < count.value
                else ""
            ),
            sizes=[
                Link(
                    str(size),
                    address.but(**{PAGE_SIZE_ARGUMENT: size, PAGE_ARGUMENT: None}),
                    size == page_size,
                )
                for size in PAGE_SIZES
            ],
        )
        return self._render_list(listing=listing)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show one project with its files, comment thread and history."""
        viewer = current_viewer()
        if viewer is None:
            abort(403)
        try:
            project = project_for(viewer, pk)
            comments = comments_for(viewer, pk)
        except NotFound:
            abort(404)
        files = files_of(project.id)
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
            project_files=files.project_files,
            deliverables=files.deliverables,
            comments=comments,
            history=history_of(project.id),
            payment_info=payment_overview(project),
        )


def _pages(address: ListAddress, page: int, page_size: int, count: MatchCount) -> list[Link]:
    """Link the pages around the current one, as far as the count reaches."""
    last = max(0, -(-count.value // page_size) - 1)
    first_shown = max(0, page - PAGER_REACH)
    last_shown = min(last, page + PAGER_REACH)
    return [
        Link(str(number + 1), address.but(**{PAGE_ARGUMENT: number or None}), number == page)
        for number in range(first_shown, last_shown + 1)
    ]


def team_targets(status: ProjectStatus) -> list[ProjectStatus]:
    """List the moves the status form offers: the team's, less PAID (a payment is recorded)."""
    return [
        target
        for target in allowed_targets(status, Actor.TEAM)
        if not TRANSITIONS[(status, target)].records_payment
    ]
