"""The portal's project list: search, status filter, sort by creation date, bounded pages."""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from app.domain.errors import Invalid
from app.extensions import db
from app.models import Project
from app.queries.dashboard import COUNTER_GROUPS as COUNTER_GROUPS  # the list's template's
from app.queries.dashboard import RowCounts, row_counts
from app.services.project_search import ProjectSearch, read_project_search

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ProjectPage:
    """One page of the list, with what the template needs to draw its controls."""

    projects: list[Project]
    counts: Mapping[int, RowCounts]
    total: int
    page: int
    page_size: int
    search: str
    status: str
    oldest_first: bool

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def find_projects(organisation_id: int, args: Mapping[str, str]) -> ProjectPage:
    """Read the list's arguments and return the matching page; 400 for arguments out of range."""
    criteria = list_search(args)
    try:
        page = int(args.get("page") or 1)
        page_size = min(int(args.get("psize") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    except ValueError:
        abort(400, description="Page and page size must be whole numbers.")
    if page < 1 or page_size < 1:
        abort(400, description="Page and page size must be positive.")
    # count(*) is counted from an index; count(project.id) would read every row.
    total = db.session.scalar(
        _filtered(select(func.count()).select_from(Project), organisation_id, criteria)
    )
    # The page's ids come first, read in order from ix_project_org_created however deep the
    # page; only those rows are then read. The list shows no services: they are not loaded.
    page_ids = (
        _filtered(select(Project.id), organisation_id, criteria)
        .order_by(*criteria.order())
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery()
    )
    projects = list(
        db.session.scalars(
            select(Project)
            .join(page_ids, page_ids.c.id == Project.id)
            .options(lazyload(Project.services))
            .order_by(*criteria.order())
        ).unique()
    )
    # Internal notes stay out of the comment counter: their number is the team's business too.
    counts = row_counts([p.id for p in projects], include_internal=False)
    return ProjectPage(
        projects,
        counts,
        total or 0,
        page,
        page_size,
        criteria.text,
        criteria.status,
        criteria.oldest_first,
    )


def list_search(args: Mapping[str, str]) -> ProjectSearch:
    """Read the list's search, status and order, as the list and its export both do; 400 if bad.

    The portal has no organisation or priority filter: those arguments are left out.
    """
    try:
        criteria = read_project_search(args)
    except Invalid:
        abort(400, description="Unknown status.")
    return replace(criteria, organisation_id=None, priority="")


def _filtered(statement: Select, organisation_id: int, criteria: ProjectSearch) -> Select:
    # The tenant scope already hides other organisations; saying it again costs nothing.
    return criteria.narrow(statement.where(Project.organisation_id == organisation_id))
