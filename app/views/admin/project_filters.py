"""What the team's project list is filtered by, read from the URL: one reading for every screen.

FAB's search filters (``_flt_<index>_<column>``, read as FAB writes them; an empty value
filters nothing, as an empty choice of the search form), one text searched for in the
reference, title, client and description (``q``), the dashboard's groups (``group=<key>``) and
two date ranges: ``created_from``/``created_to`` and ``deadline_from``/``deadline_to`` (ISO
dates, both ends included, creation dates read in France's time zone).
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from werkzeug.datastructures import MultiDict

from app.domain.errors import N_, Invalid
from app.models import Project
from app.queries.dashboard import COUNTER_GROUPS
from app.services.backoffice import OPEN_VALUES, business_today
from app.services.common import BUSINESS_TIMEZONE
from app.services.project_search import text_matches

# The dashboard's links: ?group=<key> lists a counter's statuses, or the overdue projects.
OVERDUE_GROUP = "overdue"
GROUP_LABELS = {key: label for key, label, _ in COUNTER_GROUPS} | {OVERDUE_GROUP: N_("Overdue")}
GROUPS = frozenset(GROUP_LABELS)
# FAB's filter arguments: _flt_<index of the filter among the column's filters>_<column>.
FILTER_ARGUMENT = re.compile(r"_flt_(\d)_(.+)")
# The text searched for in several columns at once.
TEXT_ARGUMENT = "q"
# The date range arguments, in the order the form shows them.
RANGE_ARGUMENTS = ("created_from", "created_to", "deadline_from", "deadline_to")
# A filter: narrows a query or a select of projects to those matching a value.
Narrowing = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class DateRange:
    """Both ends included; an open end is None."""

    start: date | None = None
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


def in_group(query: Any, group: str) -> Any:
    """Keep the projects of one dashboard group: several statuses, or the overdue ones."""
    if group == OVERDUE_GROUP:
        return query.filter(Project.deadline < business_today(), Project.status.in_(OPEN_VALUES))
    statuses = next(statuses for key, _, statuses in COUNTER_GROUPS if key == group)
    return query.filter(Project.status.in_([status.value for status in statuses]))


def containing(query: Any, text: str) -> Any:
    """Keep the projects whose reference, title, client or description contains a text."""
    return query.filter(text_matches(text))


def created_within(query: Any, days: DateRange) -> Any:
    """Keep the projects created within a range of days in France."""
    if days.start is not None:
        query = query.filter(Project.created_at >= _paris_midnight(days.start))
    if days.end is not None:
        query = query.filter(Project.created_at < _paris_midnight(days.end + timedelta(1)))
    return query


def due_within(query: Any, days: DateRange) -> Any:
    """Keep the projects whose deadline falls within a range; no deadline never does."""
    if days.start is not None:
        query = query.filter(Project.deadline >= days.start)
    if days.end is not None:
        query = query.filter(Project.deadline <= days.end)
    return query


def read_date_range(args: Mapping[str, str], prefix: str, label: str) -> DateRange:
    """Read ``<prefix>_from`` and ``<prefix>_to``; empty values leave that end open.

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


@dataclass(frozen=True)
class ListFilters:
    """The filters one request asks for, each with its value, for any select of projects.

    Built afresh for each request: the filters themselves hold no value, so the view's
    filters are shared by every request, never written to.
    """

    applied: tuple[tuple[Narrowing, Any], ...]

    def apply_all(self, query: Any) -> Any:
        """Narrow a query or a select of projects (FAB's ``Filters.apply_all`` contract)."""
        for narrow, value in self.applied:
            query = narrow(query, value)
        return query


def project_list_filters(
    search_filters: Mapping[str, Sequence[BaseFilter]], args: MultiDict[str, str]
) -> ListFilters:
    """Return the filters the URL asks for: FAB's search, the text, the group, the date ranges.

    ``search_filters`` is the view's ``_filters.get_search_filters()``: for each column the
    list may be searched by, its filters, in the order the ``_flt_<index>_<column>`` arguments
    number them.

    :raise Invalid: for a filter the list does not have, an unknown group, a bad date or a range
        ending before it starts.
    """
    applied: list[tuple[Narrowing, Any]] = []
    for name in args:
        match = FILTER_ARGUMENT.fullmatch(name)
        if not match:
            continue
        if not is_known_filter(search_filters, name):
            raise Invalid(N_("Projects cannot be filtered that way."))
        narrow = search_filters[match[2]][int(match[1])].apply
        applied += [(narrow, value) for value in args.getlist(name) if value != ""]
    created = read_date_range(args, "created", N_("creation date range"))
    deadline = read_date_range(args, "deadline", N_("deadline range"))
    group = args.get("group")
    if group is not None and group not in GROUPS:
        raise Invalid(N_("No such group of projects."))
    text = (args.get(TEXT_ARGUMENT) or "").strip()
    if text:
        applied.append((containing, text))
    if group:
        applied.append((in_group, group))
    if not created.is_open:
        applied.append((created_within, created))
    if not deadline.is_open:
        applied.append((due_within, deadline))
    return ListFilters(tuple(applied))


def is_known_filter(search_filters: Mapping[str, Sequence[BaseFilter]], name: str) -> bool:
    """Tell whether ``name`` is a filter argument the list has (``_flt_<index>_<column>``)."""
    match = FILTER_ARGUMENT.fullmatch(name)
    return match is not None and int(match[1]) < len(search_filters.get(match[2], ()))


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TIMEZONE)
