"""The demo data: every role, every status, real histories; loaded once."""

import mailbox
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import (
    AppUser,
    Comment,
    EmailMessage,
    Invoice,
    Organisation,
    Payment,
    PaymentLink,
    Project,
    ProjectFile,
)
from app.services.demo import DEMO_LOGINS, seed_demo


@pytest.fixture
def dev_mailbox(app, tmp_path, monkeypatch):
    """The development machine's mailbox, as `make run` has it: emails are delivered there."""
    folder = tmp_path / "mailbox"
    monkeypatch.setitem(app.config, "MAIL_MAILBOX_DIR", str(folder))
    return folder


def test_seed_demo_loads_every_role_and_status_once(app, dev_mailbox):
    assert seed_demo() is True
    assert seed_demo() is False

    assert db.session.scalar(select(func.count(Organisation.id))) == 2
    roles = {user.email: user.roles[0].name for user in db.session.scalars(select(AppUser))}
    assert roles == {email: role for email, _, role in DEMO_LOGINS}
    statuses = set(db.session.scalars(select(Project.status)))
    # COMPLETED lasts only until the client's link email is delivered: none is stuck there.
    assert statuses == {status.value for status in ProjectStatus} - {"COMPLETED"}
    assert db.session.scalar(select(func.count(ProjectFile.id))) > 2 * len(statuses)
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.is_internal)) > 0
    invoice = db.session.scalars(select(Invoice)).one()
    payment = db.session.scalars(select(Payment)).one()
    assert invoice.payment_id == payment.id and invoice.number.endswith("-00001")
    assert invoice.amount_excl_cents + invoice.vat_cents == invoice.amount_incl_cents == 18000
    assert invoice.seller_vat_number == "FR12912345678"


def test_every_completed_demo_project_reached_payment_through_its_delivered_email(app, dev_mailbox):
    assert seed_demo() is True

    links = db.session.scalars(select(PaymentLink)).all()
    # Three payment links, and the downloads link the paid project's confirmation carries.
    assert len(links) == 4
    for link in links:
        project = db.session.get(Project, link.project_id)
        assert project.status in ("AWAITING_PAYMENT", "PAID"), project.reference
        assert link.sent_at is not None
    capot = db.session.scalars(
        select(Project).where(Project.title == "Capot de protection machine")
    ).one()
    assert capot.status == "AWAITING_PAYMENT"
    email = db.session.scalars(
        select(EmailMessage).where(
            EmailMessage.project_id == capot.id,
            EmailMessage.kind == "payment_link_issued",
            EmailMessage.recipient == capot.client_email,
        )
    ).one()
    assert email.status == "SENT"
    # The client's copy, link and all, is in the development mailbox.
    delivered = [
        message_from_bytes(box.get_bytes(key), policy=policy.default)
        for box in [mailbox.Maildir(dev_mailbox, create=False)]
        for key in box.keys()
    ]
    link_emails = [
        m
        for m in delivered
        if m["To"] == capot.client_email and "/pay/" in m.get_body(("plain",)).get_content()
    ]
    assert len(link_emails) == 1
    assert capot.reference in link_emails[0]["Subject"]
    assert link_emails[0]["Reply-To"] == "equipe@cnc-pulse.fr"
    # The log's copy no longer holds the secret link: only the mailbox does.
    assert "/pay/***" in email.body_text
