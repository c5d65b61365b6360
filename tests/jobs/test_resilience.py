"""Outages: the mail server, RQ's scheduler, Redis itself. Real workers, Redis and SMTP.

The test process plays the web (it commits, and the team clicks Resend) and the schedule (it
runs `sweep-outbox` as `flask cnc scheduler` would, on a short interval); worker processes
configured by the environment alone send the emails.
"""

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from app.domain.errors import Conflict
from app.domain.notifications import Event
from app.extensions import db
from app.jobs.dispatch import STALE_ENQUEUED, sweep_outbox
from app.models import EmailMessage, OutboxMessage, OutboxStatus
from app.services.email_log import Delivery
from app.services.notification import notify, resend_email
from app.uow import transaction
from tests.factories import ProjectFactory
from tests.jobs.conftest import (
    DOCUMENTED_WORKER,
    FORKING_WORKER,
    PrivateRedis,
    SmtpServer,
    free_port,
    inside,
    rq_worker_command,
    sweeping,
    wait_for,
)

RESEND_QUEUED = "queued"


def post(event: Event, project_id: int) -> str:
    with transaction() as session:
        return notify(session, event, project_id)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    db.session.rollback()
    return messages


def emails() -> list[EmailMessage]:
    db.session.expire_all()
    rows = db.session.scalars(select(EmailMessage).order_by(EmailMessage.id)).all()
    db.session.rollback()
    return rows


def nothing_left_to_send() -> bool:
    """Every email is SENT and no outbox message is still on its way."""
    live = {OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value}
    rows = emails()
    return (
        bool(rows)
        and all(email.status == "SENT" for email in rows)
        and not [message for message in outbox() if message.status in live]
    )


@contextmanager
def mail_server(port: int) -> Iterator[SmtpServer]:
    """The SMTP server back on ``port``."""
    server = SmtpServer(port=port)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def each_once(server: SmtpServer) -> Counter:
    """Return how often each (Message-ID, To) arrived."""
    return Counter((message["Message-ID"], message["To"]) for message in server.messages)


@pytest.mark.postgres_only
def test_thirty_resends_racing_the_automatic_retries_deliver_each_email_once(
    spawn, cast, redis_url, web
):
    port = free_port()  # the mail server is down: nothing listens there yet
    spawn(rq_worker_command(redis_url, scheduler=False), port)
    project = cast["project"]
    ids = [post(Event.PROJECT_CREATED, project.id) for _ in range(10)]

    def all_failed_once() -> bool:
        rows = emails()
        return len(rows) == 30 and all(email.status == "FAILED" for email in rows)

    wait_for(all_failed_once, 30, "a first failed attempt at each of the 30 emails")
    wait_for(lambda: all(m.next_attempt_at for m in outbox()), 10, "every retry to be planned")
    # Half the messages used up their attempts: their emails failed for good. The other half
    # are due for their automatic retry now.
    given_up, retried = ids[:5], ids[5:]
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(given_up))
        .values(status=OutboxStatus.FAILED.value, next_attempt_at=None)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(retried))
        .values(next_attempt_at=datetime.now(UTC))
    )
    db.session.commit()
    email_ids = [email.id for email in emails()]

    def click(email_id: int) -> str:
        # Each of two people presses Resend on every email the log showed failed.
        with web.app_context():
            try:
                resend_email(email_id, seen=Delivery.FAILED)
            except Conflict as refused:
                return refused.message
            finally:
                db.session.remove()
        return RESEND_QUEUED

    with mail_server(port) as server, sweeping(web, every=0.5):
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(click, email_ids * 2))
        wait_for(nothing_left_to_send, 40, "every email to be sent")
        time.sleep(2)  # time enough for a stray duplicate to show up

    counts = each_once(server)
    assert len(server.messages) == 30 and set(counts.values()) == {1}
    assert len(emails()) == 30  # resent in place: no copy was made
    # One resend per email failed for good; every other click was refused, saying why.
    reasons = Counter(answers)
    assert reasons[RESEND_QUEUED] == 15
    assert sum(reasons.values()) == 60
    statuses = {m.id: (m.status, m.attempts) for m in outbox()}
    assert {statuses[i] for i in given_up} == {(OutboxStatus.FAILED.value, 1)}
    assert {statuses[i] for i in retried} == {(OutboxStatus.DONE.value, 2)}
    print(f"\nresend race: {len(server.messages)} delivered, clicks: {dict(reasons)}")


def test_without_rq_scheduler_the_sweep_retries_within_two_of_its_intervals(
    spawn, cast, redis_url, web
):
    port = free_port()
    spawn(rq_worker_command(redis_url, scheduler=False), port)
    project = cast["project"]
    for _ in range(3):
        post(Event.PROJECT_CREATED, project.id)

    def all_failed_once() -> bool:
        messages = outbox()
        return len(messages) == 3 and all(m.next_attempt_at for m in messages)

    wait_for(all_failed_once, 30, "a first failed attempt at each message")
    # Nothing waits in RQ's scheduler: the outbox keeps the schedule.
    redis = Redis.from_url(redis_url)
    assert ScheduledJobRegistry("email", connection=redis).count == 0
    due = max(m.next_attempt_at for m in outbox())
    assert due - datetime.now(UTC) <= timedelta(seconds=10)  # the first wait is 10 s

    interval = 2.0
    with mail_server(port) as server:
        back = datetime.now(UTC)
        with sweeping(web, every=interval):
            wait_for(nothing_left_to_send, 40, "every email to be sent")
            delivered = datetime.now(UTC)
        time.sleep(1)

    # Sent within two sweeps of whichever came last: the server's return or the retry's time.
    delay = (delivered - max(back, due)).total_seconds()
    assert delay <= 2 * interval + 1
    assert len(server.messages) == 9 and set(each_once(server).values()) == {1}
    assert {m.attempts for m in outbox()} == {2}
    print(f"\nno scheduler: delivered {delay:.1f} s after the retry was due and the server back")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.mark.parametrize("worker_class", [DOCUMENTED_WORKER, FORKING_WORKER])
def test_a_worker_outlives_a_redis_restart_and_what_redis_lost_is_sent_again(
    spawn, make_jobs_app, private_redis, smtp_server, worker_class
):
    url = private_redis.url
    app = make_jobs_app(REDIS_URL=url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with inside(app):
        project = ProjectFactory(client_email="jean@client.test")
        command = rq_worker_command(url, worker_class, scheduler=False)
        worker = spawn(command, smtp_server.port, REDIS_URL=url)
        redis = Redis.from_url(url)
        # The worker is busy when Redis goes: the emails queued meanwhile wait in Redis.
        busy = Queue("default", connection=redis).enqueue(time.sleep, 3)
        wait_for(lambda: busy.get_status(refresh=True) == JobStatus.STARTED, 30, "a busy worker")
        before = [post(Event.PROJECT_CREATED, project.id) for _ in range(4)]
        assert {m.status for m in outbox()} == {OutboxStatus.ENQUEUED.value}

        private_redis.kill()
        killed = time.monotonic()
        during = [post(Event.PROJECT_CREATED, project.id) for _ in range(2)]
        time.sleep(8)
        assert worker.popen.poll() is None
        private_redis.start()  # empty: the four queued jobs are lost
        restarted = time.monotonic()
        after = [post(Event.PROJECT_CREATED, project.id) for _ in range(2)]

        def done(ids: list[str]) -> bool:
            return all(m.status == OutboxStatus.DONE.value for m in outbox() if m.id in ids)

        wait_for(lambda: done(after), 30, "the emails queued after Redis came back")
        back_after = time.monotonic() - restarted
        # The next sweep once the lost jobs' grace has passed, and one for those Redis never got.
        later = datetime.now(UTC) + STALE_ENQUEUED + timedelta(seconds=1)
        assert sweep_outbox(older_than_seconds=0, now=later) == len(before) + len(during)
        wait_for(lambda: done(before + during), 30, "what Redis lost or never got")
        time.sleep(2)  # time enough for a stray duplicate to show up
        messages = {m.id: m.attempts for m in outbox()}

    assert worker.popen.poll() is None
    lines = worker.lines()
    assert [line for line in lines if "Redis is back" in line]
    # The busy job ended while Redis was away; the worker waited instead of quitting.
    assert [line for line in lines if f"Redis went away while job {busy.id} ended" in line]
    assert not [line for line in lines if "unhandled exception, quitting" in line]
    assert len(messages) == 8 and set(messages.values()) == {1}
    counts = each_once(smtp_server)
    assert len(smtp_server.messages) == 16 and set(counts.values()) == {1}
    print("\n".join(line for line in lines if "Redis" in line))
    print(
        f"\nredis restart: down {restarted - killed:.1f} s, new emails out "
        f"{back_after:.1f} s after its return; 16 of 16 delivered once"
    )
