"""Receipts people keep, and disputes the team hears of: the emails as the SMTP server gets them."""

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.dates import business_today, format_day, format_moment
from app.extensions import db
from app.jobs.dispatch import sweep_outbox
from app.mail.render import display_zone
from app.models import (
    AppUser,
    EmailMessage,
    OutboxMessage,
    Payment,
    PaymentLink,
    ProjectEvent,
    StripeEvent,
)
from app.services.payment import record_manual_payment
from tests.payments.conftest import PRICE, payable_project, post_event, project_of
from tests.payments.stripe_standin import event
from tests.payments.test_back_office import team_client
from tests.payments.test_download_link import invoice_number, paid_by_card, token_in
from tests.payments.test_invoice_pdf import company, pdf_text  # noqa: F401 - a fixture

TEAM_INBOX = "equipe@cnc-pulse.test"  # TEAM_NOTIFICATION_EMAIL of the test settings
AMOUNTS = ("1 033,33", "206,67", "1 240,00")


def plain(text: str) -> str:
    """Read amounts as typed: the narrow and non-breaking spaces as spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def email_of(viewer) -> str:
    return db.session.get(AppUser, viewer.user_id).email


def logged(kind: str) -> list[EmailMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EmailMessage).where(EmailMessage.kind == kind).order_by(EmailMessage.id)
        )
    )


@pytest.mark.usefixtures("company")
def test_the_clients_confirmation_carries_the_downloads_link_and_the_invoice_as_a_pdf(
    cast, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    project = project_of(payable)
    payment = db.session.scalars(select(Payment)).one()
    number = invoice_number(project.id)

    (message,) = smtp.to(project.client_email)
    text = plain(message.get_body(("plain",)).get_content())
    html = plain(message.get_body(("html",)).get_content())
    token = token_in(message)
    page = client.get(f"/pay/{token}")
    attachments = list(message.iter_attachments())

    assert message.get_content_type() == "multipart/mixed"
    for body in (text, html):
        assert number in body and "Carte bancaire (Stripe)" in body
        assert format_moment(payment.paid_at, "fr", display_zone()) in body
        assert "TVA 20 %" in body and all(amount in body for amount in AMOUNTS)
        assert f"/pay/{token}" in body
    assert "est jointe à cet e-mail au format PDF" in text
    # A link of its own: the one paid through keeps opening the page too.
    assert token != payable.token
    assert page.status_code == 200
    assert "plan-bride.pdf" in page.text and f"/pay/{token}/files/" in page.text
    assert client.get(f"/pay/{payable.token}").status_code == 200
    [attachment] = attachments
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{number}.pdf"
    document = plain(pdf_text(attachment.get_content()))
    assert number in document
    assert "812 345 678 00021" in document and "FR12812345678" in document
    assert all(amount in document for amount in AMOUNTS)
    # The token went out in the email and is kept nowhere now; its link counts as sent.
    for email in logged("payment_received"):
        assert token not in email.body_text and token not in email.body_html
    for payload in db.session.scalars(select(OutboxMessage.payload)):
        assert token not in payload
    links = db.session.scalars(select(PaymentLink).order_by(PaymentLink.id)).all()
    assert [link.revoked_at for link in links] == [None, None]
    assert links[1].sent_at is not None


@pytest.mark.usefixtures("company")
def test_the_organisation_and_the_team_read_the_same_receipt_without_attachment_or_link(
    cast, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    number = invoice_number(payable.project_id)

    for address in (email_of(cast.member_a), email_of(cast.org_admin_a), TEAM_INBOX):
        (message,) = [m for m in smtp.to(address) if "Paiement reçu" in m["Subject"]]
        text = plain(message.get_body(("plain",)).get_content())
        html = plain(message.get_body(("html",)).get_content())

        assert list(message.iter_attachments()) == []
        for body in (text, html):
            assert number in body and "Carte bancaire (Stripe)" in body
            assert all(amount in body for amount in AMOUNTS)
            assert "/pay/" not in body
    client_email = project_of(payable).client_email
    assert {e.recipient for e in logged("payment_received") if e.attachment} == {client_email}


@pytest.mark.usefixtures("company")
def test_a_payment_received_another_day_is_dated_by_its_day_alone(cast, smtp):
    payable = payable_project(cast)
    day = business_today() - timedelta(days=3)

    record_manual_payment(cast.team, payable.project_id, "TRANSFER", day, "VIR-2211")

    (message,) = smtp.to(project_of(payable).client_email)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Date du paiement : {format_day(day, 'fr', display_zone())}\n" in text
    assert "Virement bancaire" in text
    [attachment] = list(message.iter_attachments())
    assert invoice_number(payable.project_id) in pdf_text(attachment.get_content())


@pytest.mark.usefixtures("company")
def test_an_unsent_confirmation_carries_the_invoice_on_its_retry_and_when_resent(
    app, cast, client, smtp, stripe_standin
):
    address = "refuse-once@client.test"
    smtp.refused.add(address)
    try:
        payable = paid_by_card(cast, client, stripe_standin, client_email=address)
    finally:
        smtp.refused.discard(address)
    assert smtp.to(address) == []
    [failed] = [e for e in logged("payment_received") if e.recipient == address]
    assert failed.status == "FAILED" and failed.attachment
    team = team_client(app)
    number = invoice_number(payable.project_id)
    log_page = team.get("/admin/emails/list/").text
    assert f"Pièce jointe : {number}.pdf" in log_page or f"Attachment: {number}.pdf" in log_page

    # The outbox tries it again once its wait is over: the invoice is rendered anew.
    waiting = db.session.get(OutboxMessage, failed.outbox_id)
    sweep_outbox(older_than_seconds=0, now=waiting.next_attempt_at + timedelta(seconds=1))
    # A copy resent from the email log carries it too.
    team.post(f"/admin/emails/{failed.id}/resend", data={"seen": "sent"})

    retried, resent = smtp.to(address)
    for message in (retried, resent):
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == f"{number}.pdf"
        assert number in pdf_text(attachment.get_content())
    token = token_in(retried)
    assert client.get(f"/pay/{token}").status_code == 200
    sent = [e for e in logged("payment_received") if e.recipient == address]
    assert sent and {e.status for e in sent} == {"SENT"}
    assert all(token not in e.body_text and token not in e.body_html for e in sent)


def dispute(payment: Payment, status: str = "needs_response", **changes) -> dict:
    return {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": PRICE,
        "currency": "eur",
        "charge": "ch_test_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
        "evidence_details": {"due_by": int(time.time()) + 7 * 86400},
        **changes,
    }


def disputed_emails(smtp) -> list:
    return [m for m in smtp.messages if "contesté" in m["Subject"] or "disputed" in m["Subject"]]


def test_a_dispute_tells_the_team_once_and_marks_the_project_and_the_payments_list(
    app, cast, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    payment = db.session.scalars(select(Payment)).one()
    smtp.messages.clear()
    created = event("charge.dispute.created", dispute(payment))
    team = team_client(app)

    post_event(client, created)
    post_event(client, created)
    # Stripe's same dispute in another event: nothing new.
    post_event(client, event("charge.dispute.created", dispute(payment)))

    emails = disputed_emails(smtp)
    recipients = sorted(m["To"] for m in emails)
    assert len(recipients) == len(set(recipients)) and TEAM_INBOX in recipients
    assert email_of(cast.team) in recipients
    assert project_of(payable).client_email not in recipients
    assert (
        email_of(cast.member_a) not in recipients and email_of(cast.org_admin_a) not in recipients
    )
    assert len(smtp.messages) == len(emails)
    text = plain(emails[0].get_body(("plain",)).get_content())
    assert "1 240,00" in text and "fraudulent" in text and project_of(payable).reference in text
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert (payment.stripe_dispute_id, payment.dispute_status) == ("dp_test_1", "OPEN")
    project_page = team.get(f"/admin/projects/show/{payable.project_id}?lang=fr").text
    payments_list = team.get("/admin/payments/list/").text
    assert 'data-dispute="OPEN"' in project_page and 'data-dispute="OPEN"' in payments_list
    history = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT")
    ).all()
    assert [json.loads(each)["action"] for each in history] == ["disputed"]
    portal = client.get(f"/pay/{payable.token}").text
    assert "dispute" not in portal.lower() and "contest" not in portal.lower()


def test_a_closed_dispute_updates_the_mark_and_tells_nobody_again(
    app, cast, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    payment = db.session.scalars(select(Payment)).one()
    post_event(client, event("charge.dispute.created", dispute(payment)))
    sent = len(smtp.messages)
    team = team_client(app)

    closed = event("charge.dispute.closed", dispute(payment, "lost"))
    post_event(client, closed)
    post_event(client, closed)

    assert len(smtp.messages) == sent
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.dispute_status == "LOST" and payment.dispute_closed_at is not None
    project_page = team.get(f"/admin/projects/show/{payable.project_id}").text
    payments_list = team.get("/admin/payments/list/").text
    assert 'data-dispute="LOST"' in project_page and 'data-dispute="LOST"' in payments_list
    assert 'data-dispute="OPEN"' not in project_page
    history = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT")
    ).all()
    assert sorted(json.loads(each)["action"] for each in history) == [
        "dispute_closed",
        "disputed",
    ]


def test_a_dispute_decided_before_its_opening_arrives_tells_the_team_once(
    cast, client, smtp, stripe_standin
):
    paid_by_card(cast, client, stripe_standin)
    payment = db.session.scalars(select(Payment)).one()
    smtp.messages.clear()

    post_event(client, event("charge.dispute.closed", dispute(payment, "won")))
    post_event(client, event("charge.dispute.created", dispute(payment)))

    db.session.expire_all()
    assert db.session.get(Payment, payment.id).dispute_status == "WON"
    assert len([m for m in disputed_emails(smtp) if m["To"] == TEAM_INBOX]) == 1


def test_a_dispute_of_an_unknown_payment_is_kept_with_its_reason(client, smtp):
    found = {"id": "dp_x", "object": "dispute", "charge": "ch_x", "payment_intent": "pi_x"}

    post_event(client, event("charge.dispute.created", found))

    assert "unknown payment" in db.session.scalars(select(StripeEvent.error)).one()
    assert disputed_emails(smtp) == []
