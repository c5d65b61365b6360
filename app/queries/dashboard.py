"""Counters for dashboards and lists, each from one aggregate query.

Run inside a request of an organisation user, these count that organisation alone: the tenant
scope of app.tenancy applies to them like to every ORM query.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ScalarSelect, func, literal, select, union_all

from app.domain.errors import N_
from app.domain.workflow import OPEN_VALUES, PAYMENT_DUE_STATUSES, ProjectStatus
from app.extensions import db
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    Comment,
    Payment,
    PaymentLink,
    Project,
    ProjectFile,
)
from app.models.base import utcnow

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


def overdue_projects(today: date, limit: int = 20) -> list[Project]:
    """Return the open projects past their deadline, the most late first."""
    statement = (
        select(Project)
        .where(Project.deadline < today, Project.status.in_(OPEN_VALUES))
        .order_by(Project.deadline.asc(), Project.id.asc())
        .limit(limit)
    )
    return list(db.session.scalars(statement).unique())


def count_overdue(today: date) -> int:
    """Count the open projects past their deadline.

    ``count(*)`` lets PostgreSQL answer from ``ix_project_status_priority_deadline`` alone (an
    index-only scan of the open statuses' entries) without visiting the rows.
    """
    statement = select(func.count()).where(
        Project.deadline < today, Project.status.in_(OPEN_VALUES)
    )
    return db.session.scalar(statement) or 0


@dataclass(frozen=True)
class Amount:
    currency: str
    cents: int


def amounts_awaiting_payment() -> list[Amount]:
    """Sum the final prices of the projects delivered and not yet paid, per currency.

    ``ix_project_status_currency_price`` holds every column read, so PostgreSQL sums from the
    index instead of visiting a row per project.
    """
    statement = (
        select(Project.currency, func.coalesce(func.sum(Project.final_price_cents), 0))
        .where(Project.status.in_([status.value for status in PAYMENT_DUE_STATUSES]))
        .group_by(Project.currency)
        .order_by(Project.currency)
    )
    return [Amount(currency, int(cents)) for currency, cents in db.session.execute(statement)]


@dataclass(frozen=True)
class MonthRevenue:
    year: int
    month: int
    currency: str
    cents: int


def revenue_by_month(months: Sequence[date]) -> list[MonthRevenue]:
    """Sum the money received (less refunds) in each calendar month (UTC) given, oldest first.

    :param months: the first days of the months to sum, oldest first.

    One statement of one range per month (``paid_at >= start AND paid_at < end``, a UNION ALL),
    each read from the index on ``paid_at`` and summed per currency: PostgreSQL neither computes
    a year and a month for each payment nor sorts them all to group them.
    """
    if not months:
        return []
    net = func.sum(Payment.amount_cents - Payment.refunded_cents)
    statement = union_all(
        *(
            select(literal(index).label("month_index"), Payment.currency, net)
            .where(Payment.paid_at >= start, Payment.paid_at < end)
            .group_by(Payment.currency)
            for index, (start, end) in enumerate(
                (_month_start(month), _month_start(_next_month(month))) for month in months
            )
        )
    )
    rows = sorted(db.session.execute(statement), key=lambda row: (row[0], row[1]))
    return [
        MonthRevenue(months[index].year, months[index].month, currency, int(cents or 0))
        for index, currency, cents in rows
    ]


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def links_expiring(until: datetime, limit: int = 10) -> list[tuple[Project, datetime]]:
    """Return the projects awaiting payment whose live link ends before ``until``, soonest first."""
    now = utcnow()
    statement = (
        select(Project, PaymentLink.expires_at)
        .join(PaymentLink, PaymentLink.project_id == Project.id)
        .where(
            PaymentLink.revoked_at.is_(None),
            PaymentLink.expires_at > now,
            PaymentLink.expires_at <= until,
            Project.status.in_([status.value for status in PAYMENT_DUE_STATUSES]),
        )
        .order_by(PaymentLink.expires_at.asc(), Project.id.asc())
        .limit(limit)
    )
    return [(project, expires_at) for project, expires_at in db.session.execute(statement)]


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
