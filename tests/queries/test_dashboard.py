"""Counters from aggregate queries: per status group, per row, scoped for organisation users."""

from datetime import UTC, date, datetime, timedelta

from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import Payment
from app.queries.dashboard import MonthRevenue, counters, revenue_by_month, row_counts
from app.tenancy import set_tenant
from tests.factories import CommentFactory, FileFactory, OrganisationFactory, ProjectFactory


def test_counters_group_statuses_as_the_dashboards_show_them(app):
    a, b = OrganisationFactory(), OrganisationFactory()
    for status in ProjectStatus:
        ProjectFactory(organisation=a, status=status.value)
    ProjectFactory(organisation=b, status="PENDING")

    values = {c.key: c.count for c in counters()}
    assert values == {
        "total": 9,
        "pending": 2,
        "in_progress": 2,
        "awaiting_payment": 2,
        "paid": 1,
        "closed": 2,
    }
    assert {c.key: c.count for c in counters(b.id)}["total"] == 1
    set_tenant(db.session, b.id)
    try:
        assert {c.key: c.count for c in counters()}["total"] == 1
    finally:
        set_tenant(db.session, None)


def test_row_counts_hide_internal_notes_from_organisation_users(app):
    project, empty = ProjectFactory(), ProjectFactory()
    FileFactory(project_obj=project)
    FileFactory(project_obj=project, kind="DELIVERABLE")
    CommentFactory(project_obj=project)
    CommentFactory(project_obj=project, is_internal=True)

    staff = row_counts([project.id, empty.id], include_internal=True)
    assert (staff[project.id].files, staff[project.id].comments) == (2, 2)
    assert (staff[empty.id].files, staff[empty.id].comments) == (0, 0)
    assert row_counts([project.id], include_internal=False)[project.id].comments == 1
    assert row_counts([], include_internal=True) == {}


def add_payment(paid_at: datetime, cents: int, *, refunded: int = 0, currency: str = "EUR") -> None:
    db.session.add(
        Payment(
            organisation_id=OrganisationFactory().id,
            project_reference="CNC-2026-09998",
            project_title="Bride",
            organisation_name="Atelier",
            client_name="Jeanne Martin",
            client_email="jeanne@example.test",
            amount_cents=cents,
            refunded_cents=refunded,
            currency=currency,
            method="TRANSFER",
            paid_at=paid_at,
        )
    )
    db.session.commit()


def test_revenue_by_month_sums_each_utc_month_asked_per_currency(app):
    march = datetime(2026, 3, 1, tzinfo=UTC)
    add_payment(march - timedelta(microseconds=1), 1)  # the last instant of February
    add_payment(march, 10000)  # the first instant of March
    add_payment(march + timedelta(days=30), 5000, refunded=1500)
    add_payment(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), 700, currency="CHF")
    add_payment(datetime(2026, 5, 31, 23, 59, tzinfo=UTC), 2500)
    add_payment(datetime(2026, 6, 1, tzinfo=UTC), 99900)  # after the last month asked
    add_payment(datetime(2025, 12, 31, 22, 0, tzinfo=UTC), 12300)  # a month before the others

    rows = revenue_by_month([date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)])

    assert rows == [
        MonthRevenue(2026, 3, "CHF", 700),
        MonthRevenue(2026, 3, "EUR", 13500),
        MonthRevenue(2026, 5, "EUR", 2500),
    ]


def test_revenue_by_month_crosses_the_year_and_answers_no_month_with_nothing(app):
    add_payment(datetime(2025, 12, 15, tzinfo=UTC), 100)
    add_payment(datetime(2026, 1, 15, tzinfo=UTC), 200)

    assert revenue_by_month([date(2025, 12, 1), date(2026, 1, 1)]) == [
        MonthRevenue(2025, 12, "EUR", 100),
        MonthRevenue(2026, 1, "EUR", 200),
    ]
    # Each month is summed alone: a month left out is not added to the one before it.
    assert revenue_by_month([date(2025, 12, 1), date(2026, 2, 1)]) == [
        MonthRevenue(2025, 12, "EUR", 100)
    ]
    assert revenue_by_month([]) == []
