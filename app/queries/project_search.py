"""One search of projects, whatever list asks: the team's, the portal's, the exports, the API.

A search says which projects (text, status or dashboard group, priority, organisation, date
ranges, column conditions), in which order, and which page. ``app.queries.search_arguments``
reads it from each face's URL; ``app.queries.project_list`` runs it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, UnaryExpression, case, or_

from app.domain.dates import BUSINESS_TIMEZONE, business_today
from app.domain.errors import N_
from app.domain.workflow import OPEN_VALUES, Priority
from app.models import Project
from app.queries.dashboard import COUNTER_GROUPS

# The dashboard's groups of statuses, and the overdue projects.
OVERDUE_GROUP = "overdue"
GROUP_STATUSES = {key: statuses for key, _, statuses in COUNTER_GROUPS}
GROUP_LABELS = {key: label for key, label, _ in COUNTER_GROUPS} | {OVERDUE_GROUP: N_("Overdue")}
# The team's default order; not a column, see sort_keys.
WORK_QUEUE = "work_queue"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def like_escaped(value: Any) -> str:
    """Return ``value`` with LIKE's wildcards and its escape (``\\``) taken literally."""
    return str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pattern: str) -> Callable[[Any, Any], ColumnElement[bool]]:
    return lambda column, value: column.ilike(pattern.format(like_escaped(value)), escape="\\")


def _not_like(pattern: str) -> Callable[[Any, Any], ColumnElement[bool]]:
    return lambda column, value: ~column.ilike(pattern.format(like_escaped(value)), escape="\\")


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# FAB's filter operators, by their argument names, as its list and API read them: the URLs and
# the API's callers already use these names. Unlike FAB, their text is searched for as typed:
# ``%``, ``_`` and ``\\`` are not wildcards, and a trailing backslash is no broken pattern.
OPERATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "sw": _like("{}%"),
    "ew": _like("%{}"),
    "ct": _like("%{}%"),
    "eq": lambda column, value: column == value,
    "nsw": _not_like("{}%"),
    "new": _not_like("%{}"),
    "nct": _not_like("%{}%"),
    "neq": lambda column, value: column != value,
    "gt": lambda column, value: column > value,
    "lt": lambda column, value: column < value,
    "in": lambda column, value: column.in_(_values(value)),
    "not_in": lambda column, value: ~column.in_(_values(value)),
}


@dataclass(frozen=True)
class DateRange:
    """Both ends included; an open end is None."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Condition:
    """One column compared with a value by one of ``OPERATORS``."""

    column: str
    operator: str
    value: Any

    def clause(self) -> ColumnElement[bool]:
        return OPERATORS[self.operator](getattr(Project, self.column), self.value)


@dataclass(frozen=True)
class SortKey:
    """One key of an order, applied to its expression or to a copy of it selected in a subquery
    (a page's rows are ordered again after the walk that picked them)."""

    expression: ColumnElement[Any]
    descending: bool = False
    nulls_last: bool = False

    def clause(self, expression: ColumnElement[Any] | None = None) -> UnaryExpression[Any]:
        """Return the ``ORDER BY`` clause of the key, on ``expression`` if given."""
        target = self.expression if expression is None else expression
        clause = target.desc() if self.descending else target.asc()
        return clause.nulls_last() if self.nulls_last else clause


@dataclass(frozen=True)
class ProjectSearch:
    """Which projects a list asks for, in which order, and which page of them (from 0).

    An organisation user is scoped to their own organisation whatever the search says.
    """

    text: str = ""
    status: str = ""
    group: str = ""
    priority: str = ""
    organisation_id: int | None = None
    created: DateRange = DateRange()
    deadline: DateRange = DateRange()
    conditions: tuple[Condition, ...] = ()
    order: str = "created_at"
    direction: str = "desc"
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    # The arguments as given, for the export's record.
    arguments: Mapping[str, str] = field(default_factory=dict, compare=False)

    def criteria(self) -> list[ColumnElement[bool]]:
        """Return the conditions a project must meet, all of them."""
        found = [condition.clause() for condition in self.conditions]
        if self.text:
            found.append(text_matches(self.text))
        if self.status:
            found.append(Project.status == self.status)
        if self.group == OVERDUE_GROUP:
            found += [Project.deadline < business_today(), Project.status.in_(OPEN_VALUES)]
        elif self.group:
            found.append(Project.status.in_([s.value for s in GROUP_STATUSES[self.group]]))
        if self.priority:
            found.append(Project.priority == self.priority)
        if self.organisation_id is not None:
            found.append(Project.organisation_id == self.organisation_id)
        if self.created.start is not None:
            found.append(Project.created_at >= _paris_midnight(self.created.start))
        if self.created.end is not None:
            found.append(Project.created_at < _paris_midnight(self.created.end + timedelta(1)))
        if self.deadline.start is not None:
            found.append(Project.deadline >= self.deadline.start)
        if self.deadline.end is not None:
            found.append(Project.deadline <= self.deadline.end)
        return found

    def narrow(self, statement: Select) -> Select:
        """Add the search's criteria to a statement selecting from projects."""
        return statement.where(*self.criteria())

    def sort_keys(self) -> list[SortKey]:
        """Order by the work queue, or by a column and then by id, to page steadily.

        Priorities sort by urgency rather than by their codes; "descending" reads as most
        urgent first, which is the smallest rank.
        """
        if self.order == WORK_QUEUE:
            return work_queue_order()
        descending = self.direction == "desc"
        if self.order == "priority":
            return [SortKey(priority_rank(), descending=not descending), SortKey(Project.id)]
        return [
            SortKey(getattr(Project, self.order), descending=descending),
            SortKey(Project.id, descending=descending),
        ]

    def ordered(self, statement: Select) -> Select:
        """Narrow a statement selecting from projects, and order it."""
        return self.narrow(statement).order_by(*(key.clause() for key in self.sort_keys()))


def text_matches(text: str) -> ColumnElement[bool]:
    """Match projects whose reference, title, client or description contains ``text``.

    Case is ignored; ``%``, ``_`` and ``\\`` are searched for as they are, not as wildcards.
    On PostgreSQL each column's trigram index answers (``ix_project_<column>_trgm``).
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        *(
            column.ilike(pattern, escape="\\")
            for column in (
                Project.reference,
                Project.title,
                Project.client_name,
                Project.description,
            )
        )
    )


def priority_rank() -> ColumnElement[int]:
    """Rank priorities in SQL as the queue reads them: URGENT first, LOW last."""
    return case(
        {priority.value: priority.rank for priority in Priority},
        value=Project.priority,
        else_=len(Priority),
    )


def work_queue_order() -> list[SortKey]:
    """Order the team's queue: URGENT and HIGH first, then the nearest deadline, then the oldest.

    URGENT and HIGH each form a band; MEDIUM and LOW share one, ordered by deadline alone. The
    band is stored (``Project.queue_band``) and the index ``ix_project_work_queue`` holds these
    columns in this order, so a page of the queue is read from the index instead of sorting
    every project.
    """
    return [
        SortKey(Project.queue_band),
        # Projects without a deadline come after those with one, on both databases (PostgreSQL's
        # ascending index already keeps them last, so it still serves the order).
        SortKey(Project.deadline, nulls_last=True),
        SortKey(Project.created_at),
        SortKey(Project.id),
    ]


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TIMEZONE)
