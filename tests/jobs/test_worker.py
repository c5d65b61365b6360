"""Real `rq worker` and `flask cnc scheduler` processes, a real Redis and a real SMTP server.

The test process commits changes as the web would; separate processes, configured by the
environment alone, send the emails. Each email is parsed with the `email` package.
"""

import os
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage as ParsedEmail

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select, update

from app.domain.notifications import Event
from app.extensions import db
from app.jobs.housekeeping import recover_abandoned_jobs
from app.jobs.schedule import run_periodic
from app.models import EmailMessage, OutboxMessage, OutboxStatus, PaymentLink, Project
from app.services.notification import notify
from app.services.payment_link import hash_token
from app.uow import transaction
from tests.factories import (
    CommentFactory,
    FileFactory,
    ProjectFactory,
)
from tests.jobs.conftest import (
    BIN,
    DOCUMENTED_WORKER,
    FORKING_WORKER,
    ROOT,
    WORKER_BASE_URL,
    WORKER_TEAM_INBOX,
    SmtpServer,
    free_port,
    inside,
    rq_worker_command,
    sweeping,
    wait_for,
)

HREF = re.compile(r'href="([^"]+)"')
INBOX = WORKER_TEAM_INBOX


def post(event: Event, project_id: int, **data) -> str:
    with transaction() as session:
        return notify(session, event, project_id, **data)


def outbox_settled() -> bool:
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    db.session.rollback()
    return bool(statuses) and all(status == OutboxStatus.DONE.value for status in statuses)


def new_emails(smtp_server: SmtpServer, before: int, timeout: float = 60) -> list[ParsedEmail]:
    """Wait until every outbox message is done; return the emails received since ``before``."""
    wait_for(outbox_settled, timeout, "every outbox message to be done")
    return smtp_server.messages[before:]


def run_on_worker(redis_url: str, name: str) -> None:
    """Enqueue one periodic job as the scheduler does, and wait for a worker to finish it."""
    connection = Redis.from_url(redis_url)
    job = Queue("housekeeping", connection=connection).enqueue(run_periodic, name)
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 60, f"{name} to finish")


def check(emails: list[ParsedEmail], expected: dict[str, tuple[str, str, set[str]]]) -> None:
    """Each address got one email: its language, subject and the absolute links it holds."""
    assert sorted(email["To"] for email in emails) == sorted(expected)
    for email in emails:
        language, subject, links = expected[email["To"]]
        assert email["Content-Language"] == language, email["To"]
        assert email["Subject"] == subject, email["To"]
        assert email.get_content_type() == "multipart/mixed"
        text = email.get_body(("plain",)).get_content()
        html = email.get_body(("html",)).get_content()
        assert f'<html lang="{language}">' in html
        assert set(HREF.findall(html)) == links, email["To"]
        assert all(link in text for link in links), email["To"]
        assert all(link.startswith(WORKER_BASE_URL + "/") for link in links)


def test_each_event_of_spec_section_5_reaches_exactly_its_readers(
    spawn, cast, redis_url, smtp_server, web
):
    worker = spawn(rq_worker_command(redis_url), smtp_server.port)
    project = cast["project"]
    ref = project.reference
    org = f"{WORKER_BASE_URL}/portal/projects/{project.id}"
    team = f"{WORKER_BASE_URL}/admin/projects/show/{project.id}"
    seen = 0

    def step(expected, timeout=60):
        nonlocal seen
        emails = new_emails(smtp_server, seen, timeout)
        seen = len(smtp_server.messages)
        check(emails, expected)
        return emails

    title = project.title
    post(Event.PROJECT_CREATED, project.id)
    step(
        {
            "jean@client.test": ("fr", f"Votre projet {ref} a bien été reçu", set()),
            INBOX: ("fr", f"Nouveau projet à examiner : {ref} – {title}", {team}),
            "theo@cnc-pulse.test": ("en", f"New project to review: {ref} – {title}", {team}),
        }
    )

    post(Event.STATUS_CHANGED, project.id, from_status="PENDING", to_status="IN_REVIEW")
    step(
        {
            "lea@dupont.test": ("fr", f"Projet {ref} : En cours de révision", {org}),
            "sam@dupont.test": ("en", f"Project {ref}: In review", {org}),
            "jean@client.test": ("fr", f"Projet {ref} : En cours de révision", set()),
        }
    )

    team_comment = CommentFactory(project_obj=project, author_name="Théo", body="Tolérance ?")
    post(Event.COMMENT_ADDED, project.id, comment_id=team_comment.id, author_is_staff=True)
    emails = step(
        {
            "lea@dupont.test": ("fr", f"Nouveau commentaire de CNC Pulse sur {ref}", {org}),
            "sam@dupont.test": ("en", f"New comment from CNC Pulse on {ref}", {org}),
        }
    )
    assert "Tolérance ?" in emails[0].get_body(("plain",)).get_content()

    org_comment = CommentFactory(project_obj=project, author_name="Léa", body="±0,02 mm")
    post(Event.COMMENT_ADDED, project.id, comment_id=org_comment.id, author_is_staff=False)
    step(
        {
            INBOX: ("fr", f"Atelier Dupont a commenté le projet {ref}", {team}),
            "theo@cnc-pulse.test": ("en", f"New comment from Atelier Dupont on {ref}", {team}),
        }
    )

    deliverable = FileFactory(project_obj=project, kind="DELIVERABLE", original_name="bride.nc")
    post(Event.DELIVERABLES_UPLOADED, project.id, file_ids=[deliverable.id])
    emails = step(
        {
            "lea@dupont.test": ("fr", f"Nouveaux livrables pour {ref}", {org}),
            "sam@dupont.test": ("en", f"New deliverables for {ref}", {org}),
        }
    )
    assert all("bride.nc" in email.get_body(("plain",)).get_content() for email in emails)

    db.session.get(Project, project.id).status = "COMPLETED"
    db.session.commit()
    post(Event.PROJECT_COMPLETED, project.id, final_price_cents=123456)
    emails = step(
        {
            "lea@dupont.test": ("fr", f"Le projet {ref} est terminé", {org}),
            "sam@dupont.test": ("en", f"Project {ref} is completed", {org}),
        }
    )
    amounts = {e["To"]: e.get_body(("plain",)).get_content() for e in emails}
    assert "1\u202f234,56\u00a0€" in amounts["lea@dupont.test"]
    assert "€1,234.56" in amounts["sam@dupont.test"]

    token = "jeton-secret-" + "x" * 30
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    db.session.add(link)
    db.session.commit()
    post(Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=token)
    step(
        {
            "jean@client.test": (
                "fr",
                f"Demande de paiement pour votre projet {ref}",
                {f"{WORKER_BASE_URL}/pay/{token}"},
            ),
            # The organisation's copy carries the client's link too, to forward.
            "lea@dupont.test": (
                "fr",
                f"Lien de paiement envoyé pour {ref}",
                {org, f"{WORKER_BASE_URL}/pay/{token}"},
            ),
            "sam@dupont.test": (
                "en",
                f"Payment link sent for {ref}",
                {org, f"{WORKER_BASE_URL}/pay/{token}"},
            ),
        }
    )
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == "AWAITING_PAYMENT"

    # Two days before expiry the schedule reminds the client, without the secret link.
    db.session.execute(
        update(PaymentLink)
        .where(PaymentLink.id == link.id)
        .values(expires_at=datetime.now(UTC) + timedelta(hours=40))
    )
    db.session.commit()
    run_on_worker(redis_url, "remind-expiring-payment-links")
    step(
        {
            "jean@client.test": (
                "fr",
                f"Rappel : votre lien de paiement pour {ref} expire bientôt",
                set(),
            ),
        }
    )

    db.session.execute(
        update(PaymentLink)
        .where(PaymentLink.id == link.id)
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.commit()
    run_on_worker(redis_url, "notify-expired-payment-links")
    step(
        {
            INBOX: ("fr", f"Lien de paiement expiré pour {ref}", {team}),
            "theo@cnc-pulse.test": ("en", f"Payment link expired for {ref}", {team}),
        }
    )

    db.session.get(Project, project.id).status = "PAID"
    db.session.commit()
    post(Event.PAYMENT_RECEIVED, project.id)
    step(
        {
            "jean@client.test": ("fr", f"Paiement reçu pour votre projet {ref}", set()),
            "lea@dupont.test": ("fr", f"Paiement reçu pour {ref}", {org}),
            "sam@dupont.test": ("en", f"Payment received for {ref}", {org}),
            INBOX: ("fr", f"Paiement reçu pour {ref}", {team}),
            "theo@cnc-pulse.test": ("en", f"Payment received for {ref}", {team}),
        }
    )

    # Each email went out once, under a Message-ID of its own.
    message_ids = [email["Message-ID"] for email in smtp_server.messages]
    assert len(set(message_ids)) == len(message_ids) == 25
    # The worker's lines are printed once each, not again by the application's root handler.
    done = [line for line in worker.lines() if "Job OK (" in line]
    assert len(done) == len(set(line.rsplit("(", 1)[1] for line in done)) >= 12
    # RQ's lines take the application's format, once: not again through the root handler.
    built = [line for line in worker.lines() if "application built for every job" in line]
    assert len(built) == 1 and " rq.worker: " in built[0]


def test_mail_server_down_for_a_while_then_back_delivers_everything_once(
    spawn, cast, redis_url, web
):
    port = free_port()
    spawn(rq_worker_command(redis_url, FORKING_WORKER), port)  # forks a work horse per job
    project = cast["project"]
    comment = CommentFactory(project_obj=project, body="Le brut est-il fourni ?")
    post(Event.PROJECT_CREATED, project.id)
    post(Event.STATUS_CHANGED, project.id, from_status="PENDING", to_status="IN_REVIEW")
    post(Event.COMMENT_ADDED, project.id, comment_id=comment.id, author_is_staff=False)

    def all_failed_once() -> bool:
        db.session.expire_all()
        messages = db.session.scalars(select(OutboxMessage)).all()
        db.session.rollback()
        return len(messages) == 3 and all(m.attempts >= 1 and m.last_error for m in messages)

    wait_for(all_failed_once, 30, "a first failed attempt at each message")
    assert outbox_settled() is False
    failed = db.session.scalars(select(EmailMessage)).all()
    assert len(failed) == 8 and {email.status for email in failed} == {"FAILED"}
    assert all("ConnectionRefusedError" in email.last_error for email in failed)

    server = SmtpServer(port=port)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The schedule's sweep sends each failed message again once its retry is due.
        with sweeping(web, every=1):
            emails = new_emails(server, 0, timeout=90)
        time.sleep(2)  # time enough for a stray duplicate to show up
    finally:
        controller.stop()

    addresses = sorted((email["To"], email["Subject"]) for email in server.messages)
    assert len(addresses) == len(set(addresses)) == len(emails) == 8
    db.session.expire_all()
    logged = db.session.scalars(select(EmailMessage)).all()
    assert {(email.status, email.attempts) for email in logged} == {("SENT", 2)}
    assert {m.attempts for m in db.session.scalars(select(OutboxMessage))} == {2}


@pytest.mark.parametrize("worker_class", [DOCUMENTED_WORKER, FORKING_WORKER])
def test_our_workers_build_the_app_once_and_run_each_job_where_they_say(
    spawn, cast, redis_url, smtp_server, web, worker_class
):
    if worker_class == DOCUMENTED_WORKER:
        # The command these tests run is the one docs/jobs.md and the README give.
        command = 'rq worker -w app.jobs.worker.AppWorker --url "$REDIS_URL" --with-scheduler'
        queues = "\n    email stripe default housekeeping"
        assert command + " \\" + queues in (ROOT / "docs" / "jobs.md").read_text("utf-8")
        assert command + " \\" + queues in (ROOT / "README.md").read_text("utf-8")
    worker = spawn(rq_worker_command(redis_url, worker_class), smtp_server.port)
    project = cast["project"]
    first = post(Event.PROJECT_CREATED, project.id)
    second = post(Event.PROJECT_CREATED, project.id)
    emails = new_emails(smtp_server, 0)
    time.sleep(1)  # time enough for a stray duplicate to show up

    expected = ["jean@client.test", INBOX, "theo@cnc-pulse.test"]
    assert sorted(email["To"] for email in smtp_server.messages) == sorted(expected * 2)
    assert len(emails) == 6
    db.session.expire_all()
    assert (
        {db.session.get(OutboxMessage, first).attempts}
        == {db.session.get(OutboxMessage, second).attempts}
        == {1}
    )
    # Where each job runs: in the worker itself, or in a work horse forked for it.
    queue = Queue("default", connection=Redis.from_url(redis_url))
    probes = [queue.enqueue(os.getpid) for _ in range(2)]
    wait_for(
        lambda: all(p.get_status(refresh=True) == JobStatus.FINISHED for p in probes), 30, "probes"
    )
    pids = [probe.return_value() for probe in probes]
    if worker_class == DOCUMENTED_WORKER:
        assert pids == [worker.popen.pid] * 2
    else:
        assert worker.popen.pid not in pids and pids[0] != pids[1]
    # The application is built once, at start, before the first job.
    lines = worker.lines()
    built = [n for n, line in enumerate(lines) if "application built for every job" in line]
    jobs = [n for n, line in enumerate(lines) if "Job OK (" in line]
    assert len(built) == 1 and len(jobs) == 4 and built[0] < jobs[0]


def test_the_documented_worker_beats_while_a_long_job_runs(spawn, redis_url, smtp_server):
    # A heartbeat every second here (30 s by default), each lasting until the next and a minute.
    options = ("--job-monitoring-interval", "1")
    spawn(rq_worker_command(redis_url, options=options), smtp_server.port)
    redis = Redis.from_url(redis_url)
    job = Queue("default", connection=redis).enqueue(time.sleep, 9, job_timeout=600)
    started = StartedJobRegistry("default", connection=redis)

    def expires_in() -> float:
        # One entry per execution of a job; its score is when the execution is judged dead.
        ((_, expiry),) = redis.zrange(started.key, 0, -1, withscores=True)
        return expiry - time.time()

    wait_for(lambda: started.get_job_ids(), 30, "the job to start")
    first = expires_in()
    time.sleep(5)
    later = expires_in()
    # Not the job's timeout and a minute (660 s), but the next heartbeat and a minute, renewed:
    # a worker that died now would be seen dead a minute later, not eleven.
    assert 55 <= first <= 61.5 and 57.5 <= later <= 61.5
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 30, "the job to end")


def test_a_worker_killed_in_the_middle_of_a_job_delivers_once_after_recovery(
    spawn, cast, redis_url, smtp_server, web
):
    project = cast["project"]
    with socket.socket() as silent:
        # A mail server that accepts the connection and never answers: the job hangs there.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(30)
        worker = spawn(rq_worker_command(redis_url), silent.getsockname()[1])
        message_id = post(Event.PROJECT_CREATED, project.id)
        connection, _ = silent.accept()
        worker.kill()
        connection.close()

    redis = Redis.from_url(redis_url)
    assert Job.fetch(message_id, connection=redis).get_status() == JobStatus.STARTED
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.attempts) == (OutboxStatus.ENQUEUED.value, 1)
    assert smtp_server.messages == []

    # Two minutes pass. The dead worker's scheduler lock expires (a minute after its last
    # refresh), so the next worker's scheduler takes over at start-up; then the dead worker's
    # heartbeat runs out, and the sweep fails its job in RQ and queues its message again.
    for name in web.config["RQ_QUEUES"]:
        redis.delete(RQScheduler.get_locking_key(name))
    # RQ's own worker, whose work horses build the application themselves, recovers the job.
    spawn(rq_worker_command(redis_url, "rq.worker.Worker"), smtp_server.port)
    recover_abandoned_jobs(now=time.time() + 120)
    emails = new_emails(smtp_server, 0, timeout=60)
    time.sleep(2)

    assert sorted(email["To"] for email in smtp_server.messages) == sorted(
        ["jean@client.test", INBOX, "theo@cnc-pulse.test"]
    )
    assert len(emails) == 3
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).attempts == 2


def test_two_schedulers_and_a_worker_send_each_notice_once_and_sweep_the_outbox(
    spawn, make_jobs_app, cast, redis_url, smtp_server
):
    project = cast["project"]
    # Redis was down when this change committed: its message waits in the outbox.
    with inside(make_jobs_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")):
        stranded = post(Event.PROJECT_CREATED, project.id)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == stranded)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=5))
        )
        db.session.commit()
    due = ProjectFactory(
        organisation=project.organisation,
        status="AWAITING_PAYMENT",
        reference="CNC-2026-00050",
        client_email="ann@client.test",
        client_language="en",
        final_price_cents=50000,
    )
    expired = ProjectFactory(
        organisation=project.organisation, status="AWAITING_PAYMENT", reference="CNC-2026-00051"
    )
    now = datetime.now(UTC)
    for linked, expires_at in ((due, now + timedelta(hours=30)), (expired, now)):
        db.session.add(
            PaymentLink(
                project_id=linked.id,
                organisation_id=linked.organisation_id,
                token_hash=hash_token(linked.reference),
                expires_at=expires_at,
                sent_at=now - timedelta(days=5),
            )
        )
    db.session.commit()

    spawn(rq_worker_command(redis_url), smtp_server.port)
    schedulers = [
        spawn([str(BIN / "flask"), "cnc", "scheduler"], smtp_server.port) for _ in range(2)
    ]

    def everything_sent() -> bool:
        return len(smtp_server.messages) >= 6 and outbox_settled()

    wait_for(everything_sent, 90, "the reminder, the notice and the stranded message")
    time.sleep(3)

    received = sorted((email["To"], email["Subject"]) for email in smtp_server.messages)
    assert received == sorted(
        [
            ("ann@client.test", "Reminder: your payment link for CNC-2026-00050 expires soon"),
            (INBOX, "Lien de paiement expiré pour CNC-2026-00051"),
            ("theo@cnc-pulse.test", "Payment link expired for CNC-2026-00051"),
            ("jean@client.test", "Votre projet CNC-2026-00042 a bien été reçu"),
            (INBOX, "Nouveau projet à examiner : CNC-2026-00042 – Bride d'usinage"),
            ("theo@cnc-pulse.test", "New project to review: CNC-2026-00042 – Bride d'usinage"),
        ]
    )
    redis = Redis.from_url(redis_url)
    # Both schedulers ran every job: the jobs themselves keep each email single.
    assert redis.zcard("rq:cron_job:remind-expiring-payment-links:jobs") == 2
    assert redis.zcard("rq:cron_job:sweep-outbox:jobs") >= 2
    for scheduler in schedulers:
        scheduler.stop()
        assert "sweep-outbox: every 60 s on queue housekeeping" in scheduler.lines()
        assert scheduler.popen.returncode == 0
