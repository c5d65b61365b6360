"""The settings screen: Admin changes what invoices print; the team reads it; nothing half-saved."""

from datetime import date

import pytest
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import Invoice, Setting
from app.security import viewer_for
from app.services.payment import record_manual_payment
from app.services.settings import get_settings
from tests.factories import ProjectFactory, UserFactory
from tests.views.conftest import login

SETTINGS = "/admin/settings/"
GOOD = {
    "company_name": "CNC Pulse SAS",
    "company_address": "12 rue des Fraiseuses\n69000 Lyon",
    "company_registration": "912 345 678 00017",
    "company_vat_number": "FR12912345678",
    "vat_rate": "5,5",
    "download_access_days": "30",
}


def stored() -> dict[str, str]:
    db.session.expire_all()
    return {row.key: row.value for row in db.session.scalars(select(Setting))}


@pytest.fixture
def admin(client):
    user = UserFactory(role=Role.ADMIN)
    login(client, user.email)
    return user


def test_admin_saves_what_the_next_invoices_print(client, admin):
    response = client.post(SETTINGS, data=GOOD, follow_redirects=True)

    assert response.status_code == 200
    assert "Réglages enregistrés" in response.text
    settings = get_settings()
    assert settings.company_name == "CNC Pulse SAS"
    assert settings.company_address == "12 rue des Fraiseuses\n69000 Lyon"
    assert settings.vat_rate_basis_points == 550
    assert settings.download_access_days == 30
    # The form shows the rate as it was typed, in French.
    page = client.get(SETTINGS).text
    assert 'value="5,5"' in page and "FR12912345678" in page

    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=10550)
    record_manual_payment(viewer_for(admin), project.id, "TRANSFER", date.today())
    invoice = db.session.scalars(select(Invoice).where(Invoice.project_id == project.id)).one()
    assert (invoice.seller_name, invoice.seller_vat_number) == ("CNC Pulse SAS", "FR12912345678")
    assert invoice.vat_rate_basis_points == 550
    assert (invoice.amount_excl_cents, invoice.vat_cents) == (10000, 550)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"company_name": "  "}, "Saisissez le nom de la société"),
        ({"company_address": ""}, "Saisissez l&#39;adresse de la société"),
        ({"vat_rate": "vingt"}, "Saisissez le taux de TVA en pourcentage"),
        ({"vat_rate": "120"}, "ne peut pas dépasser 100 %"),
        ({"download_access_days": "0"}, "un nombre de jours entre 1 et 3650"),
        ({"company_vat_number": "F" * 101}, "Le numéro de TVA est trop long"),
    ],
)
def test_a_refused_form_says_why_keeps_what_was_typed_and_saves_nothing(
    client, admin, change, message
):
    before = stored()

    response = client.post(SETTINGS, data={**GOOD, **change})

    assert response.status_code == 422
    assert message in response.text
    assert "912 345 678 00017" in response.text  # what was typed is still there
    assert stored() == before


def test_the_team_reads_the_settings_but_cannot_change_them(client):
    login(client, UserFactory(role=Role.TEAM).email)
    before = stored()

    page = client.get(SETTINGS)
    refused = client.post(SETTINGS, data=GOOD)

    assert page.status_code == 200
    assert "<fieldset disabled>" in page.text
    assert "Seul un administrateur peut modifier les réglages." in page.text
    assert refused.status_code in (302, 403)
    assert stored() == before


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ORG_MEMBER])
def test_organisation_users_never_see_the_settings(client, role):
    login(client, UserFactory(role=role).email)

    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, data=GOOD).status_code == 403
    assert stored() == {}


CONTACT = "/admin/settings/contact"
GOOD_CONTACT = {
    "reply_to_email": "atelier@cnc-pulse.test",
    "contact_email": "contact@cnc-pulse.test",
    "contact_phone": "04 72 00 00 00",
    "bank_holder": "CNC Pulse SAS",
    "bank_iban": "fr76 3000 6000 0112 3456 7890 189",
    "bank_bic": "agrifrpp",
}


def test_admin_saves_the_contact_and_bank_details(client, admin):
    response = client.post(CONTACT, data=GOOD_CONTACT, follow_redirects=True)

    assert response.status_code == 200
    assert "Contact et coordonnées bancaires enregistrés" in response.text
    settings = get_settings()
    assert settings.reply_to_email == "atelier@cnc-pulse.test"
    assert settings.bank_iban == "FR7630006000011234567890189"
    assert settings.bank_bic == "AGRIFRPP"
    # Shown back as it is printed, in groups of four.
    assert 'value="FR76 3000 6000 0112 3456 7890 189"' in client.get(SETTINGS).text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"bank_iban": "FR76 3000 6000 0112 3456 7890 188"},
            "L&#39;IBAN FR76 3000 6000 0112 3456 7890 188 est erroné : ses chiffres de "
            "contrôle ne correspondent pas",
        ),
        ({"bank_iban": "FR76 3000 6000 0112 3456 7890 18"}, "Un IBAN FR compte 27 caractères"),
        ({"bank_iban": "1234"}, "n&#39;est pas un IBAN"),
        ({"bank_bic": "AGRI"}, "AGRI n&#39;est pas un BIC"),
        ({"bank_holder": ""}, "Saisissez le nom du titulaire du compte"),
        ({"contact_email": "contact@"}, "contact@ n&#39;est pas une adresse e-mail valide"),
        ({"reply_to_email": "pas une adresse"}, "pas une adresse n&#39;est pas une adresse"),
    ],
)
def test_a_wrong_iban_or_address_is_refused_saying_why_and_keeps_what_was_typed(
    client, admin, change, message
):
    before = stored()

    response = client.post(CONTACT, data={**GOOD_CONTACT, **change})

    assert response.status_code == 422
    assert message in response.text
    assert 'value="04 72 00 00 00"' in response.text  # what was typed is still there
    assert stored() == before


def test_the_team_cannot_change_the_contact_and_bank_details(client):
    login(client, UserFactory(role=Role.TEAM).email)

    refused = client.post(CONTACT, data=GOOD_CONTACT)

    assert refused.status_code in (302, 403)
    assert stored() == {}
