"""What the team's project list is filtered by, read from the URL: one reading for every screen.

FAB's search filters (``_flt_<index>_<column>``), the dashboard's groups (``group=<key>``) and two
date ranges: ``created_from``/``created_to`` and ``deadline_from``/``deadline_to`` (ISO dates,
both ends included, creation dates read in France's time zone).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_appbuilder.models.filters import BaseFilter, Filters
from flask_appbuilder.urltools import get_filter_args

from app.domain.errors import N_, Invalid
from app.models import Project
from app.services.backoffice import OPEN_VALUES, business_today
from app.services.common import BUSINESS_TIMEZONE
from app.services.dashboard import COUNTER_GROUPS

# The dashboard's links: ?group=<key> lists a counter's statuses, or the overdue projects.
OVERDUE_GROUP = "overdue"
GROUP_LABELS = {key: label for key, label, _ in COUNTER_GROUPS} | {OVERDUE_GROUP: N_("Overdue")}
GROUPS = frozenset(GROUP_LABELS)
# The date range arguments, in the order the form shows them.
RANGE_ARGUMENTS = ("created_from", "created_to", "deadline_from", "deadline_to")


@dataclass(frozen=True)
class DateRange:
    """Both ends included; an open end is None."""

    start: date | None = None
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


class GroupFilter(BaseFilter):
    """Keep the projects of one dashboard group: several statuses, or the overdue ones."""

    name = "group"

    def apply(self, query: Any, value: str) -> Any:
        if value == OVERDUE_GROUP:
            return query.filter(
                Project.deadline < business_today(), Project.status.in_(OPEN_VALUES)
            )
        statuses = next(group for key, _, group in COUNTER_GROUPS if key == value)
        return query.filter(Project.status.in_([status.value for status in statuses]))


class CreatedFilter(BaseFilter):
    """Keep the projects created within a range of days in France."""

    name = "created"

    def apply(self, query: Any, value: DateRange) -> Any:
        if value.start is not None:
            query = query.filter(Project.created_at >= _paris_midnight(value.start))
        if value.end is not None:
            query = query.filter(Project.created_at < _paris_midnight(value.end + timedelta(1)))
        return query


class DeadlineFilter(BaseFilter):
    """Keep the projects whose deadline falls within a range; no deadline never does."""

    name = "deadline"

    def apply(self, query: Any, value: DateRange) -> Any:
        if value.start is not None:
            query = query.filter(Project.deadline >= value.start)
        if value.end is not None:
            query = query.filter(Project.deadline <= value.end)
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


def project_list_filters(search_filters: Filters, args: Mapping[str, str]) -> Filters:
    """Return the filters the URL asks for: FAB's search, the dashboard group, the date ranges.

    Call it inside the request whose arguments ``args`` are: FAB reads its own filters from
    ``request.args``. ``search_filters`` is the view's ``_filters``; it is refilled, and the
    filters returned are a new object, ready for ``datamodel.query`` or ``Filters.apply_all``.

    :raise Invalid: for an unknown group, a bad date or a range ending before it starts.
    """
    created = read_date_range(args, "created", N_("creation date range"))
    deadline = read_date_range(args, "deadline", N_("deadline range"))
    group = args.get("group")
    if group is not None and group not in GROUPS:
        raise Invalid(N_("No such group of projects."))
    get_filter_args(search_filters, disallow_if_not_in_search=True)
    extra = search_filters.datamodel.get_filters(["status"])
    extra.clear_filters()
    if group:
        extra.add_filter("status", GroupFilter, group)
    if not created.is_open:
        extra.add_filter("created_at", CreatedFilter, created)
    if not deadline.is_open:
        extra.add_filter("deadline", DeadlineFilter, deadline)
    return search_filters.get_joined_filters(extra)


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TIMEZONE)
