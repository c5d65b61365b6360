"""The periodic jobs: payment-link reminders and expiry notices, once each; old records go."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select, update

from app.domain.policy import Role
from app.extensions import db
from app.jobs.housekeeping import (
    clean_job_records,
    forget_old_sign_ins,
    notify_expired_payment_links,
    remind_expiring_payment_links,
)
from app.jobs.runner import run_outbox_message
from app.jobs.schedule import SCHEDULE, build_scheduler, periodic_job, run_periodic
from app.models import (
    OutboxMessage,
    OutboxStatus,
    PasswordReset,
    PaymentLink,
    Project,
    UserSession,
)
from app.services.notification import set_preference
from app.services.payment_link import hash_token
from config import from_environment
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory
from tests.jobs.conftest import free_port, inside

TEAM_INBOX = "equipe@cnc-pulse.test"


def now() -> datetime:
    return datetime.now(UTC)


def payment_link(
    project: Project,
    expires_in: timedelta,
    *,
    sent: bool = True,
    revoked: bool = False,
) -> PaymentLink:
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(f"token-{project.id}-{expires_in}"),
        expires_at=now() + expires_in,
        sent_at=now() - timedelta(days=5) if sent else None,
        revoked_at=now() if revoked else None,
    )
    db.session.add(link)
    db.session.commit()
    return link


def unpaid_project(status: str = "AWAITING_PAYMENT", **fields) -> Project:
    defaults = {"final_price_cents": 123456, "client_email": "jean@client.test"}
    return ProjectFactory(status=status, **{**defaults, **fields})


def link_row(link_id: int) -> PaymentLink:
    db.session.expire_all()
    return db.session.get(PaymentLink, link_id)


@pytest.fixture
def organisation(mail_app):
    organisation = OrganisationFactory(name="Atelier Dupont")
    UserFactory(role=Role.ORG_MEMBER, organisation=organisation, email="lea@dupont.test")
    return organisation


def test_the_client_is_reminded_once_before_the_link_expires(smtp_server, organisation):
    due = payment_link(
        unpaid_project(organisation=organisation, reference="CNC-2026-00042"), timedelta(hours=20)
    )
    english = payment_link(
        unpaid_project(
            organisation=organisation, client_email="ann@client.test", client_language="en"
        ),
        timedelta(hours=47),
    )
    not_yet = payment_link(
        unpaid_project(organisation=organisation, client_email="later@client.test"),
        timedelta(days=3),
    )
    others = [
        payment_link(
            unpaid_project(client_email="revoked@client.test"), timedelta(hours=5), revoked=True
        ),
        payment_link(
            unpaid_project(client_email="unsent@client.test"), timedelta(hours=5), sent=False
        ),
        payment_link(
            unpaid_project(status="PAID", client_email="paid@client.test"), timedelta(hours=5)
        ),
        payment_link(unpaid_project(client_email="expired@client.test"), -timedelta(hours=1)),
    ]

    assert remind_expiring_payment_links() == 2

    assert sorted(m["To"] for m in smtp_server.messages) == ["ann@client.test", "jean@client.test"]
    [french] = smtp_server.to("jean@client.test")
    assert french["Subject"] == "Rappel : votre lien de paiement pour CNC-2026-00042 expire bientôt"
    text = french.get_body(("plain",)).get_content()
    assert "1\u202f234,56\u00a0€" in text and "/pay/" not in text
    [english_email] = smtp_server.to("ann@client.test")
    assert english_email["Subject"].startswith("Reminder: your payment link for CNC-")
    assert link_row(due.id).reminded_at is not None
    assert link_row(english.id).reminded_at is not None
    assert link_row(not_yet.id).reminded_at is None
    assert all(link_row(link.id).reminded_at is None for link in others)

    # The next run finds nothing left to remind.
    assert remind_expiring_payment_links() == 0
    assert len(smtp_server.messages) == 2


def test_the_team_hears_once_of_a_link_that_expired_unpaid(smtp_server, organisation):
    team_member = UserFactory(role=Role.TEAM, email="theo@cnc-pulse.test", language="en")
    quiet = UserFactory(role=Role.TEAM, email="zoe@cnc-pulse.test")
    set_preference(quiet.id, "payment_link_expired", False)
    project = unpaid_project(organisation=organisation, reference="CNC-2026-00077")
    expired = payment_link(project, -timedelta(hours=2))
    unsent = payment_link(
        unpaid_project(status="COMPLETED", organisation=organisation, reference="CNC-2026-00078"),
        -timedelta(hours=2),
        sent=False,
    )
    ignored = [
        payment_link(unpaid_project(status="PAID"), -timedelta(hours=2)),
        payment_link(unpaid_project(status="CANCELLED"), -timedelta(hours=2)),
        payment_link(unpaid_project(), -timedelta(hours=2), revoked=True),
        payment_link(unpaid_project(), timedelta(hours=2)),
    ]

    assert notify_expired_payment_links() == 2

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [TEAM_INBOX, TEAM_INBOX, team_member.email, team_member.email]
    )
    subjects = sorted(m["Subject"] for m in smtp_server.to(team_member.email))
    assert subjects == [
        "Payment link expired for CNC-2026-00077",
        "Payment link expired for CNC-2026-00078",
    ]
    html = smtp_server.to(team_member.email)[0].get_body(("html",)).get_content()
    assert 'href="http://cnc-pulse.test/admin/projects/show/' in html
    assert smtp_server.to(quiet.email) == [] and smtp_server.to("lea@dupont.test") == []
    assert link_row(expired.id).expiry_notified_at is not None
    assert link_row(unsent.id).expiry_notified_at is not None
    assert all(link_row(link.id).expiry_notified_at is None for link in ignored)

    assert notify_expired_payment_links() == 0
    assert len(smtp_server.messages) == 4


def test_a_reminder_held_up_past_the_expiry_is_dropped(make_jobs_app, smtp_server, mail_app):
    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())):
        link_id = payment_link(unpaid_project(), timedelta(hours=1)).id
        assert remind_expiring_payment_links() == 1
        [message] = db.session.scalars(select(OutboxMessage)).all()
        message_id = message.id
        assert message.status == OutboxStatus.PENDING.value  # the mail server was down

    db.session.execute(
        update(PaymentLink)
        .where(PaymentLink.id == link_id)
        .values(expires_at=now() - timedelta(minutes=1))
    )
    db.session.commit()
    run_outbox_message(message_id)

    db.session.expire_all()
    assert smtp_server.messages == []
    assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.DONE.value


def test_a_payment_before_the_notice_goes_out_drops_it(make_jobs_app, smtp_server, mail_app):
    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())):
        project_id = unpaid_project().id
        payment_link(db.session.get(Project, project_id), -timedelta(minutes=5))
        assert notify_expired_payment_links() == 1
        message_id = db.session.scalars(select(OutboxMessage.id)).one()

    db.session.get(Project, project_id).status = "PAID"
    db.session.commit()
    run_outbox_message(message_id)

    db.session.expire_all()
    assert smtp_server.messages == []
    assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.DONE.value


@pytest.mark.postgres_only
def test_two_runs_at_once_send_each_reminder_and_notice_once(mail_app, smtp_server):
    links = [
        payment_link(unpaid_project(client_email=f"client{n}@client.test"), timedelta(hours=5))
        for n in range(8)
    ] + [payment_link(unpaid_project(), -timedelta(hours=1)) for _ in range(4)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with mail_app.app_context():
                barrier.wait(timeout=10)
                remind_expiring_payment_links()
                notify_expired_payment_links()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    clients = [m["To"] for m in smtp_server.messages if m["To"] != TEAM_INBOX]
    assert sorted(clients) == sorted(f"client{n}@client.test" for n in range(8))
    assert len(smtp_server.to(TEAM_INBOX)) == 4
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 12
    assert all(
        link_row(link.id).reminded_at or link_row(link.id).expiry_notified_at for link in links
    )


def test_old_settled_outbox_messages_and_failed_job_records_are_deleted(make_jobs_app, redis_url):
    app = make_jobs_app(REDIS_URL=redis_url)
    with inside(app):
        old, recent, failed = (
            OutboxMessage(id=f"{n:032x}", job="send_notification", payload="{}", status=status)
            for n, status in ((1, "DONE"), (2, "DONE"), (3, "FAILED"))
        )
        old.done_at = now() - timedelta(days=31)
        recent.done_at = now() - timedelta(days=29)
        failed.created_at = now() - timedelta(days=90)
        db.session.add_all([old, recent, failed])
        db.session.commit()
        connection = Redis.from_url(redis_url)
        registry = FailedJobRegistry("email", connection=connection)
        jobs = {}
        for name, age in (("stale", timedelta(days=8)), ("fresh", timedelta(days=1))):
            job = Queue("email", connection=connection).enqueue(
                "app.jobs.runner.run_outbox_message", name, job_id=name
            )
            Queue("email", connection=connection).remove(job)
            job.ended_at = now() - age
            registry.add(job, exc_string="EmailNotSent: boom")
            jobs[name] = job

        assert clean_job_records() == {"outbox": 1, "jobs": 1}

        db.session.expire_all()
        remaining = {m.id for m in db.session.scalars(select(OutboxMessage))}
        assert remaining == {recent.id, failed.id}
        assert registry.get_job_ids() == ["fresh"]
        assert not Job.exists("stale", connection=connection)
        assert clean_job_records() == {"outbox": 0, "jobs": 0}


def test_sessions_long_over_and_dead_reset_links_are_deleted(mail_app):
    user = UserFactory(role=Role.TEAM)
    moment = now()

    def session(name: str, seen_days_ago: int, ended_days_ago: int | None) -> UserSession:
        ended = None if ended_days_ago is None else moment - timedelta(days=ended_days_ago)
        return UserSession(
            id=name.ljust(32, "0"),
            user_id=user.id,
            kind="web",
            created_at=moment - timedelta(days=seen_days_ago),
            last_seen_at=moment - timedelta(days=seen_days_ago),
            ended_at=ended,
        )

    def link(name: str, expired_hours_ago: int) -> PasswordReset:
        return PasswordReset(
            user_id=user.id,
            token_hash=name.ljust(64, "0"),
            expires_at=moment - timedelta(hours=expired_hours_ago),
        )

    db.session.add_all(
        [
            session("open", 0, None),
            session("endedrecently", 29, 29),
            session("endedlongago", 31, 31),
            session("abandoned", 31, None),
            link("a", -1),
            link("b", 23),
            link("c", 25),
        ]
    )
    db.session.commit()

    assert forget_old_sign_ins() == {"sessions": 2, "reset_links": 1}

    db.session.expire_all()
    kept = {row.id.rstrip("0") for row in db.session.scalars(select(UserSession))}
    assert kept == {"open", "endedrecently"}
    links = {row.token_hash.rstrip("0") for row in db.session.scalars(select(PasswordReset))}
    assert links == {"a", "b"}
    assert forget_old_sign_ins() == {"sessions": 0, "reset_links": 0}


def test_the_schedule_runs_each_job_on_a_queue_workers_listen_to(mail_app, redis_url):
    names = [entry.name for entry in SCHEDULE]
    assert len(set(names)) == len(names)
    assert {
        "sweep-outbox",
        "remind-expiring-payment-links",
        "notify-expired-payment-links",
        "clean-job-records",
        "forget-old-sign-ins",
        "reconcile-payments",
    } <= set(names)
    assert all(entry.queue in mail_app.config["RQ_QUEUES"] for entry in SCHEDULE)
    assert periodic_job("sweep-outbox").interval == 60

    scheduler = build_scheduler(Redis.from_url(redis_url))
    registered = {job.name: job for job in scheduler.get_jobs()}
    assert set(registered) == set(names)
    sweep = registered["sweep-outbox"]
    assert sweep.func is run_periodic and sweep.args == ("sweep-outbox",)
    assert sweep.interval == 60 and sweep.queue_name == "housekeeping"

    with pytest.raises(LookupError, match="no periodic job is called 'nope'"):
        run_periodic("nope")


def test_the_scheduler_command_needs_redis_and_run_periodic_a_known_name(smtp_server, mail_app):
    runner = mail_app.test_cli_runner()

    refused = runner.invoke(args=["cnc", "scheduler"])
    assert refused.exit_code == 1
    assert "The scheduler needs REDIS_URL" in refused.output

    unknown = runner.invoke(args=["cnc", "run-periodic", "nope"])
    assert unknown.exit_code == 1 and "No periodic job is called 'nope'" in unknown.output

    payment_link(unpaid_project(), timedelta(hours=3))
    done = runner.invoke(args=["cnc", "run-periodic", "remind-expiring-payment-links"])
    assert done.exit_code == 0 and "remind-expiring-payment-links done: 1." in done.output
    assert [m["To"] for m in smtp_server.messages] == ["jean@client.test"]


def test_the_reminder_window_and_retention_are_settings(make_jobs_app, smtp_server, mail_app):
    assert from_environment(
        {"PAYMENT_LINK_REMINDER_HOURS": "24", "OUTBOX_RETENTION_DAYS": "90"}
    ) == {"PAYMENT_LINK_REMINDER_HOURS": 24, "OUTBOX_RETENTION_DAYS": 90}
    with pytest.raises(ValueError, match="JOB_RECORD_RETENTION_DAYS must be a whole number"):
        from_environment({"JOB_RECORD_RETENTION_DAYS": "a week"})

    app = make_jobs_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, PAYMENT_LINK_REMINDER_HOURS=24
    )
    with inside(app):
        later = payment_link(unpaid_project(client_email="later@client.test"), timedelta(hours=30))
        payment_link(unpaid_project(client_email="soon@client.test"), timedelta(hours=20))
        assert remind_expiring_payment_links() == 1
        assert [m["To"] for m in smtp_server.messages] == ["soon@client.test"]
        assert link_row(later.id).reminded_at is None
