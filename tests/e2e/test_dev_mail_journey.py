"""The whole journey on a development machine with no mail server, in a real browser.

The team completes a project; its link email lands in the app's own mailbox, so the project
awaits payment; the team opens the client's link from the email log, records the transfer, and
the client's page then offers the deliverables.
"""

import io
import re
import zipfile
from pathlib import Path

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, Project
from app.services.file import Upload, add_files
from app.services.settings import update_settings
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory, viewer

pytestmark = pytest.mark.e2e

PROGRAM = b"%\nO1001\nG21 G90 G17\nG0 X0 Y0\nM30\n%\n"
CLIENT = "client.final@example.test"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def dev_mail(live_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The live server as `make run` serves it: no mail server, no Stripe, its own mailbox."""
    folder = tmp_path / "mailbox"
    config = live_server.app.config
    monkeypatch.setitem(config, "MAIL_SERVER", None)
    monkeypatch.setitem(config, "MAIL_MAILBOX_DIR", str(folder))
    monkeypatch.setitem(config, "PUBLIC_BASE_URL", live_server.url)
    monkeypatch.setitem(config, "STRIPE_SECRET_KEY", None)
    return folder


def seed() -> tuple[str, int, str]:
    with db.session.no_autoflush:
        team = UserFactory(role=Role.TEAM, email="julien@cnc-pulse.test")
        project = ProjectFactory(
            organisation=OrganisationFactory(name="Atelier Dupont"),
            status="IN_PROGRESS",
            title="Capot de protection",
            client_email=CLIENT,
        )
    add_files(
        viewer(team),
        project.id,
        FileKind.DELIVERABLE,
        [Upload("capot-op10.nc", io.BytesIO(PROGRAM), "text/plain")],
    )
    update_settings(
        {
            "bank_holder": "CNC Pulse SAS",
            "bank_iban": "FR7630006000011234567890189",
            "bank_bic": "AGRIFRPP",
            "contact_email": "contact@cnc-pulse.test",
        }
    )
    return team.email, project.id, project.reference


def expect_flash(page, text: str) -> None:
    page.locator(".alert-success", has_text=text).wait_for()


def test_the_team_completes_opens_the_clients_link_from_the_log_and_the_client_downloads(
    live_server, dev_mail, page, artifacts, tmp_path
):
    with live_server.app.app_context():
        email, project_id, reference = seed()
        db.session.remove()

    page.goto(live_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("load")

    # The team sets the final price and completes the project.
    page.goto(live_server(f"/admin/projects/show/{project_id}"))
    page.fill("#final_price", "1 240,00")
    page.locator("#prices-form button[type=submit]").click()
    expect_flash(page, "Prix enregistrés.")
    page.select_option("#target", "COMPLETED")
    page.locator("#status-form button[type=submit]").click()
    expect_flash(page, "Statut modifié.")

    # Its link email was delivered to the mailbox: the project awaits payment at once.
    page.reload()
    assert "En attente de paiement" in page.locator(".cnc-subtitle").inner_text()
    assert list((dev_mail / "new").iterdir())
    with live_server.app.app_context():
        assert db.session.get(Project, project_id).status == "AWAITING_PAYMENT"
        db.session.remove()

    # The team opens the client's email from the email log.
    page.goto(live_server("/admin/emails/list/"))
    row = page.locator(
        "tbody tr", has_text=f"Demande de paiement pour votre projet {reference}"
    ).filter(has_text=CLIENT)
    assert row.count() == 1
    assert "Envoyé" in row.inner_text()
    row.locator("a.cnc-email-open").click()
    page.wait_for_url(re.compile(r".*/admin/emails/\d+$"))
    delivered = page.locator("#delivered-copy")
    assert delivered.is_visible()
    # The log's own copy has no secret left; the delivered one does.
    assert "/pay/***" in page.locator("#logged-text").text_content()
    assert page.locator("#logged-links a[href*='/pay/']").count() == 0
    # Its HTML is shown too, in a frame that runs no script.
    for name in ("delivered", "logged"):
        frame = page.frame_locator(f"#{name}-html")
        assert reference in frame.locator("body").inner_text()
    page.screenshot(path=artifacts / "email_log_delivered_copy.png", full_page=True)

    with page.context.expect_page() as opened:
        delivered.locator("#delivered-links a[href*='/pay/']").first.click()
    client = opened.value
    client.wait_for_load_state("load")
    assert client.url.startswith(live_server.url + "/pay/")
    assert client.locator("h1").inner_text() == "Capot de protection"
    # No card payment here: the bank details, with the reference to quote.
    assert client.locator("#pay-by-card").count() == 0
    assert client.locator("#bank-iban").inner_text() == "FR76 3000 6000 0112 3456 7890 189"
    assert client.locator("#bank-reference").inner_text() == reference
    assert client.locator("a.cnc-download").count() == 0
    client.screenshot(path=artifacts / "pay_page_bank_transfer.png", full_page=True)

    # The transfer arrives; the team records it.
    page.goto(live_server(f"/admin/projects/show/{project_id}"))
    page.select_option("#method", "TRANSFER")
    page.fill("#reference", "VIR-2026-0042")
    page.locator("#payment-form button[type=submit]").click()
    expect_flash(page, "Paiement enregistré")

    # The client's page now offers the deliverables, and they download.
    client.reload()
    assert client.locator("#paid").is_visible()
    assert client.locator("#bank-transfer").count() == 0
    link = client.locator("a.cnc-download", has_text="capot-op10.nc")
    with client.expect_download() as download:
        link.click()
    saved = tmp_path / "capot-op10.nc"
    download.value.save_as(saved)
    assert saved.read_bytes() == PROGRAM
    # And everything at once, as one zip.
    with client.expect_download() as download:
        client.click("#download-all")
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert re.fullmatch(r"CNC-\d{4}-\d{5}-livrables\.zip", archive.name)
    with zipfile.ZipFile(archive) as unpacked:
        assert unpacked.read("capot-op10.nc") == PROGRAM
