"""The download buttons: the team's project list and journal, the portal's own project list."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.domain.policy import Role
from app.extensions import db
from app.models import AccountingExport, JournalExportLine
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, paid
from tests.views.conftest import login

PROJECTS = "/admin/exports/projects"
JOURNAL = "/admin/exports/journal"


def table(response, delimiter=",") -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def export_count() -> int:
    return db.session.scalar(select(func.count(AccountingExport.id)))


@pytest.fixture
def two_organisations(app):
    a, b = OrganisationFactory(name="Atelier A"), OrganisationFactory(name="CANARY-B-ORG")
    ProjectFactory(organisation=a, title="Bride A", status="PAID", client_name="Client A")
    ProjectFactory(organisation=a, title="Support A", status="PENDING", client_name="Client A2")
    ProjectFactory(organisation=b, title="CANARY-B-TITLE", status="PAID", client_name="B")
    return a, b


def test_the_team_exports_the_list_with_its_search_filters(staff_client, two_organisations):
    a, _ = two_organisations
    query = {"_flt_0_status": "PAID", "_flt_0_organisation_id": a.id}

    lines = table(staff_client.get(PROJECTS, query_string=query))

    assert [line["Titre"] for line in lines] == ["Bride A"]


def test_the_team_exports_the_projects_its_text_search_finds(staff_client, two_organisations):
    lines = table(staff_client.get(PROJECTS, query_string={"q": "support"}))

    assert [line["Titre"] for line in lines] == ["Support A"]


def test_the_team_exports_a_dashboard_group_in_french_excel(staff_client, two_organisations):
    response = staff_client.get(PROJECTS, query_string={"group": "paid", "dialect": "excel-fr"})

    lines = table(response, delimiter=";")

    assert response.get_data().startswith(b"\xef\xbb\xbf")
    assert sorted(line["Titre"] for line in lines) == ["Bride A", "CANARY-B-TITLE"]


def test_the_list_offers_both_downloads_with_its_own_filters(staff_client, two_organisations):
    page = staff_client.get("/admin/projects/list/?group=paid").text

    assert 'href="/admin/exports/projects?group=paid&amp;dialect=standard"' in page
    assert 'href="/admin/exports/projects?group=paid&amp;dialect=excel-fr"' in page


def test_a_filter_the_list_cannot_read_is_refused_and_nothing_recorded(
    staff_client, two_organisations
):
    response = staff_client.get(PROJECTS, query_string={"created_from": "hier"})

    assert response.status_code == 302
    page = staff_client.get(response.location).text
    assert "hier n&#39;est pas une date" in page
    assert export_count() == 0


@pytest.fixture
def december(app):
    project = ProjectFactory(organisation=OrganisationFactory(name="Atelier A"))
    paid(project, datetime(2026, 12, 3, 10, tzinfo=UTC), amount_cents=240_00)


def test_the_journal_form_downloads_the_period(staff_client, december):
    response = staff_client.post(JOURNAL, data={"start": "2026-12-01", "end": "2026-12-31"})

    lines = table(response)

    assert [(line["Date"], line["Montant TTC"]) for line in lines] == [("2026-12-03", "240.00")]
    assert db.session.scalar(select(func.count(JournalExportLine.id))) == 0


def test_the_batch_button_books_the_lines_once(staff_client, december):
    form = {"start": "2026-12-01", "end": "2026-12-31", "mark": "1", "dialect": "excel-fr"}

    first = table(staff_client.post(JOURNAL, data=form), delimiter=";")
    second = table(staff_client.post(JOURNAL, data=form), delimiter=";")

    assert [line["Montant TTC"] for line in first] == ["240,00"]
    assert second == []
    page = staff_client.get("/admin/exports/").text
    assert "lot" in page and "Lignes comptabilisées" in page


def test_a_bad_period_is_refused_with_its_message_and_nothing_recorded(staff_client, december):
    response = staff_client.post(JOURNAL, data={"start": "2026-12-31", "end": "2026-12-01"})

    assert response.status_code == 302
    page = staff_client.get(response.location).text
    assert "La fin de la période ne peut pas précéder son début." in page
    assert export_count() == 0


@pytest.fixture
def member_client(client, two_organisations):
    a, _ = two_organisations
    login(client, UserFactory(role=Role.ORG_MEMBER, organisation=a).email)
    return client


def test_a_member_exports_only_their_organisation_as_the_list_shows_it(member_client):
    response = member_client.get(
        "/portal/projects/export", query_string={"status": "paid", "q": "Bride"}
    )

    lines = table(response)

    assert [line["Titre"] for line in lines] == ["Bride A"]
    assert "CANARY" not in response.get_data(as_text=True)


def test_a_member_export_without_filters_holds_every_own_project_and_nothing_else(
    member_client,
):
    body = member_client.get("/portal/projects/export").get_data(as_text=True)

    assert "Bride A" in body and "Support A" in body
    assert "CANARY" not in body


def test_the_portal_list_offers_its_filters_to_the_download(member_client):
    page = member_client.get("/portal/projects/?status=paid&q=Bride").text

    assert 'href="/portal/projects/export?q=Bride&amp;status=paid"' in page
    assert 'href="/portal/projects/export?q=Bride&amp;status=paid&amp;dialect=excel-fr"' in page


def test_a_member_cannot_reach_the_team_exports(member_client):
    for response in (
        member_client.get(PROJECTS),
        member_client.post(JOURNAL, data={"start": "2026-12-01", "end": "2026-12-31"}),
    ):
        assert response.status_code in (302, 403)
        assert response.mimetype != "text/csv"
    assert export_count() == 0


@pytest.mark.parametrize("path", ["/admin/payments/list/", "/admin/invoices/list/"])
def test_payments_and_invoices_lead_to_the_journal_export(staff_client, path):
    page = staff_client.get(path).text

    assert 'id="journal-export"' in page and 'href="/admin/exports/"' in page
    assert 'id="journal-export"' not in staff_client.get("/admin/emails/list/").text


def filename(response) -> str:
    assert response.status_code == 200, response.text
    response.get_data()  # the whole file is sent, as a browser reads it
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('"')
    return disposition.removeprefix('attachment; filename="').removesuffix('"')


def test_the_team_s_journal_downloads_under_a_name_per_dialect(staff_client, december):
    period = {"start": "2026-12-01", "end": "2026-12-31"}

    standard = filename(staff_client.post(JOURNAL, data=period))
    french = filename(staff_client.post(JOURNAL, data={**period, "dialect": "excel-fr"}))

    assert standard == "journal-2026-12-01-2026-12-31.csv"
    assert french == "journal-2026-12-01-2026-12-31-excel-fr.csv"


def test_the_team_s_french_excel_journal_reads_as_french(staff_client, app):
    project = ProjectFactory(organisation=OrganisationFactory(name="Atelier A"))
    # 23:30 UTC on 4 December is 00:30 on 5 December in Paris: the French day is the 5th.
    paid(project, datetime(2026, 12, 4, 23, 30, tzinfo=UTC), method="TRANSFER")

    response = staff_client.post(
        JOURNAL, data={"start": "2026-12-05", "end": "2026-12-05", "dialect": "excel-fr"}
    )

    lines = table(response, delimiter=";")
    assert [(line["Date"], line["Moyen de paiement"], line["Statut"]) for line in lines] == [
        ("05/12/2026", "Virement bancaire", "Payé")
    ]


def test_the_team_s_project_list_downloads_under_a_name_per_dialect(
    staff_client, two_organisations
):
    standard = filename(staff_client.get(PROJECTS))
    french = filename(staff_client.get(PROJECTS, query_string={"dialect": "excel-fr"}))

    assert standard.startswith("projets-") and standard.endswith(".csv")
    assert not standard.endswith("-excel-fr.csv")
    assert french.endswith("-excel-fr.csv")


def test_the_team_s_french_excel_project_list_shows_labels(staff_client, two_organisations):
    lines = table(staff_client.get(PROJECTS, query_string={"dialect": "excel-fr"}), ";")
    standard = table(staff_client.get(PROJECTS))

    assert {line["Titre"]: line["Statut"] for line in lines}["Bride A"] == "Payé"
    assert {line["Titre"]: line["Statut"] for line in standard}["Bride A"] == "PAID"
    assert {line["Titre"]: line["Priorité"] for line in lines}["Bride A"] == "Moyenne"


def test_a_member_s_downloads_have_a_name_per_dialect_and_french_labels(member_client):
    standard = filename(member_client.get("/portal/projects/export"))
    french = member_client.get("/portal/projects/export", query_string={"dialect": "excel-fr"})
    lines = table(french, delimiter=";")

    assert standard.startswith("projets-") and not standard.endswith("-excel-fr.csv")
    assert filename(french).endswith("-excel-fr.csv")
    statuses = {line["Titre"]: line["Statut"] for line in lines}
    assert statuses == {"Bride A": "Payé", "Support A": "En attente"}
