"""Counters for dashboards and lists, each from one aggregate query.

Run inside a request of an organisation user, these count that organisation alone: the tenant
scope of app.tenancy applies to them like to every ORM query.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ScalarSelect, func, select

from app.domain.errors import N_
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import CheckoutSession, CheckoutStatus, Comment, Project, ProjectFile
from app.services.backoffice import (
    Amount,
    MonthRevenue,
    amounts_awaiting_payment,
    count_overdue,
    links_expiring,
    overdue_projects,
    revenue_by_month,
)

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
    """Count projects per status in one GROUP BY, optionally for one organisation.

    ``count(*)``, not ``count(project.id)``: PostgreSQL then reads the status from an index
    (``ix_project_org_status``, an index-only scan) instead of every row of the wide table.
    """
    statement = select(Project.status, func.count()).group_by(Project.status)
    if organisation_id is not None:
        statement = statement.where(Project.organisation_id == organisation_id)
    found = dict(db.session.execute(statement).all())
    return {status: found.get(status.value, 0) for status in ProjectStatus}


def counters(organisation_id: int | None = None) -> list[Counter]:
    """Return the dashboard counters of SPEC §7."""
    return group_counters(count_by_status(organisation_id))


def group_counters(by_status: Mapping[ProjectStatus, int]) -> list[Counter]:
    """Add the counts per status up into the counters of SPEC §7, in display order."""
    return [
        Counter(key, label, statuses, sum(by_status[s] for s in statuses))
        for key, label, statuses in COUNTER_GROUPS
    ]


def refused_payments_to_settle() -> list[tuple[CheckoutSession, Project]]:
    """List the card payments refused here that the team has not settled yet, oldest first."""
    rows = db.session.execute(
        select(CheckoutSession, Project)
        .join(Project, Project.id == CheckoutSession.project_id)
        .where(
            CheckoutSession.status == CheckoutStatus.REFUSED.value,
            CheckoutSession.resolved_at.is_(None),
        )
        .order_by(CheckoutSession.closed_at, CheckoutSession.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class TeamDashboard:
    """The figures of the team's dashboard, each read once."""

    by_status: dict[ProjectStatus, int]
    counters: list[Counter]
    overdue_count: int
    overdue: list[Project]
    awaiting: list[Amount]
    expiring: list[tuple[Project, datetime]]
    refused: list[tuple[CheckoutSession, Project]]
    revenue: list[MonthRevenue]


def team_dashboard(
    today: date, *, revenue_months: Sequence[date], expiring_until: datetime, overdue_shown: int
) -> TeamDashboard:
    """Read the team's dashboard: one aggregate per figure, the counts per status only once.

    :param today: the business day that decides what is overdue.
    :param revenue_months: the first days of the revenue chart's months (UTC), oldest first.
    :param expiring_until: list the payment links that expire before this moment.
    :param overdue_shown: how many overdue projects to list (all of them are counted).
    """
    by_status = count_by_status()
    return TeamDashboard(
        by_status=by_status,
        counters=group_counters(by_status),
        overdue_count=count_overdue(today),
        overdue=overdue_projects(today, overdue_shown),
        awaiting=amounts_awaiting_payment(),
        expiring=links_expiring(expiring_until),
        refused=refused_payments_to_settle(),
        revenue=revenue_by_month(revenue_months),
    )


@dataclass(frozen=True)
class RowCounts:
    files: int = 0
    comments: int = 0


def counter_columns(*, include_internal: bool) -> tuple[ScalarSelect[int], ScalarSelect[int]]:
    """Count a project's files and comments within the statement that selects the project.

    Each count reads one project's entries of ``ix_project_file_project_kind`` and
    ``ix_comment_project_created``, whatever else the statement is scoped by; grouped counts
    over a list of ids let PostgreSQL combine them with the tenant scope's organisation index
    and read thousands of entries instead.

    :param include_internal: count internal notes too (staff only; an organisation user must not
        learn how many there are).
    """
    files = select(func.count()).where(ProjectFile.project_id == Project.id)
    comments = select(func.count()).where(Comment.project_id == Project.id)
    if not include_internal:
        comments = comments.where(Comment.is_internal.is_(False))
    return (
        files.correlate(Project).scalar_subquery(),
        comments.correlate(Project).scalar_subquery(),
    )


def row_counts(project_ids: Iterable[int], *, include_internal: bool) -> Mapping[int, RowCounts]:
    """Count files and comments of many projects in one statement, whatever their number.

    :param include_internal: as for ``counter_columns``.
    """
    ids = list(project_ids)
    if not ids:
        return {}
    files, comments = counter_columns(include_internal=include_internal)
    counted = db.session.execute(select(Project.id, files, comments).where(Project.id.in_(ids)))
    found = {
        pid: RowCounts(file_count, comment_count) for pid, file_count, comment_count in counted
    }
    return {pid: found.get(pid, RowCounts()) for pid in ids}
