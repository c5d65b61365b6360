"""Run a project search: one page of rows and how many projects match, counted only so far."""

from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, gettext
from sqlalchemy import Result, Row, Select, func, select

from app.extensions import db
from app.models import Organisation, Project
from app.queries.dashboard import counter_columns
from app.queries.project_search import ProjectSearch
from app.tenancy import current_tenant, staff_read

# How many page numbers a pager shows on each side of the current page, unless told. The count
# of matches goes as far as the pager links and no further: a search matching a hundred thousand
# projects reads a few thousand of them, in the list's order, to say "more than 100".
PAGER_REACH = 3


@dataclass(frozen=True)
class MatchCount:
    """How many projects a search matches: ``value`` exactly, or more than ``value``."""

    value: int
    more: bool = False

    def label(self) -> str:
        """Write the count as the viewer's language does: "1 000", "plus de 1 000"."""
        number = format_decimal(self.value)
        return gettext("more than %(count)s", count=number) if self.more else number


@dataclass(frozen=True)
class ProjectPage:
    """One page of a search: its rows (or only their ids) and the capped count."""

    rows: list[Row[Any]]
    count: MatchCount

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows]


@dataclass(frozen=True)
class Pager:
    """The pages a list links to around the current one (pages count from 0)."""

    page: int
    page_size: int
    count: MatchCount
    # How many page numbers are shown on each side of the current page.
    reach: int = PAGER_REACH

    @property
    def last(self) -> int:
        """The last page the count reaches."""
        return max(0, -(-self.count.value // self.page_size) - 1)

    @property
    def numbers(self) -> range:
        return range(max(0, self.page - self.reach), min(self.last, self.page + self.reach) + 1)

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.count.value


def counted_limit(page: int, page_size: int, reach: int = PAGER_REACH) -> int:
    """Return how far the count goes for a page: to the end of the last page the pager links to
    ahead (one more match then says there are more)."""
    return (page + 1 + reach) * page_size


def project_page(
    search: ProjectSearch, *, include_internal: bool, reach: int = PAGER_REACH
) -> ProjectPage:
    """Return a page of the list's rows: the project's columns, its organisation's name and its
    counts of files and comments (internal notes too if ``include_internal``).

    One statement: the ids first, walked in order (for the work queue, from
    ``ix_project_work_queue``), then only the page's rows joined to their columns.

    :param reach: the pager's, which the count covers (see ``counted_limit``).
    """
    limit = counted_limit(search.page, search.page_size, reach)
    files, comments = counter_columns(include_internal=include_internal)
    kept = _walk(search, limit)
    keys = search.sort_keys()
    statement = (
        select(
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
            kept.c.counted,
        )
        .join(Organisation, Organisation.id == Project.organisation_id)
        .join(kept, kept.c.id == Project.id)
        .order_by(*(key.clause(kept.c[f"key_{i}"]) for i, key in enumerate(keys)))
    )
    return _page(search, list(_read(statement)), limit)


def page_ids(search: ProjectSearch, *, exact_count: bool = False) -> ProjectPage:
    """Return a page's ids alone, for a face that loads its projects itself (the API).

    :param exact_count: count every match, as the API's documented ``count`` says.
    """
    limit = None if exact_count else counted_limit(search.page, search.page_size)
    kept = _walk(search, limit)
    keys = search.sort_keys()
    statement = select(kept.c.id, kept.c.counted).order_by(
        *(key.clause(kept.c[f"key_{i}"]) for i, key in enumerate(keys))
    )
    return _page(search, list(_read(statement)), limit)


def page_projects(search: ProjectSearch) -> tuple[MatchCount, list[Project]]:
    """Return a page of projects themselves, in order, and how many match in all (the API's)."""
    found = page_ids(search, exact_count=True)
    by_id = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(found.ids)))}
    return found.count, [by_id[id_] for id_ in found.ids if id_ in by_id]


def organisation_choices() -> list[tuple[int, str]]:
    """Return every organisation's id and name, by name, for a search form (the team's)."""
    statement = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    return [(id_, name) for id_, name in staff_read(db.session, statement)]


def _walk(search: ProjectSearch, limit: int | None) -> Any:
    """Walk the matching ids in order from the page's first, as far as the count goes.

    Of that walk the page's first rows are kept, each with the walk's length (``counted``).
    """
    keys = search.sort_keys()
    offset = search.page * search.page_size
    walk = (
        search.narrow(select(Project.id))
        .add_columns(*(key.expression.label(f"key_{i}") for i, key in enumerate(keys)))
        .order_by(*(key.clause() for key in keys))
        .offset(offset)
    )
    if limit is not None:
        walk = walk.limit(limit - offset + 1)
    # Planned on its own (a materialised CTE): in a subquery, PostgreSQL would cost the walk as
    # if the page's LIMIT stopped it early, and walk the queue's index through every project to
    # find a rare text instead of reading the text's trigram indexes.
    walked = walk.cte("walk").prefix_with("MATERIALIZED", dialect="postgresql")
    return (
        select(walked, func.count().over().label("counted"))
        .order_by(*(key.clause(walked.c[f"key_{i}"]) for i, key in enumerate(keys)))
        .limit(search.page_size)
        .subquery("kept")
    )


def _page(search: ProjectSearch, rows: list[Row[Any]], limit: int | None) -> ProjectPage:
    offset = search.page * search.page_size
    if rows:
        counted = offset + rows[0].counted
    elif offset == 0:
        counted = 0
    else:
        # Past the last page: count what there is, as far as the count goes.
        matching = search.narrow(select(Project.id))
        if limit is not None:
            matching = matching.limit(limit + 1)
        counted = _read(select(func.count()).select_from(matching.subquery())).scalar() or 0
    if limit is None:
        return ProjectPage(rows, MatchCount(counted))
    return ProjectPage(rows, MatchCount(min(counted, limit), more=counted > limit))


def _read(statement: Select) -> Result[Any]:
    # Staff read past the ORM (see staff_read); an organisation's user through it, scoped.
    if current_tenant(db.session) is None:
        return staff_read(db.session, statement)
    return db.session.execute(statement)
