"""The team's payment actions: regenerate and remind, manual payment and cancellation, invoice."""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from app.domain.policy import Role
from app.extensions import db
from app.models import CheckoutSession, EmailMessage, PaymentLink, Project, ProjectEvent
from app.models.base import utcnow
from tests.factories import ProjectFactory, UserFactory
from tests.payments.conftest import (
    checkout_row,
    open_checkout,
    payable_project,
    post_event,
    project_of,
)
from tests.payments.stripe_standin import event
from tests.services.conftest import database_state
from tests.views.conftest import login

PAY_LINK = re.compile(r"/pay/([A-Za-z0-9_\-]{20,})")


def team_client(app):
    client = app.test_client()
    login(client, UserFactory(role=Role.TEAM, language="en").email)
    return client


def post(client, project_id: int, path: str, **data):
    return client.post(f"/admin/projects/{project_id}/{path}", data=data, follow_redirects=True)


def emails_to(address: str, kind: str) -> list[EmailMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EmailMessage).where(EmailMessage.recipient == address, EmailMessage.kind == kind)
        )
    )


def test_regenerating_sends_a_new_link_and_the_old_one_stops_at_once(
    cast, app, client, smtp, stripe_standin
):
    payable = payable_project(cast)
    old_session = open_checkout(client, payable)
    team = team_client(app)

    response = post(team, payable.project_id, "payment-link")

    assert "A new payment link is on its way to the client" in response.text
    assert client.get(f"/pay/{payable.token}").status_code == 404
    assert stripe_standin.session(old_session)["status"] == "expired"
    assert checkout_row(old_session).status == "EXPIRED"
    project = project_of(payable)
    (message,) = smtp.to(project.client_email)
    new_token = PAY_LINK.search(message.get_body(("plain",)).get_content())[1]
    assert new_token != payable.token
    assert client.get(f"/pay/{new_token}").status_code == 200
    links = db.session.scalars(select(PaymentLink).order_by(PaymentLink.id)).all()
    assert [link.revoked_at is not None for link in links] == [True, False]
    assert project.status == "AWAITING_PAYMENT"


def test_reminding_emails_the_client_without_the_link(cast, app, smtp):
    payable = payable_project(cast)
    team = team_client(app)

    response = post(team, payable.project_id, "payment-link/remind")

    assert "The client is being reminded." in response.text
    project = project_of(payable)
    (message,) = smtp.to(project.client_email)
    text = message.get_body(("plain",)).get_content()
    assert "/pay/" not in text and project.reference in text
    kinds = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT_LINK")
    ).all()
    assert any('"reminded"' in details for details in kinds)


def test_reminding_about_an_expired_link_is_refused_and_changes_nothing(cast, app):
    payable = payable_project(cast)
    link = db.session.get(PaymentLink, payable.link_id)
    link.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    team = team_client(app)
    before = database_state()

    response = post(team, payable.project_id, "payment-link/remind")

    assert "The payment link has expired or was revoked: regenerate it" in response.text
    assert database_state() == before


def test_a_project_not_awaiting_payment_has_no_link_to_regenerate(cast, app):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_PROGRESS")
    team = team_client(app)
    before = database_state()

    regenerated = post(team, project.id, "payment-link")
    reminded = post(team, project.id, "payment-link/remind")

    assert (
        "Only a project awaiting payment or paid can get a new link; this one is In progress."
        in regenerated.text
    )
    assert (
        "Only a project awaiting payment has a payment link; this one is In progress."
        in reminded.text
    )
    assert database_state() == before


def test_a_manual_payment_closes_the_open_card_session(cast, app, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    team = team_client(app)

    response = post(
        team,
        payable.project_id,
        "payments",
        method="TRANSFER",
        paid_on=date.today().isoformat(),
        reference="VIR-2211",
    )

    assert "Payment recorded; the invoice is issued." in response.text
    assert project_of(payable).status == "PAID"
    assert stripe_standin.session(session_id)["status"] == "expired"
    assert checkout_row(session_id).status == "EXPIRED"


def test_cancelling_revokes_the_link_and_closes_the_card_session(cast, app, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    team = team_client(app)

    post(team, payable.project_id, "status", target="CANCELLED", note="Abandon du client")

    assert project_of(payable).status == "CANCELLED"
    assert client.get(f"/pay/{payable.token}").status_code == 404
    assert stripe_standin.session(session_id)["status"] == "expired"


def test_the_project_page_shows_the_link_the_payment_and_the_invoice(
    cast, app, client, stripe_standin
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    team = team_client(app)

    page = team.get(f"/admin/projects/show/{payable.project_id}").text
    invoice = team.get(f"/admin/projects/{payable.project_id}/invoice")

    assert 'id="section-payments"' in page
    assert "Downloads open" in page and "Card (Stripe)" in page
    assert f"/admin/projects/{payable.project_id}/invoice" in page
    assert invoice.status_code == 200 and "Total incl. VAT" in invoice.text


def test_a_project_without_invoice_has_no_invoice_page(cast, app):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="AWAITING_PAYMENT")
    team = team_client(app)

    assert team.get(f"/admin/projects/{project.id}/invoice").status_code == 404
    assert db.session.scalar(select(func.count(CheckoutSession.id))) == 0
    assert db.session.get(Project, project.id).status == "AWAITING_PAYMENT"
