"""The team's dashboard: the landing page, its counters and links, money, charts, fixed queries."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from app.domain.dates import business_today
from app.domain.policy import Role
from app.extensions import db
from app.models import Payment, PaymentLink
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory
from tests.views.conftest import login, statements_of

DASHBOARD = "/admin/dashboard/"
LIST = "/admin/projects/list/"


FRENCH_MONTHS = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()


def month_name(day: date) -> str:
    return f"{FRENCH_MONTHS[day.month - 1]} {day.year}"


def payment(paid_at: datetime, cents: int, refunded: int = 0) -> Payment:
    row = Payment(
        organisation_id=OrganisationFactory().id,
        project_reference="CNC-2026-09999",
        project_title="Bride",
        organisation_name="Atelier",
        client_name="Jeanne Martin",
        client_email="jeanne@example.test",
        amount_cents=cents,
        refunded_cents=refunded,
        currency="EUR",
        method="TRANSFER",
        paid_at=paid_at,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("role", [Role.TEAM, Role.ADMIN])
def test_staff_land_on_the_dashboard(client, role):
    login(client, UserFactory(role=role).email)

    response = client.get("/")

    assert response.status_code == 302
    assert response.location == DASHBOARD
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "<h1>Tableau de bord</h1>" in page.text


@pytest.mark.parametrize("role", [Role.ORG_MEMBER, Role.ORG_ADMIN])
def test_organisation_users_get_403(client, role):
    user = UserFactory(role=role)
    ProjectFactory(organisation=user.organisation, final_price_cents=4200, status="COMPLETED")
    login(client, user.email)

    response = client.get(DASHBOARD)

    assert response.status_code == 403
    assert "42,00" not in response.text


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response.location.startswith("/login/")


def counter_value(page: str, key: str) -> tuple[int, str]:
    match = re.search(
        rf'id="counter-{key}" href="([^"]*)">\s*<span class="cnc-counter-value">(\d+)</span>', page
    )
    assert match, key
    return int(match[2]), match[1].replace("&amp;", "&")


def test_counters_count_each_group_and_link_to_its_list(staff_client):
    for status in ("PENDING", "PENDING", "IN_REVIEW", "IN_PROGRESS", "PAID", "CANCELLED"):
        ProjectFactory(status=status)

    page = staff_client.get(DASHBOARD).text

    assert counter_value(page, "total") == (6, LIST)
    assert counter_value(page, "pending") == (2, LIST + "?_flt_0_status=PENDING")
    assert counter_value(page, "in_progress") == (2, LIST + "?group=in_progress")
    assert counter_value(page, "awaiting_payment") == (0, LIST + "?group=awaiting_payment")
    assert counter_value(page, "paid") == (1, LIST + "?_flt_0_status=PAID")
    assert counter_value(page, "closed") == (1, LIST + "?group=closed")
    assert "En révision ou en cours" in page


def test_group_links_list_the_projects_counted(staff_client):
    review = ProjectFactory(status="IN_REVIEW")
    progress = ProjectFactory(status="IN_PROGRESS")
    pending = ProjectFactory(status="PENDING")

    page = staff_client.get(LIST, query_string={"group": "in_progress"}).text

    assert review.reference in page and progress.reference in page
    assert pending.reference not in page


def test_group_links_combine_with_other_filters(staff_client):
    review = ProjectFactory(status="IN_REVIEW", priority="URGENT")
    progress = ProjectFactory(status="IN_PROGRESS", priority="LOW")

    query = {"group": "in_progress", "_flt_0_priority": "URGENT"}
    page = staff_client.get(LIST, query_string=query).text

    assert review.reference in page
    assert progress.reference not in page


def test_an_unknown_group_is_refused(staff_client):
    assert staff_client.get(LIST, query_string={"group": "everything"}).status_code == 400


def test_overdue_projects_are_counted_listed_and_linked(staff_client):
    past = business_today() - timedelta(days=5)
    late = ProjectFactory(status="IN_PROGRESS", deadline=past, title="Carter en retard")
    ProjectFactory(status="COMPLETED", deadline=past)  # delivered: not overdue
    ProjectFactory(status="PENDING", deadline=business_today() + timedelta(days=1))

    page = staff_client.get(DASHBOARD).text

    assert counter_value(page, "overdue") == (1, LIST + "?group=overdue")
    section = page[page.index('id="section-overdue"') :]
    assert late.reference in section and "Carter en retard" in section
    listed = staff_client.get(LIST, query_string={"group": "overdue"}).text
    assert len(re.findall(r'data-project-id="\d+"', listed)) == 1
    assert late.reference in listed


def test_amounts_awaiting_payment_sum_completed_and_awaiting(staff_client):
    ProjectFactory(status="COMPLETED", final_price_cents=100000)
    ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=23456)
    ProjectFactory(status="PAID", final_price_cents=99900)

    page = staff_client.get(DASHBOARD).text

    section = page[page.index('id="section-awaiting"') : page.index('id="section-overdue"')]
    assert "1\u202f234,56\u00a0€" in section
    assert 'href="/admin/projects/list/?group=awaiting_payment"' in section


def test_revenue_by_month_sums_payments_less_refunds_per_month(staff_client):
    today = business_today()
    this_month = datetime(today.year, today.month, 1, 12, tzinfo=UTC)
    payment(this_month, 10000)
    payment(this_month + timedelta(hours=1), 5000, refunded=1000)
    payment(this_month - timedelta(days=1), 2500)  # last day of the previous month
    payment(this_month - timedelta(days=800), 777700)  # too old for the chart

    page = staff_client.get(DASHBOARD).text

    section = page[page.index('id="section-revenue"') :]
    values = re.findall(r'<div class="cnc-vbar-value">([^<]*)</div>', section)
    assert len(values) == 12
    assert values[-1] == "140\u00a0€"
    assert values[-2] == "25\u00a0€"
    assert 'title="' + f"{month_name(today)} : 140,00\u00a0€" in section
    assert all(value == "" for value in values[:-2])
    assert "7\u202f777,00" not in section
    heights = re.findall(r'class="cnc-vbar" style="height: ([\d.]+)%"', section)
    assert heights[-1] == "100.0" and heights[-2] == "17.9"


def test_projects_by_status_link_to_the_list(staff_client):
    ProjectFactory.create_batch(3, status="IN_REVIEW")
    ProjectFactory(status="PAID")

    page = staff_client.get(DASHBOARD).text

    section = page[page.index('id="section-by-status"') : page.index('id="section-revenue"')]
    assert 'href="/admin/projects/list/?_flt_0_status=IN_REVIEW"' in section
    assert 'style="width: 100.0%"' in section and 'style="width: 33.3%"' in section


def test_dashboard_follows_the_english_interface(staff_client):
    payment(datetime.now(UTC), 123456)
    staff_client.get("/lang/en")

    page = staff_client.get(DASHBOARD).text

    assert "<h1>Dashboard</h1>" in page
    assert "€1,234.56" in page
    assert "€1.2K" in page
    assert date.today().strftime("%b %Y") in page


def test_dashboard_runs_as_many_statements_for_many_projects_as_for_few(staff_client):
    def statements() -> int:
        return len(statements_of(staff_client, DASHBOARD))

    def add(count: int) -> None:
        past = business_today() - timedelta(days=2)
        for status in ("IN_PROGRESS", "COMPLETED", "PAID"):
            ProjectFactory.create_batch(count, status=status, deadline=past, final_price_cents=100)
        for days in range(count):
            payment(datetime.now(UTC) - timedelta(days=30 * (days % 11)), 1000)

    add(2)
    staff_client.get(DASHBOARD)
    few = statements()
    add(20)
    many = statements()

    assert few == many


def test_dashboard_reads_the_counts_per_status_once(staff_client):
    ProjectFactory.create_batch(2, status="IN_REVIEW")
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.lower().split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = staff_client.get(DASHBOARD).text
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    # The counters and the bars by status come from the same GROUP BY.
    assert sum("group by project.status" in statement for statement in seen) == 1
    assert counter_value(page, "in_progress")[0] == 2
    section = page[page.index('id="section-by-status"') : page.index('id="section-revenue"')]
    assert '<td class="cnc-hbar-value">2</td>' in section


def test_payment_links_expiring_within_two_days_are_listed(staff_client):
    now = datetime.now(UTC)
    soon = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=50000, title="Bride bientôt")
    later = ProjectFactory(
        status="AWAITING_PAYMENT", final_price_cents=50000, title="Bride plus tard"
    )
    revoked = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=50000, title="Révoqué")
    for project, expires_in, revoked_at in (
        (soon, timedelta(hours=20), None),
        (later, timedelta(days=5), None),
        (revoked, timedelta(hours=5), now),
    ):
        db.session.add(
            PaymentLink(
                project_id=project.id,
                organisation_id=project.organisation_id,
                token_hash=f"{project.id:064d}",
                expires_at=now + expires_in,
                revoked_at=revoked_at,
            )
        )
    db.session.commit()

    page = staff_client.get(DASHBOARD).text

    section = page[page.index('id="section-expiring"') : page.index('id="section-overdue"')]
    assert soon.reference in section and "500,00\u00a0€" in section
    assert later.reference not in section and revoked.reference not in section
