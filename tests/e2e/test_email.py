"""An HTML email as the job logs it, opened in Chromium: branded, readable, no sideways scroll."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.domain.notifications import Event
from app.domain.policy import Role
from app.extensions import db
from app.models import EmailMessage, PaymentLink
from app.services.notification import notify
from app.services.payment_link import hash_token
from app.uow import transaction
from tests.conftest import clean_database, make_app
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.e2e

TOKEN = "jeton-" + "a" * 40


@pytest.fixture
def logging_app(base_app, database_url, storage_dir):
    """Inline jobs and no mail server: every email is rendered into the email log."""
    del base_app  # requested so the database is migrated and the roles synced
    app = make_app(database_url, storage_dir)
    with app.app_context():
        yield app
        db.session.remove()
        clean_database(db.engine)
        db.engine.dispose()


def test_the_payment_request_email_reads_well_on_a_desktop_and_a_phone(
    logging_app, page, artifacts
):
    organisation = OrganisationFactory(name="Atelier Dupont")
    UserFactory(role=Role.ORG_MEMBER, organisation=organisation)
    project = ProjectFactory(
        organisation=organisation,
        status="COMPLETED",
        reference="CNC-2026-00042",
        title="Bride d'usinage en aluminium 6061",
        client_name="Jean Client",
        client_email="jean@client.test",
        final_price_cents=123456,
    )
    link = PaymentLink(
        project_id=project.id,
        organisation_id=organisation.id,
        token_hash=hash_token(TOKEN),
        expires_at=datetime(2026, 12, 2, 10, tzinfo=UTC),
    )
    db.session.add(link)
    db.session.commit()
    with transaction() as session:
        notify(session, Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=TOKEN)
    email = db.session.scalar(
        select(EmailMessage).where(EmailMessage.recipient == "jean@client.test")
    )

    page.set_viewport_size({"width": 900, "height": 900})
    page.set_content(email.body_html)
    assert page.title() == "Demande de paiement pour votre projet CNC-2026-00042"
    assert page.get_by_text("CNC Pulse", exact=True).is_visible()
    assert page.get_by_role("heading").inner_text() == "Votre projet est prêt"
    button = page.get_by_role("link", name="Consulter et payer")
    assert button.is_visible()
    assert button.get_attribute("href") == f"http://cnc-pulse.test/pay/{TOKEN}"
    assert "1\u202f234,56\u00a0€ TTC" in page.inner_text("body")
    assert "valable jusqu’au 02/12/2026" in page.inner_text("body")
    card = page.locator("table table").first.bounding_box()
    assert card is not None and card["width"] <= 602
    page.screenshot(path=str(artifacts / "email-payment-request.png"), full_page=True)

    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert button.is_visible()
    page.screenshot(path=str(artifacts / "email-payment-request-phone.png"), full_page=True)
