"""The end client's journey in a real browser: the emailed link, Stripe Checkout, the downloads.

The app runs on a live server with CSRF on, mails a real SMTP server, and talks to the Stripe
stand-in, which also plays Stripe's hosted page; the paid event is posted signed over HTTP.
"""

import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller
from flask import Flask
from werkzeug.serving import make_server

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind
from app.services.file import Upload, add_files
from app.services.workflow import change_status
from tests.conftest import clean_database, free_port, make_app
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.jobs.conftest import SmtpServer
from tests.payments.conftest import WEBHOOK_SECRET, stripe_settings
from tests.payments.stripe_standin import StripeStandIn, event, sign

pytestmark = pytest.mark.e2e

DRAWING = b"%PDF-1.7 plan de la bride " + bytes(range(256)) * 64
PAY_LINK = re.compile(r"https?://\S+/pay/[A-Za-z0-9_\-]{20,}")


@pytest.fixture
def payment_server(
    base_app: Flask, database_url: str, storage_dir: Path
) -> Iterator[tuple[Flask, str, StripeStandIn, SmtpServer]]:
    """A live server wired to the Stripe stand-in and a test SMTP server; all reset after."""
    del base_app  # requested so the database is migrated and the roles synced
    standin = StripeStandIn("sk_test_standin").start()
    smtp = SmtpServer(port=free_port())
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    app = make_app(
        database_url,
        storage_dir,
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        **stripe_settings(standin),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, url, standin, smtp
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        controller.stop()
        standin.stop()
        with app.app_context():
            db.session.remove()
            clean_database(db.engine)
            db.engine.dispose()


@pytest.fixture
def page(browser):
    """A French browser: the client's page follows its language."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def complete_project(app: Flask) -> str:
    """Have the team upload a deliverable and complete the project; return the client's email."""
    with app.app_context():
        team = viewer(UserFactory(role=Role.TEAM))
        project = ProjectFactory(
            organisation=OrganisationFactory(name="Atelier Dupont"),
            status="IN_PROGRESS",
            title="Bride de serrage",
            final_price_cents=124000,
            client_email="client.final@example.test",
        )
        add_files(
            team,
            project.id,
            FileKind.DELIVERABLE,
            [Upload("plan-bride.pdf", io.BytesIO(DRAWING), "application/pdf")],
        )
        change_status(team, project.id, "COMPLETED")
        address = project.client_email
        db.session.remove()
    return address


def test_the_client_pays_by_card_then_downloads_the_deliverables(
    payment_server, page, artifacts, tmp_path
):
    app, url, standin, smtp = payment_server
    address = complete_project(app)

    # The link arrives by email; nothing else holds the token.
    (message,) = smtp.to(address)
    link = PAY_LINK.search(message.get_body(("plain",)).get_content())[0]
    assert link.startswith(url)

    page.goto(link)
    assert page.locator("h1").inner_text() == "Bride de serrage"
    assert "plan-bride.pdf" in page.locator("#deliverables").inner_text()
    assert page.locator("#deliverables a").count() == 0
    assert page.locator("#pay-by-card").inner_text() == "Payer par carte"
    page.screenshot(path=artifacts / "pay_before.png", full_page=True)

    page.click("#pay-by-card")
    page.wait_for_url(re.compile(re.escape(standin.url) + r"/c/pay/cs_test_\w+"))
    assert page.locator("#standin-amount").inner_text() == "1240.00 EUR"
    session_id = page.locator("#standin-session").inner_text()

    # The customer pays on Stripe's page; Stripe posts the signed event.
    body = event("checkout.session.completed", standin.pay(session_id))
    answer = requests.post(
        f"{url}/stripe/webhook",
        data=body.encode(),
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)},
        timeout=30,
    )
    assert answer.status_code == 200

    page.goto(f"{link}?checkout=success")
    assert page.locator("#paid").is_visible()
    assert page.locator("#payment-confirming").count() == 0
    page.screenshot(path=artifacts / "pay_after.png", full_page=True)
    with page.expect_download() as started:
        page.click("#deliverables a:has-text('plan-bride.pdf')")
    saved = tmp_path / "plan-bride.pdf"
    started.value.save_as(saved)
    assert started.value.suggested_filename == "plan-bride.pdf"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(DRAWING).hexdigest()
    with page.expect_download() as started:
        page.click("#download-all")
    archive = tmp_path / started.value.suggested_filename
    started.value.save_as(archive)
    assert re.fullmatch(r"CNC-\d{4}-\d{5}-livrables\.zip", archive.name)
    with zipfile.ZipFile(archive) as unpacked:
        assert unpacked.read("plan-bride.pdf") == DRAWING

    page.click("#invoice-link")
    assert page.locator("#invoice h1").inner_text().startswith("Facture F-")
