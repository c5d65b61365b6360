"""The team's project list: every organisation, translated badges, search, paging, no N+1."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from app.domain.policy import Role
from app.extensions import db
from app.models import RequestedService
from tests.factories import (
    CommentFactory,
    FileFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.views.conftest import login

LIST = "/admin/projects/list/"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.TEAM])
def test_staff_see_the_projects_of_every_organisation(client, role):
    dupont = ProjectFactory(
        organisation=OrganisationFactory(name="Atelier Dupont"), title="Bride A"
    )
    lefevre = ProjectFactory(
        organisation=OrganisationFactory(name="Mécanique Lefèvre"), title="Axe B"
    )
    login(client, UserFactory(role=role).email)

    response = client.get(LIST)

    assert response.status_code == 200
    page = response.text
    for project in (dupont, lefevre):
        assert project.reference in page
        assert f'href="/admin/projects/show/{project.id}"' in page
    assert "Atelier Dupont" in page and "Mécanique Lefèvre" in page
    assert "Projets" in page


def test_list_shows_translated_badges_prices_and_paris_times(staff_client):
    ProjectFactory(
        status="AWAITING_PAYMENT",
        priority="URGENT",
        final_price_cents=123456,
        estimated_price_cents=100000,
        deadline=date(2026, 12, 24),
        created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC),
    )
    ProjectFactory(status="IN_REVIEW", estimated_price_cents=50000)

    page = staff_client.get(LIST).text

    assert (
        '<span class="cnc-badge cnc-status-awaiting-payment">En attente de paiement</span>' in page
    )
    assert '<span class="cnc-badge cnc-priority-urgent">Urgente</span>' in page
    assert "1\u202f234,56\u00a0€" in page
    assert "500,00\u00a0€" in page and "estimé" in page
    assert "24/12/2026" in page
    # 23:30 UTC in January is 00:30 the next day in Paris.
    assert "16/01/2026 00:30" in page


def test_list_follows_the_english_interface(staff_client):
    ProjectFactory(status="IN_PROGRESS", final_price_cents=123456, deadline=date(2026, 11, 25))
    staff_client.get("/lang/en")

    page = staff_client.get(LIST).text

    assert ">In progress</span>" in page
    assert "€1,234.56" in page
    assert "2026-11-25" in page
    assert "Projects" in page


def test_list_is_newest_first_by_default(staff_client):
    old = ProjectFactory(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    new = ProjectFactory(created_at=datetime(2026, 6, 1, tzinfo=UTC))

    page = staff_client.get(LIST).text

    assert page.index(new.reference) < page.index(old.reference)


def test_list_searches_by_status(staff_client):
    paid = ProjectFactory(status="PAID")
    pending = ProjectFactory(status="PENDING")

    page = staff_client.get(LIST, query_string={"_flt_0_status": "PAID"}).text

    assert paid.reference in page
    assert pending.reference not in page


def test_status_is_searched_by_equality_only(staff_client):
    paid = ProjectFactory(status="PAID")
    pending = ProjectFactory(status="PENDING")

    page = staff_client.get(LIST, query_string={"_flt_1_status": "PAID"}).text

    assert pending.reference in page
    assert paid.reference not in page
    assert staff_client.get(LIST, query_string={"_flt_2_status": "P"}).status_code == 400


def test_list_searches_by_organisation(staff_client):
    mine = ProjectFactory()
    other = ProjectFactory()

    page = staff_client.get(
        LIST, query_string={"_flt_0_organisation_id": mine.organisation_id}
    ).text

    assert mine.reference in page
    assert other.reference not in page


def test_list_pages_by_25(staff_client):
    ProjectFactory.create_batch(26)

    page = staff_client.get(LIST).text

    assert len(re.findall(r'data-project-id="\d+"', page)) == 25


@pytest.mark.parametrize(
    "query",
    [
        {"psize_ProjectAdminView": "101"},
        {"psize_ProjectAdminView": "0"},
        {"psize_ProjectAdminView": "lots"},
        {"page_ProjectAdminView": "-1"},
        {"_oc_ProjectAdminView": "password", "_od_ProjectAdminView": "asc"},
        {"_flt_9_organisation_id": "1"},
        {"_flt_0_password": "x"},
    ],
)
def test_list_refuses_broken_or_unbounded_arguments(staff_client, query):
    assert staff_client.get(LIST, query_string=query).status_code == 400


def test_list_accepts_the_largest_page_size(staff_client):
    ProjectFactory()

    assert staff_client.get(LIST, query_string={"psize_ProjectAdminView": "100"}).status_code == 200


def test_list_runs_as_many_statements_for_30_projects_as_for_10(staff_client):
    services = [
        RequestedService(name="Programmation G-code"),
        RequestedService(name="Modélisation CAO"),
    ]
    db.session.add_all(services)
    db.session.commit()

    def statements_for_list() -> int:
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany) -> None:
            statements.append(statement)

        db.session.remove()  # a real request starts with an empty session
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert staff_client.get(LIST).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def add_projects(count: int) -> None:
        for project in ProjectFactory.create_batch(count):
            project.services = services
            CommentFactory(project_obj=project)
            FileFactory(project_obj=project)
        db.session.commit()

    add_projects(10)
    staff_client.get(LIST)  # warm up: first-request work is not what is measured
    with_10 = statements_for_list()
    add_projects(20)
    with_30 = statements_for_list()

    assert with_10 == with_30
