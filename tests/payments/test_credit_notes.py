"""Invoices' legal mentions, the organisation's copy, and credit notes for refunds."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.domain.csv_export import CsvDialect
from app.domain.policy import Role
from app.extensions import db
from app.models import CreditNote, Invoice, Organisation, Project, ProjectEvent, Refund
from app.services.export import journal_csv
from app.services.settings import save_invoice_settings
from tests.factories import UserFactory
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event
from tests.payments.test_invoice_pdf import pdf_text
from tests.services.test_export import rows_of
from tests.views.conftest import login

ADDRESS = "Garage Martin\n4 avenue des Tilleuls\n38000 Grenoble"


@pytest.fixture()
def company(cast):
    save_invoice_settings(
        cast.admin,
        company_name="Usinage Conseil SARL",
        company_address="12 rue des Forges\n69007 Lyon",
        company_registration="SIRET 812 345 678 00021",
        company_vat_number="FR12812345678",
        vat_rate="20",
        download_access_days="90",
    )


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def paid(cast, client, stripe_standin, **fields):
    payable = payable_project(cast, **fields)
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    return payable, session_id


class Browser:
    """A signed-in person's browser; each request in its own app context, as in production.

    The fixtures keep one app context open, whose ``g`` would otherwise carry the first
    signed-in user into the next person's requests.
    """

    def __init__(self, app, client):
        self.app, self.client = app, client

    def get(self, path: str):
        with self.app.app_context():
            return self.client.get(path)

    def post(self, path: str, **kwargs):
        with self.app.app_context():
            return self.client.post(path, **kwargs)


def organisation_client(app, organisation_id: int) -> Browser:
    client = app.test_client()
    organisation = db.session.get(Organisation, organisation_id)
    email = UserFactory(role=Role.ORG_MEMBER, organisation=organisation).email
    with app.app_context():
        login(client, email)
    return Browser(app, client)


def team_browser(app) -> Browser:
    client = app.test_client()
    email = UserFactory(role=Role.TEAM, language="en").email
    with app.app_context():
        login(client, email)
    return Browser(app, client)


def credit_notes() -> list[CreditNote]:
    db.session.expire_all()
    return list(db.session.scalars(select(CreditNote).order_by(CreditNote.sequence)))


def test_the_invoice_pdf_holds_the_payment_date_and_method_and_the_buyers_address(
    cast, client, stripe_standin, company
):
    payable, _ = paid(cast, client, stripe_standin, client_address=ADDRESS)
    invoice = db.session.scalars(select(Invoice)).one()

    text = plain(pdf_text(client.get(f"/pay/{payable.token}/invoice.pdf?lang=fr").data))
    page = client.get(f"/pay/{payable.token}/invoice?lang=fr").text

    today = invoice.paid_on.strftime("%d/%m/%Y")
    assert f"Date de paiement : {today}" in text
    assert "Moyen de paiement : Carte bancaire (Stripe)" in text
    assert "4 avenue des Tilleuls" in text and "38000 Grenoble" in text
    assert "Garage Martin" in text
    assert "4 avenue des Tilleuls" in page and f"Date de paiement : {today}" in page
    assert invoice.client_address == ADDRESS


def test_an_issued_invoice_keeps_the_address_it_was_issued_with(
    cast, app, client, stripe_standin, company
):
    payable, _ = paid(cast, client, stripe_standin, client_address=ADDRESS)
    team = team_browser(app)

    team.post(
        f"/admin/projects/{payable.project_id}/client",
        data={"client_address": "1 place Bellecour\n69002 Lyon"},
    )

    text = pdf_text(team.get(f"/admin/projects/{payable.project_id}/invoice.pdf").data)
    assert "38000 Grenoble" in text and "Bellecour" not in text


def test_the_organisation_downloads_its_own_invoice_and_not_another_ones(
    cast, app, client, stripe_standin, company
):
    payable, _ = paid(cast, client, stripe_standin, client_address=ADDRESS)
    own = organisation_client(app, cast.org_a_id)
    other = organisation_client(app, cast.org_b_id)

    project_page = own.get(f"/portal/projects/{payable.project_id}").text
    page = own.get(f"/portal/projects/{payable.project_id}/invoice")
    pdf = own.get(f"/portal/projects/{payable.project_id}/invoice.pdf")

    assert f"/portal/projects/{payable.project_id}/invoice.pdf" in project_page
    assert page.status_code == 200 and "Usinage Conseil SARL" in page.text
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "FR12812345678" in pdf_text(pdf.data)
    for path in ("invoice", "invoice.pdf"):
        refused = other.get(f"/portal/projects/{payable.project_id}/{path}")
        assert refused.status_code == 404 and b"%PDF" not in refused.data
    # As the portal answers for any foreign project.
    assert other.get(f"/portal/projects/{payable.project_id}").status_code == 404


def test_before_payment_the_organisation_has_no_invoice(cast, app):
    payable = payable_project(cast)
    own = organisation_client(app, cast.org_a_id)

    assert own.get(f"/portal/projects/{payable.project_id}/invoice.pdf").status_code == 404
    assert "invoice.pdf" not in own.get(f"/portal/projects/{payable.project_id}").text


def test_refunds_issue_credit_notes_numbered_in_their_own_sequence_once_each(
    cast, client, stripe_standin, company
):
    _, first_session = paid(cast, client, stripe_standin)
    _, second_session = paid(cast, client, stripe_standin)

    partial = event("charge.refunded", stripe_standin.refund(first_session, 40_000))
    post_event(client, partial)
    # The same event again, and the same charge in a later event: no second credit note.
    post_event(client, partial)
    post_event(client, event("charge.refunded", json.loads(partial)["data"]["object"]))
    post_event(client, event("charge.refunded", stripe_standin.refund(second_session, 124_000)))

    notes = credit_notes()
    year = date.today().year
    assert [note.number for note in notes] == [f"A-{year}-00001", f"A-{year}-00002"]
    assert len(db.session.scalars(select(Refund)).all()) == 2
    invoices = {i.payment_id: i for i in db.session.scalars(select(Invoice))}
    first, second = notes
    assert first.invoice_number == invoices[first.refund.payment_id].number
    assert (first.amount_excl_cents, first.vat_cents, first.amount_incl_cents) == (
        33_333,
        6_667,
        40_000,
    )
    # The invoice numbers go on untouched: a credit note is not an invoice.
    assert sorted(i.sequence for i in invoices.values()) == [1, 2]
    # A full refund cancels its invoice to the cent.
    full = invoices[second.refund.payment_id]
    assert (second.amount_excl_cents, second.vat_cents) == (full.amount_excl_cents, full.vat_cents)


def test_partial_refunds_add_up_to_the_invoice_to_the_cent(cast, client, stripe_standin, company):
    _, session_id = paid(cast, client, stripe_standin, price=100_01)
    for amount in (33_33, 33_33, 33_35):
        post_event(client, event("charge.refunded", stripe_standin.refund(session_id, amount)))

    notes = credit_notes()
    invoice = db.session.scalars(select(Invoice)).one()
    assert len(notes) == 3
    assert sum(n.amount_excl_cents for n in notes) == invoice.amount_excl_cents
    assert sum(n.vat_cents for n in notes) == invoice.vat_cents


def test_the_credit_note_pdf_holds_its_number_the_invoice_and_the_three_amounts(
    cast, app, client, stripe_standin, company
):
    payable, session_id = paid(cast, client, stripe_standin, client_address=ADDRESS)
    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, 40_000)))
    note = credit_notes()[0]
    invoice = db.session.scalars(select(Invoice)).one()

    by_client = client.get(f"/pay/{payable.token}/credit-notes/{note.id}.pdf?lang=fr")
    text = plain(pdf_text(by_client.data))

    assert by_client.status_code == 200 and by_client.mimetype == "application/pdf"
    assert f"Avoir {note.number}" in text
    assert f"Rectifie la facture {invoice.number}" in text
    for amount in ("333,33", "66,67", "400,00"):
        assert amount in text
    assert "812 345 678 00021" in text and "FR12812345678" in text
    assert "38000 Grenoble" in text
    assert by_client.headers["Content-Disposition"] == f'attachment; filename="{note.number}.pdf"'
    page = client.get(f"/pay/{payable.token}?lang=fr").text
    assert f"/pay/{payable.token}/credit-notes/{note.id}.pdf" in page

    team = team_browser(app)
    assert team.get(f"/admin/credit-notes/{note.id}.pdf").data.startswith(b"%PDF")
    assert (
        f"/admin/credit-notes/{note.id}.pdf"
        in team.get(f"/admin/projects/show/{payable.project_id}").text
    )
    listed = team.get("/admin/credit-notes/list/").text
    assert note.number in listed and invoice.number in listed
    assert note.number in team.get("/admin/invoices/list/").text

    own = organisation_client(app, cast.org_a_id)
    path = f"/portal/projects/{payable.project_id}/credit-notes/{note.id}.pdf"
    assert path in own.get(f"/portal/projects/{payable.project_id}").text
    assert own.get(path).data.startswith(b"%PDF")
    other = organisation_client(app, cast.org_b_id)
    assert other.get(path).status_code == 404


def test_another_projects_link_opens_no_credit_note(cast, client, stripe_standin, company):
    _, session_id = paid(cast, client, stripe_standin)
    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, 40_000)))
    other, _ = paid(cast, client, stripe_standin)
    note = credit_notes()[0]

    response = client.get(f"/pay/{other.token}/credit-notes/{note.id}.pdf")

    assert response.status_code == 404 and b"%PDF" not in response.data


def test_the_journal_lists_the_credit_note_with_its_own_number_and_negative_amounts(
    cast, client, stripe_standin, company
):
    _, session_id = paid(cast, client, stripe_standin)
    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, 40_000)))
    note = credit_notes()[0]
    today = date.today()

    standard = rows_of(journal_csv(cast.team, today, today, CsvDialect.STANDARD))
    french = rows_of(journal_csv(cast.team, today, today, CsvDialect.EXCEL_FR), CsvDialect.EXCEL_FR)

    line = standard[-1]
    assert line["Invoice number"] == note.number
    assert (line["Amount excl. VAT"], line["VAT"], line["Amount incl. VAT"]) == (
        "-333.33",
        "-66.67",
        "-400.00",
    )
    assert line["Status"] == "REFUND"
    assert standard[0]["Invoice number"].startswith("F-")
    french_line = french[-1]
    assert french_line["Numéro de facture"] == note.number
    assert (french_line["Montant HT"], french_line["Montant TTC"]) == ("-333,33", "-400,00")
    assert french_line["Statut"] == "Remboursement"


def test_the_organisation_gives_the_postal_address_in_its_project_form(cast, app):
    own = organisation_client(app, cast.org_a_id)

    response = own.post(
        "/portal/projects/new",
        data={
            "client_name": "Garage Martin",
            "client_email": "garage@example.com",
            "client_address": "  4 avenue des Tilleuls  \r\n\r\n38000 Grenoble ",
            "title": "Support moteur",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    project = db.session.scalars(select(Project).where(Project.title == "Support moteur")).one()
    assert project.client_address == "4 avenue des Tilleuls\n38000 Grenoble"
    assert "38000 Grenoble" in own.get(f"/portal/projects/{project.id}").text


def test_the_team_corrects_the_postal_address_and_the_history_keeps_both(cast, app):
    payable = payable_project(cast, client_address="1 rue Haute\n69001 Lyon")
    team = team_browser(app)

    team.post(
        f"/admin/projects/{payable.project_id}/client",
        data={
            "client_name": "Jeanne Roux",
            "client_email": "jeanne.roux@example.com",
            "client_address": "2 rue Basse\n69002 Lyon",
        },
    )

    db.session.expire_all()
    assert db.session.get(Project, payable.project_id).client_address == "2 rue Basse\n69002 Lyon"
    edits = db.session.scalars(
        select(ProjectEvent.details).where(
            ProjectEvent.project_id == payable.project_id, ProjectEvent.kind == "EDITED"
        )
    ).all()
    changed = json.loads(edits[-1])
    assert changed["client_address"] == {
        "from": "1 rue Haute\n69001 Lyon",
        "to": "2 rue Basse\n69002 Lyon",
    }
