"""The outbox on RQ: enqueue after commit, survive a Redis outage, never send twice."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import select, update

from app.domain.errors import NotFound
from app.domain.notifications import Event
from app.extensions import db
from app.jobs.dispatch import dispatch, sweep_outbox
from app.jobs.runner import run_outbox_message
from app.models import EmailMessage, OutboxMessage, OutboxStatus
from app.services.notification import notify, resend_email
from app.services.outbox import (
    MAX_ATTEMPTS,
    RETRY_INTERVALS,
    mark_enqueued,
    record_failure,
    start_attempt,
)
from app.uow import transaction
from tests.factories import ProjectFactory
from tests.jobs.conftest import free_port, inside, work


def queue_creation(project_id: int) -> str:
    with transaction() as session:
        return notify(session, Event.PROJECT_CREATED, project_id)


def outbox(message_id: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def sent_count() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(EmailMessage).where(EmailMessage.status == "SENT")).all())


@pytest.fixture
def queue_app(make_jobs_app, smtp_server, redis_url):
    app = make_jobs_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with inside(app):
        yield app


def test_retries_cover_at_least_twenty_minutes_and_end_with_the_runner():
    assert sum(RETRY_INTERVALS) >= 20 * 60
    assert list(RETRY_INTERVALS) == sorted(RETRY_INTERVALS)
    assert MAX_ATTEMPTS == len(RETRY_INTERVALS) + 1


def test_a_committed_message_is_queued_and_a_worker_delivers_it_once(
    queue_app, redis_url, smtp_server
):
    project = ProjectFactory()
    message_id = queue_creation(project.id)

    assert outbox(message_id).status == OutboxStatus.ENQUEUED.value
    assert outbox(message_id).enqueued_at is not None
    job = Job.fetch(message_id, connection=Redis.from_url(redis_url))
    assert job.origin == "email" and job.func_name == "app.jobs.runner.run_outbox_message"
    # RQ does not retry it: the outbox records when a failed message is due again.
    assert not job.retries_left and not job.retry_intervals
    assert smtp_server.messages == []

    work(redis_url)

    assert len(smtp_server.messages) == 2
    assert outbox(message_id).status == OutboxStatus.DONE.value

    # The same message dispatched again, and a stray duplicate job: nothing more is sent.
    dispatch([message_id])
    Queue("email", connection=Redis.from_url(redis_url)).enqueue(run_outbox_message, message_id)
    work(redis_url)

    assert len(smtp_server.messages) == 2 and sent_count() == 2


def test_redis_down_at_commit_keeps_the_change_and_the_sweep_sends_it_later(
    make_jobs_app, smtp_server, redis_url
):
    down = make_jobs_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with inside(down):
        project = ProjectFactory()
        message_id = queue_creation(project.id)
        assert outbox(message_id).status == OutboxStatus.PENDING.value

    back = make_jobs_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with inside(back):
        assert sweep_outbox(older_than_seconds=3600) == 0
        assert sweep_outbox(older_than_seconds=0) == 1
        assert outbox(message_id).status == OutboxStatus.ENQUEUED.value
        work(redis_url)
        assert sweep_outbox(older_than_seconds=0) == 0
        work(redis_url)

        assert len(smtp_server.messages) == 2 and sent_count() == 2
        assert outbox(message_id).status == OutboxStatus.DONE.value


def test_the_sweep_command_says_when_redis_does_not_answer_and_keeps_the_messages(
    make_jobs_app, smtp_server, redis_url
):
    down = make_jobs_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with inside(down):
        message_id = queue_creation(ProjectFactory().id)
        _age(message_id, minutes=5)

        refused = down.test_cli_runner().invoke(args=["cnc", "sweep-outbox"])

        assert refused.exit_code == 1
        assert "Redis does not answer (ConnectionError); nothing was dispatched." in refused.output
        assert outbox(message_id).status == OutboxStatus.PENDING.value

    back = make_jobs_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with inside(back):
        done = back.test_cli_runner().invoke(args=["cnc", "sweep-outbox"])
        assert done.exit_code == 0 and "1 message(s) dispatched again." in done.output
        work(redis_url)
        assert len(smtp_server.messages) == 2


def test_the_sweep_requeues_what_a_dead_worker_left(queue_app, redis_url, smtp_server):
    message_id = queue_creation(ProjectFactory().id)
    # The job is on its queue: however old, the sweep leaves it to RQ.
    _age(message_id, minutes=31)
    assert sweep_outbox() == 0

    # The worker died and Redis lost the job.
    Redis.from_url(redis_url).flushdb()
    assert sweep_outbox() == 1
    work(redis_url)

    assert len(smtp_server.messages) == 2 and outbox(message_id).status == OutboxStatus.DONE.value


def test_the_sweep_requeues_the_job_of_a_worker_killed_mid_run(queue_app, redis_url, smtp_server):
    message_id = queue_creation(ProjectFactory().id)
    connection = Redis.from_url(redis_url)
    # A worker killed while running the job: RQ marked the job failed when it found it abandoned,
    # and the job's execution is still listed though the execution's own record has expired.
    Queue("email", connection=connection).remove(message_id)
    connection.hset(Job.key_for(message_id), "status", "failed")
    connection.zadd(f"rq:executions:{message_id}", {"killed-worker-execution": 4102444800})
    _age(message_id, minutes=31)

    assert sweep_outbox() == 1
    work(redis_url)

    assert len(smtp_server.messages) == 2 and sent_count() == 2
    assert outbox(message_id).status == OutboxStatus.DONE.value


def test_a_message_that_failed_before_being_marked_enqueued_waits_for_its_retry(
    make_jobs_app, smtp_server, redis_url
):
    # Redis takes the job, and a fast worker fails it before the web marks it ENQUEUED.
    app = make_jobs_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with inside(app):
        message_id = uuid4().hex
        db.session.add(
            OutboxMessage(id=message_id, job="send_notification", payload="{}", queue="email")
        )
        db.session.commit()
        assert outbox(message_id).status == OutboxStatus.PENDING.value
        attempt = start_attempt(message_id)
        record_failure(message_id, attempt.number, OSError("connection refused"))
        mark_enqueued([message_id])

        failed = outbox(message_id)
        assert failed.status == OutboxStatus.PENDING.value and failed.next_attempt_at is not None
        assert sweep_outbox(older_than_seconds=0) == 0
        due = failed.next_attempt_at + timedelta(seconds=1)
        assert sweep_outbox(older_than_seconds=0, now=due) == 1
        assert outbox(message_id).status == OutboxStatus.ENQUEUED.value
        # Claimed once: a second sweep finds its job queued and leaves it.
        assert sweep_outbox(older_than_seconds=0, now=due) == 0


def test_the_sweep_runs_pending_messages_inline_without_redis(make_jobs_app, smtp_server):
    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())):
        message_id = queue_creation(ProjectFactory().id)
        assert outbox(message_id).status == OutboxStatus.PENDING.value
    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)):
        # Its first attempt failed: it is due again after the first retry interval.
        assert sweep_outbox(older_than_seconds=0) == 0
        later = datetime.now(UTC) + timedelta(seconds=RETRY_INTERVALS[0] + 1)
        assert sweep_outbox(older_than_seconds=0, now=later) == 1
        assert outbox(message_id).status == OutboxStatus.DONE.value
        assert outbox(message_id).attempts == 2 and len(smtp_server.messages) == 2


def test_a_message_fails_for_good_after_the_last_attempt_and_the_team_can_retry(
    make_jobs_app, smtp_server
):
    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())):
        message_id = queue_creation(ProjectFactory().id)
        for _ in range(MAX_ATTEMPTS - 1):
            with pytest.raises(Exception, match="emails not sent"):
                run_outbox_message(message_id)
        assert outbox(message_id).status == OutboxStatus.FAILED.value
        assert outbox(message_id).attempts == MAX_ATTEMPTS
        run_outbox_message(message_id)
        assert outbox(message_id).attempts == MAX_ATTEMPTS

    with inside(make_jobs_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)):
        failed = db.session.scalars(
            select(EmailMessage.id).where(EmailMessage.outbox_id == message_id)
        ).all()
        assert len(failed) == 2
        for email_id in failed:
            resend_email(email_id)
        assert sent_count() == 2 and len(smtp_server.messages) == 2
        with pytest.raises(NotFound):
            resend_email(0)


def _age(message_id: str, minutes: int) -> None:
    then = datetime.now(UTC) - timedelta(minutes=minutes)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(created_at=then, enqueued_at=then)
    )
    db.session.commit()
