"""Notification emails end to end, in inline mode: recipients, languages, preferences, failures."""

import io
import json
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.domain.notifications import Event
from app.domain.policy import Role
from app.extensions import db
from app.jobs.email import EmailNotSent
from app.jobs.runner import run_outbox_message
from app.models import (
    EmailMessage,
    EmailStatus,
    FileKind,
    OutboxMessage,
    OutboxStatus,
    PaymentLink,
    Project,
)
from app.services.email_log import NO_MAIL_SERVER
from app.services.file import Upload, add_files
from app.services.notification import notify, preferences_for, resend_email, set_preference
from app.services.payment_link import hash_token
from app.uow import transaction
from tests.factories import (
    CommentFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
    viewer,
)
from tests.jobs.conftest import free_port, inside

TEAM_INBOX = "equipe@cnc-pulse.test"


@pytest.fixture
def organisation(mail_app):
    return OrganisationFactory(name="Atelier Dupont")


@pytest.fixture
def members(organisation):
    return {
        "fr": UserFactory(role=Role.ORG_MEMBER, organisation=organisation, email="lea@dupont.test"),
        "en": UserFactory(
            role=Role.ORG_ADMIN, organisation=organisation, email="sam@dupont.test", language="en"
        ),
    }


@pytest.fixture
def project(organisation):
    return ProjectFactory(
        organisation=organisation,
        reference="CNC-2026-00042",
        title="Bride d'usinage",
        client_name="Jean Client",
        client_email="jean@client.test",
        final_price_cents=123456,
    )


def queue(event: Event, project_id: int, **data) -> str:
    with transaction() as session:
        return notify(session, event, project_id, **data)


def log_for(address: str) -> list[EmailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(EmailMessage).where(EmailMessage.recipient == address)))


def outbox(message_id: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_emails_go_out_right_after_commit_in_each_readers_language(smtp_server, members, project):
    message_id = queue(
        Event.STATUS_CHANGED, project.id, from_status="PENDING", to_status="IN_REVIEW"
    )

    french, english, client = (
        smtp_server.to("lea@dupont.test"),
        smtp_server.to("sam@dupont.test"),
        smtp_server.to("jean@client.test"),
    )
    assert len(french) == len(english) == len(client) == 1
    assert french[0]["Subject"] == "Projet CNC-2026-00042 : En cours de révision"
    assert english[0]["Subject"] == "Project CNC-2026-00042: In review"
    assert client[0]["Subject"] == "Projet CNC-2026-00042 : En cours de révision"
    assert french[0]["Content-Language"] == "fr" and english[0]["Content-Language"] == "en"
    text = french[0].get_body(("plain",)).get_content()
    html = french[0].get_body(("html",)).get_content()
    assert "est passé du statut « En attente » au statut « En cours de révision »" in text
    assert f"http://cnc-pulse.test/portal/projects/{project.id}" in html
    assert "<title>Projet CNC-2026-00042 : En cours de révision</title>" in html
    assert "moved from “Pending” to “In review”" in english[0].get_body(("plain",)).get_content()
    assert "/portal/" not in client[0].get_body(("plain",)).get_content()
    assert outbox(message_id).status == OutboxStatus.DONE.value
    logged = log_for("lea@dupont.test")
    assert [(e.status, e.language, e.kind, e.attempts) for e in logged] == [
        ("SENT", "fr", "status_changed", 1)
    ]
    assert logged[0].sent_at is not None and logged[0].dedupe_key == f"{message_id}:lea@dupont.test"


def test_a_rolled_back_change_sends_nothing(smtp_server, members, project):
    with pytest.raises(RuntimeError), transaction() as session:
        notify(session, Event.STATUS_CHANGED, project.id, to_status="IN_REVIEW")
        raise RuntimeError("the use case failed")

    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert smtp_server.messages == []


def test_a_new_project_reaches_the_team_inbox_team_users_and_the_client(smtp_server, project):
    team_member = UserFactory(role=Role.TEAM, email="theo@cnc-pulse.test", language="en")
    UserFactory(role=Role.TEAM, email="parti@cnc-pulse.test", active=False)

    queue(Event.PROJECT_CREATED, project.id)

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        ["jean@client.test", TEAM_INBOX, team_member.email]
    )
    [staff] = smtp_server.to(team_member.email)
    assert staff["Subject"] == "New project to review: CNC-2026-00042 – Bride d'usinage"
    assert (
        f"http://cnc-pulse.test/admin/projects/show/{project.id}"
        in staff.get_body(("html",)).get_content()
    )


def test_comments_go_to_the_other_side_and_internal_notes_nowhere(smtp_server, members, project):
    team_comment = CommentFactory(project_obj=project, author_name="Théo", body="Tolérance ?")
    org_comment = CommentFactory(project_obj=project, author_name="Léa", body="±0,02 mm")

    queue(Event.COMMENT_ADDED, project.id, comment_id=team_comment.id, author_is_staff=True)
    assert sorted(m["To"] for m in smtp_server.messages) == ["lea@dupont.test", "sam@dupont.test"]
    assert "Tolérance ?" in smtp_server.to("lea@dupont.test")[0].get_body(("plain",)).get_content()
    smtp_server.messages.clear()

    queue(Event.COMMENT_ADDED, project.id, comment_id=org_comment.id, author_is_staff=False)
    assert [m["To"] for m in smtp_server.messages] == [TEAM_INBOX]
    smtp_server.messages.clear()

    with transaction() as session:
        assert (
            notify(session, Event.COMMENT_ADDED, project.id, internal=True, author_is_staff=True)
            is None
        )
    assert db.session.scalars(select(OutboxMessage)).all() != [] and smtp_server.messages == []


def test_a_comment_with_a_long_paragraph_reaches_every_recipient_intact(
    smtp_server, members, project
):
    paragraph = "Reprise de l'alésage à Ø 12 H7, tolérance ±0,02 mm, état de surface Ra 0,8. " * 40
    assert len(paragraph.encode()) > 3000
    comment = CommentFactory(project_obj=project, author_name="Théo", body=paragraph)

    queue(Event.COMMENT_ADDED, project.id, comment_id=comment.id, author_is_staff=True)

    assert sorted(m["To"] for m in smtp_server.messages) == ["lea@dupont.test", "sam@dupont.test"]
    for message in smtp_server.messages:
        text = message.get_body(("plain",)).get_content()
        assert paragraph.strip() in text
    for address in ("lea@dupont.test", "sam@dupont.test"):
        [logged] = log_for(address)
        assert (logged.status, logged.attempts, logged.last_error) == ("SENT", 1, None)


def test_a_member_who_switched_a_kind_off_gets_nothing_others_do(smtp_server, members, project):
    set_preference(members["fr"].id, "status_changed", False)

    queue(Event.STATUS_CHANGED, project.id, to_status="IN_REVIEW")

    assert smtp_server.to("lea@dupont.test") == []
    assert len(smtp_server.to("sam@dupont.test")) == 1
    assert preferences_for(members["fr"].id)["status_changed"] is False
    assert preferences_for(members["en"].id)["status_changed"] is True
    set_preference(members["fr"].id, "status_changed", True)
    assert preferences_for(members["fr"].id)["status_changed"] is True


def test_the_client_always_gets_the_payment_link_which_is_then_forgotten(
    smtp_server, members, project
):
    for member in members.values():
        set_preference(member.id, "payment_link_issued", False)
    db.session.get(Project, project.id).status = "COMPLETED"
    token = "tok_" + "x" * 40
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        expires_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
    )
    db.session.add(link)
    db.session.commit()

    message_id = queue(Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=token)

    [email] = [m["To"] for m in smtp_server.messages]
    assert email == "jean@client.test"
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert f"http://cnc-pulse.test/pay/{token}" in body
    assert "1\u202f234,56\u00a0€ TTC" in body and "01/12/2026" in body
    db.session.expire_all()
    assert db.session.get(PaymentLink, link.id).sent_at is not None
    assert db.session.get(Project, project.id).status == "AWAITING_PAYMENT"
    assert json.loads(outbox(message_id).payload)["data"]["token"] == "***"
    [logged] = log_for("jean@client.test")
    assert token not in logged.body_text and token not in logged.body_html
    assert "/pay/***" in logged.body_text


def test_a_link_replaced_before_its_email_is_not_sent(smtp_server, members, project):
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token("old"),
        expires_at=datetime.now(UTC) + timedelta(days=7),
        revoked_at=datetime.now(UTC),
    )
    db.session.add(link)
    db.session.commit()

    message_id = queue(Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token="old")

    assert smtp_server.messages == []
    assert json.loads(outbox(message_id).payload)["data"]["token"] == "***"
    assert outbox(message_id).status == OutboxStatus.DONE.value


def test_smtp_down_records_the_failure_and_a_retry_sends_once(make_jobs_app, smtp_server, project):
    down = make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with inside(down):
        message_id = queue(Event.PROJECT_CREATED, project.id)
        assert outbox(message_id).status == OutboxStatus.PENDING.value
        with pytest.raises(EmailNotSent):
            run_outbox_message(message_id)
        [failed] = log_for("jean@client.test")
        assert failed.status == EmailStatus.FAILED.value
        assert failed.attempts == 2 and "ConnectionRefusedError" in failed.last_error
        assert outbox(message_id).attempts == 2 and "EmailNotSent" in outbox(message_id).last_error

    run_outbox_message(message_id)
    run_outbox_message(message_id)

    assert len(smtp_server.to("jean@client.test")) == 1 and len(smtp_server.to(TEAM_INBOX)) == 1
    [sent] = log_for("jean@client.test")
    assert sent.status == EmailStatus.SENT.value and sent.last_error is None
    assert outbox(message_id).status == OutboxStatus.DONE.value


def test_a_retry_sends_only_what_failed(smtp_server, members, project):
    smtp_server.refused.add("sam@dupont.test")
    message_id = queue(Event.STATUS_CHANGED, project.id, to_status="IN_REVIEW")
    assert len(smtp_server.messages) == 2
    [refused] = log_for("sam@dupont.test")
    assert refused.status == EmailStatus.FAILED.value and "550" in refused.last_error

    smtp_server.refused.clear()
    run_outbox_message(message_id)

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "jean@client.test",
        "lea@dupont.test",
        "sam@dupont.test",
    ]


def test_without_a_mail_server_emails_are_logged_for_a_later_resend(
    make_jobs_app, smtp_server, project
):
    with inside(make_jobs_app(MAIL_SERVER=None)):
        message_id = queue(Event.PROJECT_CREATED, project.id)
        [logged] = log_for("jean@client.test")
        assert (logged.status, logged.last_error) == ("FAILED", NO_MAIL_SERVER)
        assert outbox(message_id).status == OutboxStatus.DONE.value
        assert "Votre projet CNC-2026-00042 a bien été reçu" == logged.subject

    resend_email(logged.id)

    [received] = smtp_server.to("jean@client.test")
    assert received["Subject"] == "Votre projet CNC-2026-00042 a bien été reçu"
    assert [e.status for e in log_for("jean@client.test")] == ["SENT"]


def test_resending_a_sent_email_logs_a_new_copy(smtp_server, project):
    queue(Event.PROJECT_CREATED, project.id)
    [first] = log_for("jean@client.test")

    resend_email(first.id)

    assert len(smtp_server.to("jean@client.test")) == 2
    assert [e.status for e in log_for("jean@client.test")] == ["SENT", "SENT"]


def test_nothing_is_sent_for_a_project_deleted_before_the_job(make_jobs_app, smtp_server, project):
    with inside(make_jobs_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")):
        message_id = queue(Event.PROJECT_CREATED, project.id)
    db.session.delete(db.session.get(Project, project.id))
    db.session.commit()

    run_outbox_message(message_id)

    assert smtp_server.messages == [] and outbox(message_id).status == OutboxStatus.DONE.value


def test_a_mail_server_that_never_answers_times_out(make_jobs_app, project):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app = make_jobs_app(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT_SECONDS=0.5
        )
        with inside(app):
            started = time.monotonic()
            queue(Event.PROJECT_CREATED, project.id)
            elapsed = time.monotonic() - started

            [logged] = log_for("jean@client.test")
    assert elapsed < 5
    assert logged.status == EmailStatus.FAILED.value and "timed out" in logged.last_error


def test_deliverable_emails_give_each_files_figures_once_it_was_read(
    mail_app, smtp_server, members, project, monkeypatch
):
    monkeypatch.setitem(mail_app.config, "PREVIEWS_ENABLED", True)
    db.session.get(Project, project.id).status = "IN_PROGRESS"
    db.session.commit()
    team = viewer(UserFactory(role=Role.TEAM))
    program = (
        b"G21 G90 G17\nT1 M6 (FRAISE D6)\nS8000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F300\n"
        b"G1 X100 F1200\nG1 Y50\nG1 X0\nG1 Y0\nG0 Z5\nM30\n"
    )
    uploads = [Upload("bride-op10.nc", io.BytesIO(program)), Upload("notes.txt", io.BytesIO(b"x"))]

    add_files(team, project.id, FileKind.DELIVERABLE, uploads)

    (email,) = smtp_server.to("lea@dupont.test")
    text = email.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = email.get_body(("html",)).get_content()
    figures = "16\u00a0s estimés · 1 outil(s) · 100\u00a0×\u00a050\u00a0×\u00a06\u00a0mm"
    assert f"- bride-op10.nc ({figures})" in text
    assert "\n- notes.txt\n" in text
    assert "16\u00a0s estimés" in html.replace("&nbsp;", "\u00a0")


def test_who_hears_of_deliverables_is_decided_at_upload_not_when_the_email_goes(
    smtp_server, members, project
):
    db.session.get(Project, project.id).status = "PAID"
    db.session.commit()
    team = viewer(UserFactory(role=Role.TEAM))

    (paid_file,) = add_files(
        team, project.id, FileKind.DELIVERABLE, [Upload("bride-op20.nc", io.BytesIO(b"G0 X0\n"))]
    )

    # Uploaded on a paid project: the client can download it and is told.
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()[-1]
    assert json.loads(message.payload)["data"]["status"] == "PAID"
    assert len(smtp_server.to("jean@client.test")) == 1
    assert len(smtp_server.to("lea@dupont.test")) == 1

    # A file uploaded while the project was in progress, whose email a busy worker only sends
    # after the payment: the client was not to be told then, and is not told now.
    queue(Event.DELIVERABLES_UPLOADED, project.id, file_ids=[paid_file.id], status="IN_PROGRESS")

    assert len(smtp_server.to("jean@client.test")) == 1
    (_, late) = smtp_server.to("lea@dupont.test")
    assert "bride-op20.nc" in late.get_body(("plain",)).get_content()
