"""The team's project list: every organisation, translated badges, search, paging, no N+1."""

import re
from datetime import UTC, date, datetime, timedelta

import flask_babel
import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import Project, RequestedService
from app.queries.project_list import MatchCount
from app.views.admin import project as project_view
from tests.factories import (
    CommentFactory,
    FileFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.views.conftest import get_with_statements, login, statements_of

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


def test_list_is_the_work_queue_by_default(staff_client):
    today = date.today()
    later = ProjectFactory(priority="MEDIUM", deadline=today + timedelta(days=30))
    no_deadline = ProjectFactory(priority="LOW", deadline=None)
    soon = ProjectFactory(priority="LOW", deadline=today + timedelta(days=2))
    high = ProjectFactory(priority="HIGH", deadline=today + timedelta(days=60))
    urgent = ProjectFactory(priority="URGENT", deadline=None)

    page = staff_client.get(LIST).text

    order = [urgent, high, soon, later, no_deadline]
    positions = [page.index(project.reference) for project in order]
    assert positions == sorted(positions)


def test_list_sorts_priorities_by_urgency(staff_client):
    low, urgent, medium = (ProjectFactory(priority=p) for p in ("LOW", "URGENT", "MEDIUM"))

    query = {"_oc_ProjectAdminView": "priority", "_od_ProjectAdminView": "desc"}
    page = staff_client.get(LIST, query_string=query).text

    positions = [page.index(project.reference) for project in (urgent, medium, low)]
    assert positions == sorted(positions)


def test_list_marks_overdue_open_projects(staff_client):
    past = date.today() - timedelta(days=3)
    late = ProjectFactory(status="IN_PROGRESS", deadline=past)
    delivered = ProjectFactory(status="COMPLETED", deadline=past)

    page = staff_client.get(LIST).text

    assert f'data-project-id="{late.id}" class="cnc-overdue"' in page
    assert f'data-project-id="{delivered.id}">' in page
    assert page.count("cnc-overdue-mark") == 1
    assert ">En retard</span>" in page


def test_list_counts_files_and_comments_internal_notes_included(staff_client):
    project = ProjectFactory()
    FileFactory.create_batch(3, project_obj=project)
    CommentFactory(project_obj=project)
    CommentFactory(project_obj=project, is_internal=True)

    page = staff_client.get(LIST).text

    row = page[page.index(f'data-project-id="{project.id}"') :]
    row = row[: row.index("</tr>")]
    assert '<i class="fa fa-paperclip"></i> 3' in row
    assert '<i class="fa fa-comment-o"></i> 2' in row


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


def test_list_runs_as_many_statements_for_100_projects_as_for_10(staff_client):
    services = [
        RequestedService(name="Programmation G-code"),
        RequestedService(name="Modélisation CAO"),
    ]
    db.session.add_all(services)
    db.session.commit()
    page_of_100 = {"psize_ProjectAdminView": "100"}

    def statements_for_list() -> tuple[int, int]:
        statements, response = get_with_statements(staff_client, LIST, query_string=page_of_100)
        return len(statements), len(re.findall(r'data-project-id="\d+"', response.text))

    def add_projects(count: int) -> None:
        for project in ProjectFactory.create_batch(count, deadline=date(2020, 1, 1)):
            project.services = services
            CommentFactory(project_obj=project)
            CommentFactory(project_obj=project, is_internal=True)
            FileFactory(project_obj=project)
        db.session.commit()

    add_projects(10)
    staff_client.get(LIST)  # warm up: first-request work is not what is measured
    with_10, rows_10 = statements_for_list()
    add_projects(90)
    with_100, rows_100 = statements_for_list()

    assert (rows_10, rows_100) == (10, 100)
    assert with_10 == with_100


def test_list_searches_the_description(staff_client):
    wanted = ProjectFactory(description="Usinage d'un carter en titane grade 5.")
    other = ProjectFactory(description="Plan de perçage d'une platine.")

    page = staff_client.get(LIST, query_string={"_flt_2_description": "titane"}).text

    assert wanted.reference in page
    assert other.reference not in page


def test_one_text_is_searched_in_reference_title_client_and_description(staff_client):
    by_title = ProjectFactory(title="Bride TITANE 40 mm")
    by_client = ProjectFactory(client_name="Titane Industrie")
    by_description = ProjectFactory(description="Carter usiné dans un bloc de titane.")
    other = ProjectFactory(title="Support acier", client_name="Acier SA", description="Acier.")

    page = staff_client.get(LIST, query_string={"q": " titane "}).text
    by_reference = staff_client.get(LIST, query_string={"q": other.reference}).text

    assert all(p.reference in page for p in (by_title, by_client, by_description))
    assert other.reference not in page
    assert re.findall(r'data-project-id="(\d+)"', by_reference) == [str(other.id)]
    # The box keeps the text as it was typed.
    assert 'name="q" value=" titane "' in page


def test_wildcards_in_the_searched_text_are_read_as_they_are(staff_client):
    ProjectFactory(title="Plaque 100% inox")
    ProjectFactory(title="Plaque 1000 inox")

    page = staff_client.get(LIST, query_string={"q": "100%"}).text

    assert len(re.findall(r'data-project-id="\d+"', page)) == 1
    assert "Plaque 100% inox" in page


def test_the_empty_choices_of_the_search_form_filter_nothing(staff_client):
    projects = ProjectFactory.create_batch(3)
    empty = {
        "q": "",
        "_flt_0_status": "",
        "_flt_0_priority": "",
        "_flt_0_organisation_id": "",
        "created_from": "",
        "deadline_to": "",
    }

    page = staff_client.get(LIST, query_string=empty).text

    assert all(project.reference in page for project in projects)


def test_the_search_form_follows_organisations_added_and_renamed(staff_client):
    first = OrganisationFactory(name="Atelier Alpha")
    assert "Atelier Alpha" in staff_client.get(LIST).text

    first.name = "Atelier <Alpha & Fils>"
    OrganisationFactory(name="Beta Usinage")
    db.session.commit()
    page = staff_client.get(LIST, query_string={"_flt_0_organisation_id": str(first.id)}).text

    assert f'<option value="{first.id}" selected>Atelier &lt;Alpha &amp; Fils&gt;</option>' in page
    assert "Beta Usinage" in page
    assert ">Atelier Alpha<" not in page


def test_the_rows_escape_what_users_typed(staff_client):
    ProjectFactory(
        title="<script>alert(1)</script>",
        client_name='Dupont "&" fils',
        organisation=OrganisationFactory(name="<i>Atelier</i>"),
    )

    page = staff_client.get(LIST).text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>Dupont &#34;&amp;&#34; fils</td>" in page
    assert "<td>&lt;i&gt;Atelier&lt;/i&gt;</td>" in page


def test_the_search_form_shows_what_was_asked_and_offers_every_organisation(staff_client):
    chosen = OrganisationFactory(name="Usinage Zéphyr")
    OrganisationFactory(name="Atelier Alpha")
    ProjectFactory(organisation=chosen, status="PAID", priority="HIGH")
    query = {
        "_flt_0_status": "PAID",
        "_flt_0_priority": "HIGH",
        "_flt_0_organisation_id": str(chosen.id),
        "group": "paid",
    }

    page = staff_client.get(LIST, query_string=query).text

    form = page[
        page.index('id="project-search"') : page.index("</form>", page.index("project-search"))
    ]
    assert '<option value="PAID" selected>' in form
    assert '<option value="HIGH" selected>' in form
    assert f'<option value="{chosen.id}" selected>Usinage Zéphyr</option>' in form
    assert form.index("Atelier Alpha") < form.index("Usinage Zéphyr")
    # What the form has no field for is carried along, so a new search keeps the group.
    assert '<input type="hidden" name="group" value="paid">' in form


def test_the_pager_links_the_pages_around_and_keeps_the_search(staff_client):
    ProjectFactory.create_batch(5, status="PAID", priority="MEDIUM", deadline=None)
    query = {"_flt_0_status": "PAID", "psize_ProjectAdminView": "2"}

    first = staff_client.get(LIST, query_string=query).text
    middle = staff_client.get(LIST, query_string={**query, "page_ProjectAdminView": "1"}).text
    last = staff_client.get(LIST, query_string={**query, "page_ProjectAdminView": "2"}).text

    def links(page: str, rel: str) -> list[str]:
        return [
            link.replace("&amp;", "&")
            for link in re.findall(rf'<a href="([^"]+)" rel="{rel}"', page)
        ]

    assert links(first, "prev") == [] and links(last, "next") == []
    (previous,) = links(middle, "prev")
    (following,) = links(middle, "next")
    assert "page_ProjectAdminView" not in previous
    assert "page_ProjectAdminView=2" in following
    assert all("_flt_0_status=PAID" in url for url in (previous, following))
    assert re.search(r'<li class="active"><a href="[^"]+">2</a></li>', middle)
    assert len(re.findall(r'data-project-id="\d+"', last)) == 1


def test_a_sorted_column_links_to_the_other_direction(staff_client):
    ProjectFactory.create_batch(2)

    page = staff_client.get(
        LIST,
        query_string={"_oc_ProjectAdminView": "deadline", "_od_ProjectAdminView": "asc"},
    ).text.replace("&amp;", "&")

    deadline = re.search(r'<th><a href="([^"]+)">Échéance <i class="fa fa-chevron-up">', page)
    title = re.search(r'<th><a href="([^"]+)">Titre</a></th>', page)
    assert deadline and "_oc_ProjectAdminView=deadline&_od_ProjectAdminView=desc" in deadline[1]
    assert title and "_oc_ProjectAdminView=title&_od_ProjectAdminView=asc" in title[1]


def test_a_filter_the_list_does_not_have_is_refused_in_words(staff_client):
    project = ProjectFactory()

    response = staff_client.get(LIST, query_string={"_flt_7_status": "PAID"})

    assert response.status_code == 400
    assert "La liste des projets ne peut pas être filtrée ainsi." in response.text
    assert project.reference not in response.text
    # The form does not carry the refused filter into the next search.
    assert 'name="_flt_7_status"' not in response.text


def test_an_unknown_group_is_refused_and_not_carried_along(staff_client):
    response = staff_client.get(LIST, query_string={"group": "nope", "_flt_1_status": "PAID"})

    assert response.status_code == 400
    assert 'name="group"' not in response.text
    assert '<input type="hidden" name="_flt_1_status" value="PAID">' in response.text


@pytest.mark.parametrize("role", [Role.ADMIN, Role.TEAM])
def test_list_filters_by_creation_dates_in_paris_time(client, role):
    login(client, UserFactory(role=role).email)
    # 23:30 UTC on 31 March is already 1 April in Paris.
    april = ProjectFactory(created_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    march = ProjectFactory(created_at=datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    may = ProjectFactory(created_at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC))

    query = {"created_from": "2026-04-01", "created_to": "2026-04-30"}
    page = client.get(LIST, query_string=query).text

    assert april.reference in page
    assert march.reference not in page and may.reference not in page
    assert 'value="2026-04-01"' in page and 'value="2026-04-30"' in page


def test_list_filters_by_deadline_with_both_ends_included(staff_client):
    first = ProjectFactory(deadline=date(2026, 6, 1))
    last = ProjectFactory(deadline=date(2026, 6, 30))
    after = ProjectFactory(deadline=date(2026, 7, 1))
    undated = ProjectFactory(deadline=None)

    query = {"deadline_from": "2026-06-01", "deadline_to": "2026-06-30"}
    page = staff_client.get(LIST, query_string=query).text

    assert first.reference in page and last.reference in page
    assert after.reference not in page and undated.reference not in page


def test_an_open_ended_range_and_other_filters_combine(staff_client):
    late_paid = ProjectFactory(status="PAID", deadline=date(2026, 9, 1))
    late_pending = ProjectFactory(status="PENDING", deadline=date(2026, 9, 1))
    early_paid = ProjectFactory(status="PAID", deadline=date(2026, 1, 1))

    query = {"deadline_from": "2026-08-01", "_flt_0_status": "PAID"}
    page = staff_client.get(LIST, query_string=query).text

    assert late_paid.reference in page
    assert late_pending.reference not in page and early_paid.reference not in page
    # The search form shows both, so a new search keeps them.
    assert '<option value="PAID" selected>' in page
    assert 'name="deadline_from" value="2026-08-01"' in page


def test_dashboard_groups_combine_with_date_ranges(staff_client):
    inside = ProjectFactory(status="IN_REVIEW", deadline=date(2026, 6, 15))
    outside = ProjectFactory(status="IN_REVIEW", deadline=date(2026, 8, 15))
    other_group = ProjectFactory(status="PAID", deadline=date(2026, 6, 15))

    query = {"group": "in_progress", "deadline_to": "2026-06-30"}
    page = staff_client.get(LIST, query_string=query).text

    assert inside.reference in page
    assert outside.reference not in page and other_group.reference not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"created_from": "31/12/2026"},
            "31/12/2026 n'est pas une date : indiquez la plage de dates de création",
        ),
        ({"deadline_to": "2026-02-30"}, "2026-02-30 n'est pas une date"),
        (
            {"deadline_from": "2026-06-30", "deadline_to": "2026-06-01"},
            "La plage d'échéances se termine avant de commencer.",
        ),
        ({"group": "everything"}, "Aucun groupe de projets de ce nom."),
    ],
)
def test_bad_dates_are_refused_with_a_message_and_kept_in_the_form(staff_client, query, message):
    project = ProjectFactory()

    response = staff_client.get(LIST, query_string=query)

    assert response.status_code == 400
    page = response.text
    assert message in page.replace("&#39;", "'")
    assert project.reference not in page
    for value in query.values():
        if "-" in value or "/" in value:
            assert f'value="{value}"' in page


def test_date_filters_keep_the_statement_count_fixed(staff_client):
    for day in range(1, 21):
        ProjectFactory(deadline=date(2026, 6, day))
    ranged = {"psize_ProjectAdminView": "100", "deadline_from": "2026-06-01"}

    def statements(query: dict[str, str]) -> int:
        return len(statements_of(staff_client, LIST, query_string=query))

    staff_client.get(LIST)
    few = statements({**ranged, "deadline_to": "2026-06-05"})
    many = statements({**ranged, "deadline_to": "2026-06-20"})
    assert few == many


@pytest.mark.parametrize(
    ("priority", "band"), [("URGENT", 0), ("HIGH", 1), ("MEDIUM", 2), ("LOW", 2)]
)
def test_every_priority_written_sets_its_queue_band(app, priority, band):
    created = ProjectFactory(priority=priority)
    changed = ProjectFactory(priority="LOW" if band == 0 else "URGENT")
    changed.priority = priority
    db.session.commit()
    db.session.expire_all()

    assert (created.queue_band, changed.queue_band) == (band, band)


def test_changing_the_priority_moves_the_project_in_the_queue(staff_client):
    today = date.today()
    soon = ProjectFactory(priority="MEDIUM", deadline=today + timedelta(days=2))
    later = ProjectFactory(priority="MEDIUM", deadline=today + timedelta(days=40))

    def queue() -> list[int]:
        page = staff_client.get(LIST).text
        return [int(pk) for pk in re.findall(r'data-project-id="(\d+)"', page)]

    assert queue() == [soon.id, later.id]
    staff_client.post(f"/admin/projects/{later.id}/priority", data={"priority": "URGENT"})
    assert queue() == [later.id, soon.id]
    staff_client.post(f"/admin/projects/{later.id}/priority", data={"priority": "LOW"})
    assert queue() == [soon.id, later.id]
    db.session.expire_all()
    assert db.session.get(Project, later.id).queue_band == 2


def test_pages_follow_the_work_queue_to_its_end(staff_client):
    today = date.today()
    specs = [
        ("URGENT", None),
        ("HIGH", today + timedelta(days=9)),
        ("HIGH", None),
        ("LOW", today + timedelta(days=1)),
        ("MEDIUM", today + timedelta(days=3)),
        ("MEDIUM", None),
        ("LOW", None),
    ]
    expected = [ProjectFactory(priority=p, deadline=d).id for p, d in specs]

    seen: list[int] = []
    for page in range(4):
        query = {"psize_ProjectAdminView": "2", "page_ProjectAdminView": str(page)}
        text = staff_client.get(LIST, query_string=query).text
        seen += [int(pk) for pk in re.findall(r'data-project-id="(\d+)"', text)]

    # Without a deadline comes last within a band, on SQLite as on PostgreSQL.
    assert seen == expected


def record_count(page: str) -> str:
    found = re.search(r'cnc-record-count">\s*<strong>[^<]*</strong>\s*([^<]*?)\s*<', page)
    assert found, "no record count on the page"
    return found[1]


def test_an_exact_count_is_shown_when_few_projects_match(staff_client):
    ProjectFactory.create_batch(3)

    assert record_count(staff_client.get(LIST).text) == "3"


def test_the_count_stops_past_the_pages_the_pager_shows(staff_client, monkeypatch):
    monkeypatch.setattr(project_view, "PAGER_REACH", 1)
    projects = ProjectFactory.create_batch(7, priority="MEDIUM", deadline=None)
    by_two = {"psize_ProjectAdminView": "2"}

    first = staff_client.get(LIST, query_string=by_two).text
    staff_client.get("/lang/en")
    english = staff_client.get(LIST, query_string=by_two).text
    last = staff_client.get(LIST, query_string={**by_two, "page_ProjectAdminView": "3"}).text

    assert record_count(first) == "plus de 4"
    assert record_count(english) == "more than 4"
    # The pager still links to the next page, and the last page counts exactly.
    assert "page_ProjectAdminView=1" in first
    assert record_count(last) == "7"
    assert re.findall(r'data-project-id="(\d+)"', last) == [str(projects[-1].id)]


@pytest.mark.parametrize(
    ("language", "label"), [("fr", "plus de 1\u202f000"), ("en", "more than 1,000")]
)
def test_a_capped_count_reads_in_the_interface_language(app, language, label):
    with app.test_request_context(), flask_babel.force_locale(language):
        assert MatchCount(1000, more=True).label() == label
        assert MatchCount(999, more=False).label() == "999"
