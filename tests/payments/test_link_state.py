"""Following the client's payment link: its state on both project pages, the organisation's
resend under the reminder's rules, its copy of the link email, the client's language, and the
page while a payment is being confirmed."""

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import (
    AppUser,
    CheckoutSession,
    CheckoutStatus,
    EmailMessage,
    Organisation,
    PaymentLink,
    ProjectEvent,
)
from app.models.base import utcnow
from app.services.payment import record_manual_payment
from app.services.payment_link import resend_payment_link
from app.services.workflow import change_status
from tests.factories import FileFactory, ProjectFactory, UserFactory
from tests.payments.conftest import PRICE, open_checkout, payable_project, project_of
from tests.services.conftest import database_state
from tests.views.conftest import login

PAY_LINK = re.compile(r"https?://\S+/pay/([A-Za-z0-9_\-]{20,})")


def signed_in(app, role: Role, organisation_id: int | None = None):
    client = app.test_client()
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    client.email = UserFactory(role=role, organisation=organisation, language="en").email
    login(client, client.email)
    return client


def visit(app, client, path: str, method: str = "GET"):
    """Make a request as the client's own visitor: requests share the test's app context,
    whose ``g`` keeps the user loaded last: forgotten, each request loads its own."""
    del app
    g.pop("_login_user", None)
    g.pop("user", None)
    return client.open(path, method=method, follow_redirects=True)


def resend(portal, project_id: int):
    path = f"/portal/projects/{project_id}/payment-link/resend"
    return visit(portal.application, portal, path, "POST")


def link_of(payable) -> PaymentLink:
    db.session.expire_all()
    return db.session.get(PaymentLink, payable.link_id)


FACES = {
    "team": (Role.TEAM, None, "/admin/projects/show/{pk}", "/admin/projects/{pk}/invoice"),
    "organisation": (
        Role.ORG_MEMBER,
        "org_a_id",
        "/portal/projects/{pk}",
        "/portal/projects/{pk}/invoice",
    ),
}
INVOICE_LINK = re.compile(r'id="link-invoice"><a href="([^"]+)"[^>]*>.*?(F-\d{4}-\d+)', re.S)


@pytest.mark.parametrize("face", FACES)
def test_the_project_page_shows_to_whom_the_link_went_whether_it_was_opened_and_paid(
    cast, app, client, face
):
    role, organisation, page_path, invoice_path = FACES[face]
    payable = payable_project(cast, client_email="achats@client.example")
    viewer = signed_in(app, role, getattr(cast, organisation) if organisation else None)
    page_path = page_path.format(pk=payable.project_id)

    before = visit(app, viewer, page_path).text
    # Someone signed in opening the link (the team, from the email log) is not the client.
    visit(app, viewer, f"/pay/{payable.token}")
    assert link_of(payable).opened_at is None
    visit(app, client, f"/pay/{payable.token}")
    first_opened = link_of(payable).opened_at
    visit(app, client, f"/pay/{payable.token}")
    record_manual_payment(cast.team, payable.project_id, "TRANSFER", utcnow().date(), "VIR-1")
    after = visit(app, viewer, page_path).text

    # Opened once, recorded once.
    assert first_opened is not None and link_of(payable).opened_at == first_opened
    assert "to achats@client.example" in before
    assert re.search(r'id="link-opened">Not yet<', before)
    assert re.search(r'id="link-paid">Not yet<', before)
    assert "Expires</dt>" in before and 'id="link-invoice"' not in before
    assert not re.search(r'id="link-opened">Not yet<', after)
    assert not re.search(r'id="link-paid">Not yet<', after)
    found = INVOICE_LINK.search(after)
    assert found[1] == invoice_path.format(pk=payable.project_id)
    invoice = visit(app, viewer, found[1])
    assert invoice.status_code == 200 and found[2] in invoice.text


def test_the_portal_page_shows_no_internal_note_nor_stripe_detail(cast, app, client):
    payable = payable_project(cast)
    open_checkout(client, payable)
    portal = signed_in(app, Role.ORG_MEMBER, cast.org_a_id)

    page = visit(app, portal, f"/portal/projects/{payable.project_id}").text

    assert 'id="payment-link-state"' in page
    assert "cs_test_" not in page and "checkout-sessions" not in page
    assert 'id="resend-link-form"' in page


def test_another_organisations_invoice_and_resend_are_not_found(cast, app):
    payable = payable_project(cast)
    record_manual_payment(cast.team, payable.project_id, "TRANSFER", utcnow().date(), "VIR-1")
    other = payable_project(cast)
    foreign = signed_in(app, Role.ORG_ADMIN, cast.org_b_id)
    before = database_state()

    assert foreign.get(f"/portal/projects/{payable.project_id}/invoice").status_code == 404
    assert (
        foreign.post(f"/portal/projects/{other.project_id}/payment-link/resend").status_code == 404
    )
    assert database_state() == before


def test_the_organisation_sends_the_link_again_with_a_new_key_to_the_same_link(
    cast, app, client, smtp
):
    payable = payable_project(cast)
    expires = link_of(payable).expires_at
    portal = signed_in(app, Role.ORG_MEMBER, cast.org_a_id)
    member = db.session.scalars(
        select(AppUser).where(AppUser.organisation_id == cast.org_a_id, AppUser.language == "en")
    ).first()
    smtp.messages.clear()

    response = resend(portal, payable.project_id)

    assert "The payment link is on its way to your client again." in response.text
    project = project_of(payable)
    (message,) = smtp.to(project.client_email)
    text = message.get_body(("plain",)).get_content()
    token = PAY_LINK.search(text)[1]
    assert token != payable.token
    assert client.get(f"/pay/{payable.token}").status_code == 404
    assert client.get(f"/pay/{token}").status_code == 200
    link = link_of(payable)
    assert link.expires_at == expires and link.revoked_at is None and link.followed_up_at
    assert len(db.session.scalars(select(PaymentLink)).all()) == 1
    # The organisation's own copy carries the client's link, to forward.
    (copy,) = smtp.to(member.email)
    assert copy["Subject"] == f"Payment link sent again for {project.reference}"
    assert f"/pay/{token}" in copy.get_body(("plain",)).get_content()
    details = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT_LINK")
    ).all()
    assert any('"resent"' in each for each in details)
    page = visit(app, portal, f"/portal/projects/{payable.project_id}").text
    assert "Payment link sent again" in page


def test_a_second_resend_too_soon_is_refused_with_the_wait(cast, app, smtp):
    payable = payable_project(cast)
    portal = signed_in(app, Role.ORG_MEMBER, cast.org_a_id)
    resend(portal, payable.project_id)
    before = database_state()
    smtp.messages.clear()

    again = resend(portal, payable.project_id)

    assert (
        "The client was emailed about this payment less than 60 minutes ago. "
        "Try again in 60 minutes."
    ) in again.text
    assert database_state() == before and smtp.messages == []
    link = db.session.get(PaymentLink, payable.link_id)
    link.followed_up_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert "on its way to your client again" in resend(portal, payable.project_id).text


def test_the_teams_reminder_and_the_organisations_resend_share_the_limit(cast, app, smtp):
    payable = payable_project(cast)
    resend_payment_link(cast.member_a, payable.project_id)
    team = signed_in(app, Role.TEAM)
    before = database_state()
    smtp.messages.clear()

    reminded = visit(app, team, f"/admin/projects/{payable.project_id}/payment-link/remind", "POST")

    assert "Try again in 60 minutes." in reminded.text
    assert database_state() == before and smtp.messages == []


def test_the_resend_follows_the_reminders_rules(cast, app):
    expired = payable_project(cast)
    link = db.session.get(PaymentLink, expired.link_id)
    link.expires_at = utcnow() - timedelta(hours=1)
    not_sent = payable_project(cast)
    db.session.get(PaymentLink, not_sent.link_id).sent_at = None
    in_progress = ProjectFactory(organisation_id=cast.org_a_id, status="IN_PROGRESS").id
    db.session.commit()
    portal = signed_in(app, Role.ORG_MEMBER, cast.org_a_id)
    before = database_state()

    assert "ask the team for a new one" in resend(portal, expired.project_id).text
    assert "has not reached the client yet" in resend(portal, not_sent.project_id).text
    assert "Only a project awaiting payment has a payment link" in (
        resend(portal, in_progress).text
    )
    assert database_state() == before


def test_the_link_counts_as_sent_when_the_clients_copy_is_whatever_the_organisations(
    cast, app, smtp
):
    member = UserFactory(
        role=Role.ORG_MEMBER, organisation=db.session.get(Organisation, cast.org_a_id)
    )
    smtp.refused.add(member.email)
    project = ProjectFactory(
        organisation_id=cast.org_a_id, status="IN_PROGRESS", final_price_cents=PRICE
    )
    FileFactory(project_obj=project, kind="DELIVERABLE")
    try:
        change_status(cast.team, project.id, "COMPLETED")
    finally:
        smtp.refused.discard(member.email)

    db.session.expire_all()
    assert db.session.get(type(project), project.id).status == "AWAITING_PAYMENT"
    link = db.session.scalars(select(PaymentLink)).one()
    assert link.sent_at is not None and link.sent_to == project.client_email
    emails = {
        email.recipient: email
        for email in db.session.scalars(
            select(EmailMessage).where(EmailMessage.kind == "payment_link_issued")
        )
    }
    assert emails[project.client_email].status == "SENT"
    assert emails[member.email].status == "FAILED"
    # The failed copy keeps the link until it is sent; nothing is lost for the retry.
    assert "/pay/" in emails[member.email].body_text


def test_an_english_clients_email_and_page_are_in_english(cast, app, client, smtp):
    project = ProjectFactory(
        organisation_id=cast.org_a_id,
        status="IN_PROGRESS",
        final_price_cents=PRICE,
        client_language="en",
    )
    FileFactory(project_obj=project, kind="DELIVERABLE")

    change_status(cast.team, project.id, "COMPLETED")

    (message,) = smtp.to(project.client_email)
    assert message["Subject"] == f"Payment request for your project {project.reference}"
    token = PAY_LINK.search(message.get_body(("plain",)).get_content())[1]
    page = client.get(f"/pay/{token}", headers={"Accept-Language": "fr-FR,fr"})
    assert '<html lang="en">' in page.text and "Pay by card" in page.text
    switched = client.get(f"/pay/{token}?lang=fr", headers={"Accept-Language": "fr-FR,fr"})
    assert "Payer par carte" in switched.text


def test_no_card_button_while_the_payment_is_being_confirmed(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    db.session.get(CheckoutSession, session_id).status = CheckoutStatus.COMPLETE.value
    db.session.commit()

    back = client.get(f"/pay/{payable.token}?checkout=success&lang=fr")
    later = client.get(f"/pay/{payable.token}?lang=fr")

    for page in (back.text, later.text):
        assert 'id="payment-confirming"' in page
        assert 'id="pay-by-card"' not in page and "Payer par carte" not in page
    assert "en cours de confirmation" in later.text


def test_back_from_stripe_before_the_event_offers_no_second_payment(cast, client, stripe_standin):
    payable = payable_project(cast)
    open_checkout(client, payable)

    back = client.get(f"/pay/{payable.token}?checkout=success&lang=en")
    plain = client.get(f"/pay/{payable.token}?lang=en")

    assert 'id="payment-confirming"' in back.text and 'id="pay-by-card"' not in back.text
    # Without a word from Stripe, a later visit offers the payment again.
    assert 'id="pay-by-card"' in plain.text
