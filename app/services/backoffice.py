"""What the team's screens read: overdue projects, money due and received.

Each figure comes from one aggregate query, whatever the number of projects or payments.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, literal, select, union_all

from app.domain.workflow import OPEN_STATUSES, PAYMENT_DUE_STATUSES
from app.extensions import db
from app.models import AppUser, Payment, PaymentLink, Project
from app.models.base import utcnow
from app.services.common import BUSINESS_TIMEZONE

OPEN_VALUES = tuple(status.value for status in OPEN_STATUSES)


def business_today() -> date:
    """Return today's date in France, which decides what is overdue."""
    return utcnow().astimezone(BUSINESS_TIMEZONE).date()


def is_overdue(project: Project, today: date) -> bool:
    """Tell whether the team still owes work on a project past its deadline."""
    return (
        project.deadline is not None and project.deadline < today and project.status in OPEN_VALUES
    )


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


def projects_per_organisation() -> dict[int, dict[str, int]]:
    """Count every organisation's projects per status, in one GROUP BY."""
    statement = select(Project.organisation_id, Project.status, func.count(Project.id)).group_by(
        Project.organisation_id, Project.status
    )
    counts: dict[int, dict[str, int]] = {}
    for organisation_id, status, count in db.session.execute(statement):
        counts.setdefault(organisation_id, {})[status] = count
    return counts


def members_per_organisation() -> dict[int, int]:
    """Count every organisation's user accounts, in one GROUP BY."""
    statement = (
        select(AppUser.organisation_id, func.count(AppUser.id))
        .where(AppUser.organisation_id.is_not(None))
        .group_by(AppUser.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in db.session.execute(statement)}


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
