"""The client's page behind the link: what it shows before payment, and to whom it shows nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckoutSession, PaymentLink, Project, StripeEvent
from app.models.base import utcnow
from app.services.payment_link import hash_token
from tests.payments.conftest import payable_project, stripe_settings

NOT_VALID_FR = "Ce lien ne fonctionne plus"


def test_the_page_shows_the_project_and_deliverables_without_download_links(cast, client):
    payable = payable_project(cast, title="Bride de serrage", description="Aluminium 6061.")

    response = client.get(f"/pay/{payable.token}", headers={"Accept-Language": "fr-FR,fr"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Atelier Dupont" in body and "Bride de serrage" in body and "Aluminium 6061." in body
    assert "1\u202f240,00\u00a0€" in body or "1 240,00" in body
    assert "bride.nc" in body and "1,0\u00a0Ko" in body
    assert f"/pay/{payable.token}/files/" not in body
    assert "Payer par carte" in body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_follows_the_clients_language_unless_the_visitor_switches(cast, client):
    english_client = payable_project(cast, client_language="en")
    french_client = payable_project(cast, client_language="fr")

    # The client's language wins over the browser's; the page's switch wins over both.
    english = client.get(f"/pay/{english_client.token}", headers={"Accept-Language": "fr-FR,fr"})
    switched = client.get(f"/pay/{english_client.token}?lang=fr", headers={"Accept-Language": "en"})
    french = client.get(f"/pay/{french_client.token}", headers={"Accept-Language": "en-GB,en"})

    assert '<html lang="en">' in english.text
    assert "Pay by card" in english.text and "€1,240.00" in english.text
    assert "Payer par carte" in switched.text
    assert "Payer par carte" in french.text


def test_an_unknown_link_follows_the_browser(cast, client):
    response = client.get("/pay/pas-un-vrai-jeton", headers={"Accept-Language": "en-GB,en"})

    assert response.status_code == 404
    assert '<html lang="en">' in response.text


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired"])
def test_unknown_revoked_and_expired_links_get_the_same_page(cast, client, case):
    payable = payable_project(cast)
    token = payable.token
    link = db.session.get(PaymentLink, payable.link_id)
    if case == "unknown":
        token = "pas-un-vrai-jeton"
    elif case == "revoked":
        link.revoked_at = utcnow()
    else:
        link.created_at = utcnow() - timedelta(days=8)
        link.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()

    response = client.get(f"/pay/{token}", headers={"Accept-Language": "fr"})
    checkout = client.post(f"/pay/{token}/checkout", headers={"Accept-Language": "fr"})

    assert response.status_code == checkout.status_code == 404
    body = response.get_data(as_text=True)
    assert NOT_VALID_FR in body and "Atelier Dupont" not in body
    assert response.headers["Cache-Control"] == "no-store"
    reference = db.session.get(PaymentLink, payable.link_id)
    assert reference.token_hash == hash_token(payable.token)
    assert db.session.scalar(select(func.count(CheckoutSession.id))) == 0


def test_without_stripe_keys_the_page_says_to_contact_the_team(cast, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    payable = payable_project(cast)

    page = client.get(f"/pay/{payable.token}?lang=en")
    refused = client.post(f"/pay/{payable.token}/checkout", data={"lang": "en"})

    assert "Card payment is not available. Please contact the team" in page.text
    assert "Pay by card" not in page.text
    assert refused.status_code == 409
    assert "Card payment is not available" in refused.text
    assert db.session.scalar(select(func.count(CheckoutSession.id))) == 0
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0


def test_the_page_is_rate_limited(cast, limited_apps, stripe_standin):
    payable = payable_project(cast)
    client = limited_apps(**stripe_settings(stripe_standin)).test_client()
    codes = [client.get(f"/pay/{payable.token}").status_code for _ in range(61)]
    guesses = [client.get(f"/pay/guess-{n}").status_code for n in range(2)]
    assert codes[:60] == [200] * 60
    assert codes[60] == 429
    assert guesses == [429, 429]


def test_a_limit_for_every_request_is_still_checked_before_each(cast, limited_apps, stripe_standin):
    """Limits are checked in the routes declaring them, unless one is set for every route."""
    limited = limited_apps(RATELIMIT_DEFAULT="3 per minute", **stripe_settings(stripe_standin))
    client = limited.test_client()
    codes = [client.get("/login/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


BANK = {
    "bank_holder": "CNC Pulse SAS",
    "bank_iban": "FR7630006000011234567890189",
    "bank_bic": "AGRIFRPP",
    "contact_email": "contact@cnc-pulse.test",
    "contact_phone": "04 72 00 00 00",
}


def test_without_stripe_keys_the_page_gives_the_bank_details_and_the_reference(
    cast, client, app, monkeypatch
):
    from app.services.settings import update_settings

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    update_settings(BANK)
    payable = payable_project(cast)
    reference = db.session.get(Project, payable.project_id).reference

    page = client.get(f"/pay/{payable.token}", headers={"Accept-Language": "fr-FR,fr"}).text

    assert "Payer par carte" not in page
    assert "merci de payer par virement sur le compte ci-dessous" in page
    assert "Payer par virement" in page
    assert "CNC Pulse SAS" in page
    assert "FR76 3000 6000 0112 3456 7890 189" in page and "AGRIFRPP" in page
    assert f'<dd id="bank-reference"><strong>{reference}</strong></dd>' in page
    assert "contact@cnc-pulse.test" in page and "04 72 00 00 00" in page


def test_with_card_payment_the_transfer_is_offered_as_an_alternative(cast, client):
    from app.services.settings import update_settings

    update_settings(BANK)
    payable = payable_project(cast)

    page = client.get(f"/pay/{payable.token}?lang=en").text

    assert "Pay by card" in page
    assert "Or pay by bank transfer" in page and "FR76 3000 6000 0112 3456 7890 189" in page


def test_once_paid_the_bank_details_are_gone(cast, client):
    from app.services.settings import update_settings

    update_settings(BANK)
    payable = payable_project(cast)
    project = db.session.get(Project, payable.project_id)
    project.status = "PAID"
    project.paid_at = utcnow()
    db.session.commit()

    page = client.get(f"/pay/{payable.token}?lang=en").text

    assert "FR76" not in page and "bank transfer" not in page
