"""A new link after payment: it opens the downloads and the invoice, and asks for no payment."""

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.domain.dates import format_day
from app.domain.errors import Invalid, PermissionDenied
from app.domain.policy import Role
from app.extensions import db
from app.mail.render import display_zone
from app.models import (
    AppUser,
    FileKind,
    Invoice,
    Organisation,
    PaymentLink,
    Project,
    ProjectEvent,
)
from app.models.base import utcnow
from app.services.file import Upload, add_files
from app.services.payment_link import regenerate_payment_link
from app.services.settings import get_settings
from tests.factories import ProjectFactory, UserFactory
from tests.payments.conftest import open_checkout, payable_project, post_event, project_of
from tests.payments.stripe_standin import event
from tests.payments.test_back_office import PAY_LINK, team_client

DRAWING = b"%PDF-1.7 plan " + bytes(range(256)) * 8


def paid_by_card(cast, client, stripe_standin, **fields):
    payable = payable_project(cast, deliverables=0, **fields)
    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("plan-bride.pdf", io.BytesIO(DRAWING), "application/pdf")],
    )
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    assert project_of(payable).status == "PAID"
    return payable


def token_in(message) -> str:
    return PAY_LINK.search(message.get_body(("plain",)).get_content())[1]


def invoice_number(project_id: int) -> str:
    return db.session.scalar(select(Invoice.number).where(Invoice.project_id == project_id))


def test_a_paid_project_gets_a_new_link_and_the_old_one_stops_at_once(
    cast, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    assert client.get(f"/pay/{payable.token}").status_code == 200
    smtp.messages.clear()

    issued = regenerate_payment_link(cast.team, payable.project_id)

    assert issued.for_downloads
    assert client.get(f"/pay/{payable.token}").status_code == 404
    project = project_of(payable)
    assert project.status == "PAID"
    (message,) = smtp.to(project.client_email)
    token = token_in(message)
    assert token != payable.token
    links = db.session.scalars(select(PaymentLink).order_by(PaymentLink.id)).all()
    # The link paid through and the one the payment confirmation carried both stop.
    assert [link.revoked_at is not None for link in links] == [True, True, False]
    # The new link serves the downloads for a period of its own, which its expiry shows.
    period = timedelta(days=get_settings().download_access_days)
    assert abs(links[-1].expires_at - (links[-1].created_at + period)) < timedelta(seconds=1)
    details = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT_LINK")
    ).all()
    assert any('"download_link"' in each for each in details)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("PENDING", "Pending"),
        ("IN_REVIEW", "In review"),
        ("IN_PROGRESS", "In progress"),
        ("REJECTED", "Rejected"),
        ("CANCELLED", "Cancelled"),
    ],
)
def test_no_new_link_for_a_project_that_is_neither_due_nor_paid(
    cast, app, unchanged, smtp, status, label
):
    project = ProjectFactory(organisation_id=cast.org_a_id, status=status, final_price_cents=900)

    error = unchanged(lambda: regenerate_payment_link(cast.team, project.id), Invalid)

    assert str(error) == (
        f"Only a project awaiting payment or paid can get a new link; this one is {label}."
    )
    assert smtp.messages == []


def test_only_the_team_issues_a_new_link_after_payment(cast, client, stripe_standin, unchanged):
    payable = paid_by_card(cast, client, stripe_standin)

    for viewer in (cast.member_a, cast.org_admin_a):
        error = unchanged(
            lambda viewer=viewer: regenerate_payment_link(viewer, payable.project_id),
            PermissionDenied,
        )
        assert str(error) == "Only the team can manage payment links."
    assert client.get(f"/pay/{payable.token}").status_code == 200


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_clients_email_says_the_files_are_ready_and_asks_for_no_payment(
    cast, client, smtp, stripe_standin, language
):
    payable = paid_by_card(cast, client, stripe_standin, client_language=language)
    smtp.messages.clear()

    regenerate_payment_link(cast.team, payable.project_id)

    project = project_of(payable)
    (message,) = smtp.to(project.client_email)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    token = token_in(message)
    number = invoice_number(project.id)
    link = db.session.scalars(select(PaymentLink).where(PaymentLink.revoked_at.is_(None))).one()
    until = format_day(link.expires_at, language, display_zone())
    assert f"/pay/{token}" in text and f"/pay/{token}" in html
    assert number in text and number in html
    if language == "fr":
        assert message["Subject"] == (
            f"Vos livrables sont prêts à être téléchargés : projet {project.reference}"
        )
        assert "sont prêts à être téléchargés" in text
        assert f"Votre facture {number} est disponible sur la même page." in text
        assert "Ce nouveau lien remplace le précédent" in text
        assert f"valable jusqu’au {until}" in text
        assert "régler" not in text and "Payer" not in text
        assert "1\u202f240,00" not in text and "1 240,00" not in text
    else:
        assert message["Subject"] == (
            f"Your deliverables are ready to download: project {project.reference}"
        )
        assert "are ready to download from the secure page below" in text
        assert f"Your invoice {number} is available on the same page." in text
        assert f"valid until {until}" in text
        assert "amount due" not in text.lower() and "pay by card" not in text.lower()
        assert "1,240.00" not in text
    assert "Download" in html or "Télécharger" in html


def test_the_organisation_is_told_of_the_new_download_link(cast, client, smtp, stripe_standin):
    english = UserFactory(
        role=Role.ORG_MEMBER,
        organisation=db.session.get(Organisation, cast.org_a_id),
        language="en",
    )
    payable = paid_by_card(cast, client, stripe_standin)
    smtp.messages.clear()

    regenerate_payment_link(cast.team, payable.project_id)

    project = project_of(payable)
    (message,) = smtp.to(english.email)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == f"New download link sent for {project.reference}"
    assert f"has been sent to {project.client_name}" in text
    assert "the deliverables and the invoice stay available until" in text
    assert "This new link replaces the previous one" in text
    assert "Amount due" not in text
    # The organisation's copy carries the client's new link, to forward if need be.
    (client_copy,) = smtp.to(project.client_email)
    client_link = re.search(r"https?://\S+/pay/\S+", client_copy.get_body(("plain",)).get_content())
    assert f"to forward to them if they cannot find our email:\r\n{client_link[0]}" in text
    (french,) = smtp.to(db.session.get(AppUser, cast.member_a.user_id).email)
    assert french["Subject"] == f"Nouveau lien de téléchargement envoyé pour {project.reference}"


def test_the_new_link_opens_the_downloads_and_the_invoice(cast, client, smtp, stripe_standin):
    payable = paid_by_card(cast, client, stripe_standin)
    # Paid long ago: the first link's period is nearly over, the new one opens a fresh one.
    project = db.session.get(Project, payable.project_id)
    project.paid_at = utcnow() - timedelta(days=80)
    db.session.commit()
    smtp.messages.clear()

    regenerate_payment_link(cast.team, payable.project_id)

    token = token_in(smtp.to(project_of(payable).client_email)[0])
    page = client.get(f"/pay/{token}?lang=en")
    invoice = client.get(f"/pay/{token}/invoice?lang=en")
    file_id = re.search(rf"/pay/{re.escape(token)}/files/(\d+)", page.text)[1]
    download = client.get(f"/pay/{token}/files/{file_id}")
    data = download.get_data()
    download.close()
    link = db.session.scalars(select(PaymentLink).where(PaymentLink.revoked_at.is_(None))).one()

    assert page.status_code == 200
    assert "plan-bride.pdf" in page.text and f"/pay/{token}/invoice" in page.text
    assert "Pay by card" not in page.text
    assert (
        f"Downloads stay open until {format_day(link.expires_at, 'en', display_zone())}"
        in page.text
    )
    assert invoice.status_code == 200 and invoice_number(payable.project_id) in invoice.text
    assert download.status_code == 200 and data == DRAWING


def test_the_back_office_sends_a_new_download_link_for_a_paid_project(
    cast, app, client, smtp, stripe_standin
):
    payable = paid_by_card(cast, client, stripe_standin)
    team = team_client(app)
    smtp.messages.clear()

    page = team.get(f"/admin/projects/show/{payable.project_id}").text
    response = team.post(
        f"/admin/projects/{payable.project_id}/payment-link", follow_redirects=True
    )

    assert "Send a new download link" in page and 'id="remind-form"' not in page
    # Once paid, the link is shown as working until the end of the download period.
    days = get_settings().download_access_days
    open_until = project_of(payable).paid_at + timedelta(days=days)
    paris_day = open_until.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d")
    assert f"Downloads open until</dt><dd>{paris_day}" in page
    assert "A new download link is on its way to the client" in response.text
    assert "Download link issued" in response.text
    assert client.get(f"/pay/{payable.token}").status_code == 404
    (message,) = smtp.to(project_of(payable).client_email)
    assert client.get(f"/pay/{token_in(message)}").status_code == 200
