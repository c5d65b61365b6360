"""Read a project search from each face's arguments: the team list's URL, the portal's, the API's.

The team list keeps FAB's argument names (``_flt_<index>_<column>``, ``page_ProjectAdminView``,
``psize_…``, ``_oc_…``, ``_od_…``) so links and bookmarks keep working; the API keeps FAB's rison
(``filters``, ``order_column``, ``order_direction``, ``page``, ``page_size``).
"""

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from app.domain.errors import N_, Invalid
from app.domain.workflow import Priority, ProjectStatus
from app.queries.project_search import (
    DEFAULT_PAGE_SIZE,
    GROUP_LABELS,
    GROUP_STATUSES,
    MAX_PAGE_SIZE,
    WORK_QUEUE,
    Condition,
    DateRange,
    ProjectSearch,
)

# FAB's operators for a text column and for a column searched by choosing a value, in the
# order FAB numbers them in ``_flt_<index>_<column>``.
TEXT_OPERATORS = ("sw", "ew", "ct", "eq", "nsw", "new", "nct", "neq", "in", "not_in")
CHOICE_OPERATORS = ("eq", "neq")
# FAB's operators for numbers and for dates, as the API offers them.
NUMBER_OPERATORS = ("eq", "gt", "lt", "neq", "in", "not_in")
DATE_OPERATORS = ("eq", "gt", "lt", "neq")
TEAM_FILTERS = {
    "reference": TEXT_OPERATORS,
    "title": TEXT_OPERATORS,
    "description": TEXT_OPERATORS,
    "client_name": TEXT_OPERATORS,
    "status": CHOICE_OPERATORS,
    "priority": CHOICE_OPERATORS,
    "organisation_id": CHOICE_OPERATORS,
}
API_FILTERS = {
    "reference": TEXT_OPERATORS,
    "title": TEXT_OPERATORS,
    "client_name": TEXT_OPERATORS,
    "client_email": TEXT_OPERATORS,
    "status": TEXT_OPERATORS,
    "priority": TEXT_OPERATORS,
    "organisation_id": NUMBER_OPERATORS,
    "deadline": DATE_OPERATORS,
}
TEAM_ORDERS = frozenset(
    {"reference", "title", "client_name", "priority", "deadline", "final_price_cents", "created_at"}
)
API_ORDERS = frozenset({*TEAM_ORDERS, "status"})
# The team list's URL arguments.
TEAM_VIEW = "ProjectAdminView"
PAGE_ARGUMENT = f"page_{TEAM_VIEW}"
PAGE_SIZE_ARGUMENT = f"psize_{TEAM_VIEW}"
ORDER_ARGUMENT = f"_oc_{TEAM_VIEW}"
DIRECTION_ARGUMENT = f"_od_{TEAM_VIEW}"
FILTER_ARGUMENT = re.compile(r"_flt_(\d)_(.+)")
TEXT_ARGUMENT = "q"
RANGE_ARGUMENTS = ("created_from", "created_to", "deadline_from", "deadline_to")
# The columns a filter may set as the search's own field rather than as a condition.
FIELD_COLUMNS = ("status", "priority", "organisation_id")
# The deepest page a list serves (from 0): each page deeper costs the database a longer scan,
# and nobody reads past this one. Ids are the database's 32-bit integers.
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


class PagingError(ValueError):
    """A page, page size or order the list cannot serve; the message says why."""


def team_search(args: MultiDict[str, str]) -> ProjectSearch:
    """Read the team list's search, order and page.

    :raise PagingError: for a page, size or order out of range.
    :raise Invalid: for a filter the list does not have, an unknown group, a bad date or a
        range ending before it starts.
    """
    search = ProjectSearch(**_team_paging(args))
    conditions: list[Condition] = []
    for name in args:
        match = FILTER_ARGUMENT.fullmatch(name)
        if not match:
            continue
        if not is_team_filter(name):
            raise Invalid(N_("Projects cannot be filtered that way."))
        column, operator = match[2], TEAM_FILTERS[match[2]][int(match[1])]
        conditions += [
            Condition(column, operator, _typed(column, value))
            for value in args.getlist(name)
            if value != ""
        ]
    group = args.get("group")
    if group is not None and group not in GROUP_LABELS:
        raise Invalid(N_("No such group of projects."))
    return _with_fields(
        replace(
            search,
            text=(args.get(TEXT_ARGUMENT) or "").strip(),
            group=group or "",
            created=read_date_range(args, "created", N_("creation date range")),
            deadline=read_date_range(args, "deadline", N_("deadline range")),
        ),
        conditions,
    )


def is_team_filter(name: str) -> bool:
    """Tell whether ``name`` is a filter argument the team list has (``_flt_<index>_<column>``)."""
    match = FILTER_ARGUMENT.fullmatch(name)
    return match is not None and int(match[1]) < len(TEAM_FILTERS.get(match[2], ()))


def whole_number(text: str | None, default: int) -> int:
    """Read a page, a page size or an id as typed in a URL: ASCII digits, or nothing.

    :raise PagingError: for anything else (a sign, a fraction, other scripts' digits, a number
        too long to be a page or an id).
    """
    text = (text or "").strip()
    if not text:
        return default
    if not _WHOLE_NUMBER.fullmatch(text):
        raise PagingError("Page and page size must be whole numbers.")
    return int(text)


def check_page(page: int, page_size: int, first: int = 0) -> None:
    """:raise PagingError: for a page before ``first`` or past ``MAX_PAGE``, or a page size out
    of 1 to ``MAX_PAGE_SIZE``."""
    if not first <= page <= MAX_PAGE + first:
        raise PagingError(f"The page must be a number from {first} to {MAX_PAGE + first}.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise PagingError(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")


def _team_paging(args: Mapping[str, str]) -> dict[str, Any]:
    page = whole_number(args.get(PAGE_ARGUMENT), 0)
    page_size = whole_number(args.get(PAGE_SIZE_ARGUMENT), DEFAULT_PAGE_SIZE)
    check_page(page, page_size)
    order, direction = WORK_QUEUE, "asc"
    # As FAB reads it: the order counts only with a direction.
    if args.get(DIRECTION_ARGUMENT) in ("asc", "desc") and ORDER_ARGUMENT in args:
        order, direction = args[ORDER_ARGUMENT], args[DIRECTION_ARGUMENT]
    if order != WORK_QUEUE and order not in TEAM_ORDERS:
        raise PagingError("Projects cannot be sorted by that column.")
    return {"page": page, "page_size": page_size, "order": order, "direction": direction}


def read_date_range(args: Mapping[str, str], prefix: str, label: str) -> DateRange:
    """Read ``<prefix>_from`` and ``<prefix>_to`` (ISO dates); empty values leave that end open.

    :raise Invalid: for a value that is not a date, or a range ending before it starts.
    """
    ends = []
    for suffix in ("from", "to"):
        text = (args.get(f"{prefix}_{suffix}") or "").strip()
        try:
            ends.append(date.fromisoformat(text) if text else None)
        except ValueError:
            raise Invalid(
                N_("%(value)s is not a date: give the %(range)s as YYYY-MM-DD."),
                value=text,
                range=label,
            ) from None
    start, end = ends
    if start is not None and end is not None and start > end:
        raise Invalid(N_("The %(range)s ends before it starts."), range=label)
    return DateRange(start, end)


def request_search(args: Mapping[str, str]) -> ProjectSearch:
    """Read ``q``, ``status`` (a status or a group), ``sort=created`` (oldest first),
    ``organisation_id`` and ``priority``: the portal's and the exports' arguments.

    :raise Invalid: for an unknown status, group or priority, or an organisation that is not
        a number.
    """
    status = (args.get("status") or "").strip()
    if status and status not in GROUP_STATUSES and status not in ProjectStatus.__members__:
        raise Invalid(N_("Unknown status %(status)s."), status=status)
    priority = (args.get("priority") or "").strip()
    if priority and priority not in Priority.__members__:
        raise Invalid(N_("Unknown priority %(priority)s."), priority=priority)
    organisation = (args.get("organisation_id") or "").strip()
    if organisation and not (_WHOLE_NUMBER.fullmatch(organisation) and int(organisation) <= MAX_ID):
        raise Invalid(N_("Choose the organisation from the list."))
    text = (args.get("q") or "").strip()
    oldest_first = args.get("sort") == "created"
    return ProjectSearch(
        text=text,
        status=status if status not in GROUP_STATUSES else "",
        group=status if status in GROUP_STATUSES else "",
        priority=priority,
        organisation_id=int(organisation) if organisation else None,
        direction="asc" if oldest_first else "desc",
        arguments={
            name: value
            for name, value in (
                ("q", text),
                ("status", status),
                ("sort", args.get("sort") or ""),
                ("organisation_id", organisation),
                ("priority", priority),
            )
            if value
        },
    )


def portal_search(args: Mapping[str, str]) -> ProjectSearch:
    """Read the portal list's search and page (``page`` from 1, ``psize``); the portal has no
    organisation or priority filter, so those arguments are left out.

    :raise PagingError: for a page or page size that is not a positive whole number.
    :raise Invalid: as ``request_search``.
    """
    page = whole_number(args.get("page"), 1)
    page_size = min(whole_number(args.get("psize"), DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    check_page(page, page_size, first=1)
    return replace(
        request_search(args),
        organisation_id=None,
        priority="",
        page=page - 1,
        page_size=page_size,
    )


def api_search(rison: Mapping[str, Any]) -> ProjectSearch:
    """Read the API's rison: ``filters`` (FAB's ``col``, ``opr``, ``value``), ``order_column``,
    ``order_direction``, ``page`` (from 0) and ``page_size`` (out of 1 to 100 reads as 100,
    as FAB reads it).

    :raise PagingError: for an order the list does not have, or a page out of 0 to ``MAX_PAGE``.
    :raise Invalid: for a filter the list does not have.
    """
    conditions = []
    filters = rison.get("filters", [])
    if not isinstance(filters, list) or not all(
        isinstance(item, dict) and {"col", "opr", "value"} <= item.keys() for item in filters
    ):
        raise Invalid(N_("Projects cannot be filtered that way."))
    for item in filters:
        column, operator = item["col"], item["opr"]
        if not isinstance(column, str) or not isinstance(operator, str):
            raise Invalid(N_("Projects cannot be filtered that way."))
        if operator not in API_FILTERS.get(column, ()):
            raise Invalid(N_("Projects cannot be filtered that way."))
        conditions.append(Condition(column, operator, _typed(column, item["value"])))
    # As FAB reads them: no column, the default order; a column alone, descending.
    order = rison.get("order_column") or "created_at"
    direction = rison.get("order_direction") or "desc" if rison.get("order_column") else "desc"
    if order not in API_ORDERS or direction not in ("asc", "desc"):
        raise PagingError("Projects cannot be sorted by that column.")
    page, page_size = rison.get("page") or 0, rison.get("page_size") or DEFAULT_PAGE_SIZE
    if not _is_integer(page) or not _is_integer(page_size):
        raise PagingError("Page and page size must be whole numbers.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        page_size = MAX_PAGE_SIZE
    check_page(page, page_size)
    search = ProjectSearch(order=order, direction=direction, page=page, page_size=page_size)
    return _with_fields(search, conditions)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _typed(column: str, value: Any) -> Any:
    """Read a filter's value as its column holds it.

    :raise Invalid: for a value of another type, or a number no id can be.
    """
    if isinstance(value, list):
        return [_typed(column, item) for item in value]
    try:
        if column == "organisation_id":
            number = int(value)
            if isinstance(value, bool | float) or not -MAX_ID - 1 <= number <= MAX_ID:
                raise ValueError(value)
            return number
        if column == "deadline":
            return date.fromisoformat(value)
    except (TypeError, ValueError, OverflowError):
        raise Invalid(N_("Projects cannot be filtered that way.")) from None
    if not isinstance(value, str):
        raise Invalid(N_("Projects cannot be filtered that way."))
    return value


def _with_fields(search: ProjectSearch, conditions: list[Condition]) -> ProjectSearch:
    """Move each first "equal" on the status, the priority or the organisation into its field,
    so the same filter reads as the same search on every face."""
    fields: dict[str, Any] = {}
    kept = []
    for condition in conditions:
        name = condition.column
        if condition.operator == "eq" and name in FIELD_COLUMNS and name not in fields:
            fields[name] = condition.value
        else:
            kept.append(condition)
    return replace(search, conditions=tuple(kept), **fields)
