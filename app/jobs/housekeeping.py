"""The periodic jobs: outbox sweep, payment-link reminders and expiry notices, old records.

Each runs inside an app context (see :func:`app.jobs.schedule.run_periodic`) and is safe to run
twice at once: two schedulers, or a run that overlaps the next one, send no email twice.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry, clean_registries
from sqlalchemy import delete

from app.extensions import db
from app.jobs import dispatch
from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.services.notification import queue_expired_link_notices, queue_payment_link_reminders
from app.services.password_reset import forget_dead_links
from app.services.preview import forget_unused_previews as forget_previews_of_no_file
from app.services.sessions import forget_old_sessions
from app.services.storage import sweep

log = logging.getLogger(__name__)


def recover_lost_jobs(now: float | None = None) -> int:
    """Give RQ back the jobs of dead workers, then sweep the outbox for what never reached one.

    :param now: the time, in seconds since the epoch, against which RQ's heartbeats are judged.
    :return: how many outbox messages were dispatched again.
    """
    return recover_abandoned_jobs(now) + dispatch.sweep_outbox()


def recover_abandoned_jobs(now: float | None = None) -> int:
    """Fail the jobs whose worker stopped sending heartbeats, and queue their messages again.

    A worker killed in the middle of a job (its machine died, the OOM killer) leaves it in
    RQ's started registry; RQ's workers notice only every ten minutes. Its outbox message is
    dispatched again at once, its attempt already counted.

    :return: how many outbox messages were dispatched again.
    """
    connection = _redis()
    if connection is None:
        return 0
    abandoned: list[str] = []
    for name in current_app.config["RQ_QUEUES"]:
        registry = StartedJobRegistry(name, connection=connection)
        abandoned += registry.get_expired_job_ids(now)
        registry.cleanup(timestamp=now)
    return dispatch.redispatch_abandoned(abandoned)


def remind_expiring_payment_links() -> int:
    """Remind clients, once per link, that their payment link expires soon."""
    count = queue_payment_link_reminders()
    if count:
        log.info("%s payment-link reminder(s) queued", count)
    return count


def notify_expired_payment_links() -> int:
    """Tell the team, once per link, about payment links that expired unpaid."""
    count = queue_expired_link_notices()
    if count:
        log.info("%s expired payment-link notice(s) queued", count)
    return count


def forget_old_sign_ins(now: datetime | None = None) -> dict[str, int]:
    """Delete sessions over for ``SESSION_RETENTION_DAYS`` and reset links a day past expiry.

    :return: how many of each were deleted.
    """
    counts = {"sessions": forget_old_sessions(now), "reset_links": forget_dead_links(now)}
    if any(counts.values()):
        log.info("Old sign-ins forgotten: %s", counts)
    return counts


def forget_unused_previews() -> int:
    """Delete the previews of bytes no file holds any more, and their pictures."""
    count = forget_previews_of_no_file()
    if count:
        log.info("%s unused preview(s) deleted", count)
    return count


def sweep_storage() -> int:
    """Delete the stored blobs no row names, written more than a day ago; return how many."""
    removed = sweep(current_app.extensions["storage"], timedelta(days=1))
    if removed:
        log.info("%s blob(s) no row names deleted from the file store", len(removed))
    return len(removed)


def clean_job_records(now: datetime | None = None) -> dict[str, int]:
    """Delete old settled outbox messages and RQ's old records of finished and failed jobs.

    Outbox messages DONE more than ``OUTBOX_RETENTION_DAYS`` ago go; FAILED ones stay for the
    team. RQ's failed jobs that ended more than ``JOB_RECORD_RETENTION_DAYS`` ago go, and its
    registries drop the entries of jobs already expired. The email log is kept.

    :return: how many outbox messages and RQ jobs were deleted.
    """
    now = now or utcnow()
    config = current_app.config
    outbox_before = now - timedelta(days=config["OUTBOX_RETENTION_DAYS"])
    with db.engine.begin() as connection:
        outbox = connection.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.DONE.value,
                OutboxMessage.done_at < outbox_before,
            )
        ).rowcount
    jobs = _clean_rq(now - timedelta(days=config["JOB_RECORD_RETENTION_DAYS"]))
    if outbox or jobs:
        log.info("Deleted %s old outbox message(s) and %s old RQ job(s)", outbox, jobs)
    return {"outbox": outbox or 0, "jobs": jobs}


def _clean_rq(before: datetime) -> int:
    connection = _redis()
    if connection is None:
        return 0
    deleted = 0
    for name in current_app.config["RQ_QUEUES"]:
        queue = Queue(name, connection=connection)
        clean_registries(queue)
        failed = FailedJobRegistry(name, connection=connection)
        for job_id in failed.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                failed.remove(job_id)
                continue
            if job.ended_at is not None and job.ended_at < before:
                failed.remove(job, delete_job=True)
                deleted += 1
    return deleted


def _redis() -> Redis | None:
    dispatcher: dispatch.Dispatcher = current_app.extensions["dispatcher"]
    return dispatcher.connection if dispatcher.redis_url else None
