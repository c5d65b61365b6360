"""Invoices as PDF files: the client after payment, the team; the text read back from the PDF."""

import io

import pytest
from pypdf import PdfReader

from app.documents.pdf import FONT_DIRECTORY, BundledFontsOnly, ForbiddenResourceError
from app.services.settings import save_invoice_settings
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event
from tests.payments.test_back_office import team_client


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def paid(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    return payable


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


def test_the_client_downloads_the_invoice_as_a_pdf_holding_every_mention(
    cast, client, stripe_standin, company
):
    payable = paid(cast, client, stripe_standin)

    page = client.get(f"/pay/{payable.token}/invoice?lang=fr")
    response = client.get(f"/pay/{payable.token}/invoice.pdf?lang=fr")

    assert f"/pay/{payable.token}/invoice.pdf" in page.text
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    assert "Facture F-" in text
    assert "Usinage Conseil SARL" in text and "69007 Lyon" in text
    assert "812 345 678 00021" in text and "FR12812345678" in text
    for amount in ("1 033,33", "206,67", "1 240,00"):
        assert amount in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="F-')


def test_the_invoice_pdf_reads_in_english_for_an_english_reader(cast, client, stripe_standin):
    payable = paid(cast, client, stripe_standin)

    text = pdf_text(client.get(f"/pay/{payable.token}/invoice.pdf?lang=en").data)

    assert "Invoice F-" in text and "Total incl. VAT" in text and "€1,240.00" in text


def test_before_payment_the_client_gets_no_pdf(cast, client):
    payable = payable_project(cast)

    response = client.get(f"/pay/{payable.token}/invoice.pdf")

    assert response.status_code == 404
    assert b"%PDF" not in response.data


def test_the_team_downloads_the_project_invoice_as_a_pdf(cast, app, client, stripe_standin):
    payable = paid(cast, client, stripe_standin)
    team = team_client(app)

    page = team.get(f"/admin/projects/{payable.project_id}/invoice")
    response = team.get(f"/admin/projects/{payable.project_id}/invoice.pdf")

    assert f"/admin/projects/{payable.project_id}/invoice.pdf" in page.text
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "€1,240.00" in pdf_text(response.data)


def test_a_document_loads_nothing_but_its_bundled_fonts():
    fetcher = BundledFontsOnly()
    escaping = (FONT_DIRECTORY / ".." / ".." / "pypdf" / "__init__.py").as_uri()
    for url in ("https://example.org/logo.png", "file:///etc/passwd", "data:,x", escaping):
        with pytest.raises(ForbiddenResourceError):
            fetcher.fetch(url)
    font = fetcher.fetch((FONT_DIRECTORY / "SourceSansPro-Regular.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"
