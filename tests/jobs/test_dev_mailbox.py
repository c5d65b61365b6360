"""Development mail: without a mail server, emails land in the app's own Maildir, for real.

And everywhere: every email carries a Reply-To and says whom to contact.
"""

import json
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.domain.notifications import Event
from app.extensions import db
from app.mail.mailbox import find_delivered
from app.models import EmailMessage, OutboxMessage, PaymentLink, Project
from app.queries.email_log import email_to_read
from app.services.notification import notify
from app.services.payment_link import hash_token
from app.services.settings import update_settings
from app.uow import transaction
from tests.conftest import clean_database
from tests.factories import OrganisationFactory, ProjectFactory
from tests.jobs.conftest import inside

TOKEN = "tok_" + "d" * 40


@pytest.fixture
def dev_app(base_app, database_url: str, storage_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The development settings `make run` uses, on the test database, no mail server."""
    app = create_app(
        "development",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STORAGE_DIR": str(storage_dir),
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            # Its own folder rather than instance/mailbox, which is the developer's.
            "MAIL_MAILBOX_DIR": str(tmp_path / "mailbox"),
        },
    )
    yield app
    with app.app_context():
        db.session.remove()
        clean_database(db.engine)
        db.engine.dispose()


def completed_project_with_link() -> tuple[Project, PaymentLink]:
    project = ProjectFactory(
        organisation=OrganisationFactory(name="Atelier Dupont"),
        reference="CNC-2026-00042",
        client_email="jean@client.test",
        status="COMPLETED",
        final_price_cents=123456,
    )
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(TOKEN),
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    db.session.add(link)
    db.session.commit()
    return project, link


def delivered_messages(folder: Path) -> list:
    box = mailbox.Maildir(folder, create=False)
    return [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]


def test_the_development_settings_deliver_to_the_instance_mailbox():
    from config import INSTANCE_DIR, DevelopmentConfig, ProductionConfig, TestingConfig

    assert DevelopmentConfig.MAIL_MAILBOX_DIR == str(INSTANCE_DIR / "mailbox")
    assert TestingConfig.MAIL_MAILBOX_DIR is None
    # Production never falls back on a mailbox: it refuses to start without a mail server.
    assert ProductionConfig.MAIL_MAILBOX_DIR is None
    assert "MAIL_SERVER" in ProductionConfig.REQUIRED_ENVIRONMENT


def test_without_a_mail_server_the_link_email_is_delivered_and_the_project_awaits_payment(
    dev_app: Flask,
):
    folder = Path(dev_app.config["MAIL_MAILBOX_DIR"])
    with inside(dev_app):
        project, link = completed_project_with_link()
        with transaction() as session:
            message_id = notify(
                session, Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=TOKEN
            )

        db.session.expire_all()
        logged = db.session.scalars(
            select(EmailMessage).where(EmailMessage.recipient == "jean@client.test")
        ).one()
        assert (logged.status, logged.last_error) == ("SENT", None)
        assert logged.sent_at is not None
        # Counted as sent: the workflow moved on exactly as with a mail server.
        assert db.session.get(PaymentLink, link.id).sent_at is not None
        assert db.session.get(Project, project.id).status == "AWAITING_PAYMENT"
        # The log and the outbox forgot the token; the mailbox holds it, as a client's would.
        assert TOKEN not in logged.body_text and "/pay/***" in logged.body_text
        payload = json.loads(db.session.get(OutboxMessage, message_id).payload)
        assert payload["data"]["token"] == "***"

        files = list((folder / "new").iterdir())
        assert files and all(path.is_file() for path in files)
        [to_client] = [m for m in delivered_messages(folder) if m["To"] == "jean@client.test"]
        assert f"/pay/{TOKEN}" in to_client.get_body(("plain",)).get_content()
        assert f"/pay/{TOKEN}" in to_client.get_body(("html",)).get_content()
        assert to_client["Subject"] == logged.subject
        # No reply address anywhere in these settings: answers go back to the sender.
        assert to_client["Reply-To"] == to_client["From"]
        # The log finds its own email's delivered copy, token and all.
        reading = email_to_read(logged.id)
        assert reading.links == []  # the log's copy has no link left to follow
        assert reading.delivered is not None
        assert f"{dev_app.config['PUBLIC_BASE_URL']}/pay/{TOKEN}" in reading.delivered.links


def test_a_copy_a_mail_client_has_read_is_still_found(dev_app: Flask):
    folder = Path(dev_app.config["MAIL_MAILBOX_DIR"])
    with inside(dev_app):
        project, _ = completed_project_with_link()
        with transaction() as session:
            notify(session, Event.PROJECT_CREATED, project.id)
        logged = db.session.scalars(
            select(EmailMessage).where(EmailMessage.recipient == "jean@client.test")
        ).one()
        # A mail client moves what it read to cur/, with flags after a colon.
        [path] = [p for p in (folder / "new").iterdir() if p.read_bytes().find(b"jean@") >= 0]
        path.rename(folder / "cur" / f"{path.name}:2,S")

        assert (
            find_delivered(str(folder), logged.dedupe_key)
            == (folder / "cur" / f"{path.name}:2,S").read_bytes()
        )


def test_a_mailbox_that_cannot_be_written_records_the_failure(make_jobs_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the mailbox should be")
    with inside(make_jobs_app(MAIL_SERVER=None, MAIL_MAILBOX_DIR=str(blocker / "mailbox"))):
        project = ProjectFactory(client_email="jean@client.test")
        with transaction() as session:
            notify(session, Event.PROJECT_CREATED, project.id)

        db.session.expire_all()
        logged = db.session.scalars(
            select(EmailMessage).where(EmailMessage.recipient == "jean@client.test")
        ).one()
        assert logged.status == "FAILED"
        assert "NotADirectoryError" in logged.last_error or "FileExistsError" in logged.last_error


def test_every_email_has_the_teams_reply_to_and_says_whom_to_contact(mail_app, smtp_server):
    update_settings(
        {
            "reply_to_email": "atelier@cnc-pulse.test",
            "contact_email": "contact@cnc-pulse.test",
            "contact_phone": "04 72 00 00 00",
        }
    )
    project = ProjectFactory(client_email="jean@client.test", reference="CNC-2026-00042")
    with transaction() as session:
        notify(session, Event.PROJECT_CREATED, project.id)

    [received] = smtp_server.to("jean@client.test")
    assert received["Reply-To"] == "atelier@cnc-pulse.test"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert "contact@cnc-pulse.test" in body and "04 72 00 00 00" in body
        assert "Répondez à cet email" in body
        assert "ne pas y répondre" not in body


def test_without_settings_replies_go_to_the_teams_inbox(mail_app, smtp_server):
    project = ProjectFactory(client_email="jean@client.test")
    with transaction() as session:
        notify(session, Event.PROJECT_CREATED, project.id)

    [received] = smtp_server.to("jean@client.test")
    # TEAM_NOTIFICATION_EMAIL in the test settings: a real inbox, so the email says to reply.
    assert received["Reply-To"] == "equipe@cnc-pulse.test"
    assert "écrivez à equipe@cnc-pulse.test" in received.get_body(("plain",)).get_content()


def test_with_no_address_at_all_replies_go_to_the_sender_and_the_email_says_not_to(
    make_jobs_app, smtp_server
):
    app = make_jobs_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, TEAM_NOTIFICATION_EMAIL=None
    )
    with inside(app):
        project = ProjectFactory(client_email="jean@client.test")
        with transaction() as session:
            notify(session, Event.PROJECT_CREATED, project.id)

    [received] = smtp_server.to("jean@client.test")
    assert received["Reply-To"] == received["From"]
    assert "merci de ne pas y répondre" in received.get_body(("plain",)).get_content()
