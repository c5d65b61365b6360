"""What the team's screens read: the work queue order, overdue projects, money due and received.

Each figure comes from one aggregate query, whatever the number of projects or payments.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, extract, func, select

from app.domain.workflow import OPEN_STATUSES, PAYMENT_DUE_STATUSES, Priority
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


def priority_rank() -> ColumnElement[int]:
    """Rank priorities in SQL as the queue reads them: URGENT first, LOW last."""
    return case(
        {priority.value: priority.rank for priority in Priority},
        value=Project.priority,
        else_=len(Priority),
    )


def work_queue_order() -> list[ColumnElement[object]]:
    """Order the team's queue: URGENT and HIGH first, then the nearest deadline, then the oldest.

    URGENT and HIGH each form a band; MEDIUM and LOW share one, ordered by deadline alone.
    """
    band = case(
        (Project.priority == Priority.URGENT.value, 0),
        (Project.priority == Priority.HIGH.value, 1),
        else_=2,
    )
    return [
        band,
        # Projects without a deadline come after those with one, on both databases.
        case((Project.deadline.is_(None), 1), else_=0),
        Project.deadline.asc(),
        Project.created_at.asc(),
        Project.id.asc(),
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
    """Count the open projects past their deadline."""
    statement = select(func.count(Project.id)).where(
        Project.deadline < today, Project.status.in_(OPEN_VALUES)
    )
    return db.session.scalar(statement) or 0


@dataclass(frozen=True)
class Amount:
    currency: str
    cents: int


def amounts_awaiting_payment() -> list[Amount]:
    """Sum the final prices of the projects delivered and not yet paid, per currency."""
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


def revenue_by_month(since: datetime) -> list[MonthRevenue]:
    """Sum the money received (less refunds) per calendar month (UTC) since a moment, oldest first.

    Grouped in SQL on the extracted year and month, which both SQLite and PostgreSQL compute.
    """
    year = extract("year", Payment.paid_at)
    month = extract("month", Payment.paid_at)
    net = func.sum(Payment.amount_cents - Payment.refunded_cents)
    statement = (
        select(year, month, Payment.currency, net)
        .where(Payment.paid_at >= since)
        .group_by(year, month, Payment.currency)
        .order_by(year, month, Payment.currency)
    )
    return [
        MonthRevenue(int(y), int(m), currency, int(cents or 0))
        for y, m, currency, cents in db.session.execute(statement)
    ]


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
