"""The portal's project list: search, status filter, sort by creation date, bounded pages."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort
from sqlalchemy import Select, func, or_, select

from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import Project
from app.services.dashboard import COUNTER_GROUPS, RowCounts, row_counts

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
GROUPS = {key: statuses for key, _, statuses in COUNTER_GROUPS}


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
    search = (args.get("q") or "").strip()
    status = args.get("status") or ""
    oldest_first = args.get("sort") == "created"
    try:
        page = int(args.get("page") or 1)
        page_size = min(int(args.get("psize") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    except ValueError:
        abort(400, description="Page and page size must be whole numbers.")
    if page < 1 or page_size < 1:
        abort(400, description="Page and page size must be positive.")
    statement = _filtered(select(Project), organisation_id, search, status)
    total = db.session.scalar(
        _filtered(select(func.count(Project.id)), organisation_id, search, status)
    )
    order = Project.created_at.asc() if oldest_first else Project.created_at.desc()
    projects = list(
        db.session.scalars(
            statement.order_by(order, Project.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).unique()
    )
    # Internal notes stay out of the comment counter: their number is the team's business too.
    counts = row_counts([p.id for p in projects], include_internal=False)
    return ProjectPage(projects, counts, total or 0, page, page_size, search, status, oldest_first)


def _filtered(statement: Select, organisation_id: int, search: str, status: str) -> Select:
    # The tenant scope already hides other organisations; saying it again costs nothing.
    statement = statement.where(Project.organisation_id == organisation_id)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Project.title.ilike(pattern, escape="\\"),
                Project.description.ilike(pattern, escape="\\"),
                Project.client_name.ilike(pattern, escape="\\"),
            )
        )
    if status in GROUPS:
        statement = statement.where(Project.status.in_([s.value for s in GROUPS[status]]))
    elif status:
        try:
            statement = statement.where(Project.status == ProjectStatus(status).value)
        except ValueError:
            abort(400, description="Unknown status.")
    return statement
