"""Counters for dashboards and lists, each from one aggregate query.

Run inside a request of an organisation user, these count that organisation alone: the tenant
scope of app.tenancy applies to them like to every ORM query.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from app.domain.errors import N_
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import Comment, Project, ProjectFile

S = ProjectStatus
# SPEC §7: the counters both dashboards show, each a group of statuses, in display order.
COUNTER_GROUPS: tuple[tuple[str, str, frozenset[ProjectStatus]], ...] = (
    ("total", N_("Total"), frozenset(S)),
    ("pending", N_("Pending"), frozenset({S.PENDING})),
    ("in_progress", N_("In review or in progress"), frozenset({S.IN_REVIEW, S.IN_PROGRESS})),
    ("awaiting_payment", N_("Awaiting payment"), frozenset({S.COMPLETED, S.AWAITING_PAYMENT})),
    ("paid", N_("Paid"), frozenset({S.PAID})),
    ("closed", N_("Closed"), frozenset({S.REJECTED, S.CANCELLED})),
)


@dataclass(frozen=True)
class Counter:
    key: str
    label: str
    statuses: frozenset[ProjectStatus]
    count: int


def count_by_status(organisation_id: int | None = None) -> dict[ProjectStatus, int]:
    """Count projects per status in one GROUP BY, optionally for one organisation."""
    statement = select(Project.status, func.count(Project.id)).group_by(Project.status)
    if organisation_id is not None:
        statement = statement.where(Project.organisation_id == organisation_id)
    found = dict(db.session.execute(statement).all())
    return {status: found.get(status.value, 0) for status in ProjectStatus}


def counters(organisation_id: int | None = None) -> list[Counter]:
    """Return the dashboard counters of SPEC §7."""
    by_status = count_by_status(organisation_id)
    return [
        Counter(key, label, statuses, sum(by_status[s] for s in statuses))
        for key, label, statuses in COUNTER_GROUPS
    ]


@dataclass(frozen=True)
class RowCounts:
    files: int = 0
    comments: int = 0


def row_counts(project_ids: Iterable[int], *, include_internal: bool) -> Mapping[int, RowCounts]:
    """Count files and comments of many projects in two grouped queries, whatever their number.

    :param include_internal: count internal notes too (staff only; an organisation user must not
        learn how many there are).
    """
    ids = list(project_ids)
    if not ids:
        return {}
    files = dict(
        db.session.execute(
            select(ProjectFile.project_id, func.count(ProjectFile.id))
            .where(ProjectFile.project_id.in_(ids))
            .group_by(ProjectFile.project_id)
        ).all()
    )
    comment_query = select(Comment.project_id, func.count(Comment.id)).where(
        Comment.project_id.in_(ids)
    )
    if not include_internal:
        comment_query = comment_query.where(Comment.is_internal.is_(False))
    comments = dict(db.session.execute(comment_query.group_by(Comment.project_id)).all())
    return {pid: RowCounts(files.get(pid, 0), comments.get(pid, 0)) for pid in ids}
