"""Hand committed outbox messages to RQ, or run them inline when there is no Redis."""

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import false, or_, select

from app.extensions import db
from app.jobs.runner import run_outbox_message
from app.models.base import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus
from app.services.outbox import claim_for_dispatch, mark_enqueued
from app.uow import register_dispatcher

log = logging.getLogger(__name__)

# An ENQUEUED message not DONE after this long is checked: if RQ no longer holds a live job
# for it (Redis lost it, or its worker died), it goes back on its queue. The check is one
# round trip to Redis for every such message.
STALE_ENQUEUED = timedelta(minutes=2)
_ACTIVE_JOB_STATUSES = frozenset(
    {
        JobStatus.CREATED,
        JobStatus.QUEUED,
        JobStatus.STARTED,
        JobStatus.DEFERRED,
        JobStatus.SCHEDULED,
    }
)


@dataclass
class Dispatcher:
    """Hold the Redis connection of one application; None as URL means run jobs inline."""

    redis_url: str | None
    # Without Redis, the queues whose jobs run on a thread of their own instead of in the
    # request that queued them: a long file reading must not hold up an upload's answer.
    background_queues: frozenset[str] = frozenset()
    _connection: Redis | None = field(default=None, repr=False)
    _background: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def connection(self) -> Redis:
        """Return the Redis client, made on first use; short timeouts keep requests snappy."""
        if self._connection is None:
            self._connection = Redis.from_url(
                self.redis_url, socket_connect_timeout=2, socket_timeout=5
            )
        return self._connection

    def forget_connection(self) -> None:
        """Drop the client without closing its sockets: a forked process must not share them."""
        self._connection = None

    def run_in_background(self, app: Flask, message_id: str) -> None:
        """Run one message on this process's background thread, one message at a time."""
        if self._background is None:
            self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inline-jobs")
        self._background.submit(_run_in_app, app, message_id)

    def wait_for_background(self) -> None:
        """Wait until the messages handed to the background thread have run."""
        background, self._background = self._background, None
        if background is not None:
            background.shutdown(wait=True)


def init_dispatcher(app: Flask) -> None:
    """Attach the dispatcher to ``app``; no connection is opened until a message is sent.

    Its transactions hand what they commit to :func:`dispatch_new`.
    """
    app.extensions["dispatcher"] = Dispatcher(
        app.config.get("REDIS_URL"), frozenset(app.config.get("INLINE_BACKGROUND_QUEUES", ()))
    )
    register_dispatcher(app, dispatch_new)


def dispatch(message_ids: Iterable[str]) -> None:
    """Send committed outbox messages on their way; never raise to the caller.

    With Redis, each message becomes an RQ job (id = message id) and is marked ENQUEUED;
    if Redis does not answer the messages stay PENDING for :func:`sweep_outbox`. Without
    Redis, each runs right away; one that fails stays PENDING (or FAILED) for the sweep.
    """
    _dispatch_safely(list(message_ids), None)


def dispatch_new(messages: Mapping[str, str]) -> None:
    """Send on their way the messages a transaction just committed (id → queue).

    They are new, so RQ cannot hold a job of theirs yet: neither their queues nor a live job
    need looking up, which keeps a request that queues work at one write to Redis per message.
    """
    _dispatch_safely(list(messages), dict(messages))


def _dispatch_safely(ids: list[str], queues: dict[str, str] | None) -> None:
    try:
        _dispatch(ids, queues)
    except Exception:
        # The caller's change is committed and must be reported as done; the sweep catches up.
        log.exception("Dispatching outbox messages failed; left for the sweep")


def _dispatch(ids: list[str], queues: dict[str, str] | None = None) -> int:
    """Dispatch ``ids``; return how many were handed to RQ or run inline.

    :param queues: each message's queue when the messages were just committed; else they
        are read, and RQ is asked whether it still holds a live job for each.
    """
    if not ids:
        return 0
    dispatcher: Dispatcher = current_app.extensions["dispatcher"]
    if not dispatcher.redis_url:
        if queues is None and dispatcher.background_queues:
            queues = _queues_of(ids)
        for message_id in ids:
            if queues and queues.get(message_id) in dispatcher.background_queues:
                dispatcher.run_in_background(current_app._get_current_object(), message_id)
            else:
                _run_inline(message_id)
        return len(ids)
    fresh = queues is not None
    if queues is None:
        queues = _queues_of(ids)
    enqueued: list[str] = []
    try:
        for message_id in ids:
            if message_id in queues and _enqueue(
                dispatcher.connection, queues[message_id], message_id, fresh=fresh
            ):
                enqueued.append(message_id)
    except RedisError as error:
        log.warning("Redis unreachable, outbox messages left for the sweep: %s", error)
    mark_enqueued(enqueued)
    return len(enqueued)


def _queues_of(ids: list[str]) -> dict[str, str]:
    """Return each message's queue, read on a connection of its own.

    The caller's session stays as the commit left it.
    """
    with db.engine.connect() as connection:
        return dict(
            connection.execute(
                select(OutboxMessage.id, OutboxMessage.queue).where(OutboxMessage.id.in_(ids))
            ).all()
        )


def _enqueue(connection: Redis, queue_name: str, message_id: str, *, fresh: bool) -> bool:
    """Put one message on its queue; return False when RQ already holds a live job for it.

    :param fresh: the message was just committed, so RQ has no job of that id yet.
    """
    try:
        job = None if fresh else Job.fetch(message_id, connection=connection)
    except NoSuchJobError:
        job = None
    if job is not None:
        if job.get_status(refresh=False) in _ACTIVE_JOB_STATUSES:
            return False
        # A finished or failed job keeps its id for a while; make room for the new attempt.
        _delete_job(connection, job)
    try:
        # No RQ retry: a failed message records when it is due again, and the sweep sends it.
        Queue(queue_name, connection=connection).enqueue_call(
            run_outbox_message,
            args=(message_id,),
            job_id=message_id,
            description=f"outbox {message_id}",
            unique=True,
        )
    except DuplicateJobError:
        if fresh:
            # A failed message sent again (the team's retry) finds its old job still kept.
            return _enqueue(connection, queue_name, message_id, fresh=False)
        # Another process enqueued it between the check and now.
        return False
    return True


def _delete_job(connection: Redis, job: Job) -> None:
    """Delete a finished, failed or abandoned job, and its keys, whatever its worker left behind.

    A worker killed mid-job leaves the job's execution listed while the execution's own hash
    expires; RQ then refuses to delete the job (``ValueError``) after having taken it off its
    registries, so its keys are removed here directly.
    """
    try:
        job.delete()
    except ValueError:
        connection.delete(
            job.key, job.dependents_key, job.dependencies_key, job.execution_registry.key
        )


def _run_inline(message_id: str) -> None:
    """Run one message now, in its own app context; log a failure instead of raising it."""
    try:
        run_outbox_message(message_id)
    except Exception:
        # The user's change is committed; the message waits for the sweep or the team.
        log.exception("Outbox message %s failed inline; left for the sweep", message_id)


def _run_in_app(app: Flask, message_id: str) -> None:
    with app.app_context():
        _run_inline(message_id)


def sweep_outbox(older_than_seconds: int = 60, now: datetime | None = None) -> int:
    """Dispatch again what is due and no worker holds; return how many messages were sent on.

    Picks PENDING messages whose retry time has passed, or never tried and older than
    ``older_than_seconds`` (Redis was down, or an inline run failed), and ENQUEUED ones not
    DONE after :data:`STALE_ENQUEUED` whose RQ job is gone or over (Redis lost it, or its
    worker died). A message whose RQ job is still queued, running or scheduled is left to it.
    Each is claimed by a conditional UPDATE first, so two sweeps at once dispatch it once.
    """
    now = now or utcnow()
    due = (OutboxMessage.status == OutboxStatus.PENDING.value) & or_(
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.next_attempt_at.is_(None)
        & (OutboxMessage.created_at <= now - timedelta(seconds=older_than_seconds)),
    )
    stale = (OutboxMessage.status == OutboxStatus.ENQUEUED.value) & (
        OutboxMessage.enqueued_at <= now - STALE_ENQUEUED
    )
    dispatcher: Dispatcher = current_app.extensions["dispatcher"]
    if not dispatcher.redis_url:
        # Inline, nothing is ENQUEUED: a message runs in the process that dispatched it.
        stale = false()
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.enqueued_at)
            .where(or_(due, stale))
            .order_by(OutboxMessage.created_at)
        ).all()
    if not rows:
        return 0
    if not dispatcher.redis_url:
        return _dispatch([row.id for row in rows])
    return redispatch([tuple(row) for row in rows])


def redispatch(seen: list[tuple[str, str, datetime | None]]) -> int:
    """Hand RQ again the messages it holds no live job for; return how many were handed.

    :param seen: each message's id, status and ``enqueued_at`` as read; a message changed
        since (another sweep took it, a worker finished it) is left alone.
    """
    dispatcher: Dispatcher = current_app.extensions["dispatcher"]
    try:
        held = _held_by_rq(dispatcher.connection, [message_id for message_id, _, _ in seen])
    except RedisError as error:
        log.warning("Redis unreachable, outbox sweep skipped: %s", error)
        return 0
    claimed = claim_for_dispatch([row for row in seen if row[0] not in held])
    return _dispatch(claimed)


def _held_by_rq(connection: Redis, ids: list[str]) -> set[str]:
    """Return the ids whose RQ job is still queued, running, deferred or scheduled.

    One round trip: the status field of each job's hash, absent when Redis lost the job.
    """
    with connection.pipeline(transaction=False) as pipeline:
        for message_id in ids:
            pipeline.hget(Job.key_for(message_id), "status")
        statuses = pipeline.execute()
    return {
        message_id
        for message_id, status in zip(ids, statuses, strict=True)
        if status is not None and JobStatus(status.decode()) in _ACTIVE_JOB_STATUSES
    }


def redispatch_abandoned(job_ids: list[str]) -> int:
    """Hand RQ again the ENQUEUED messages whose jobs RQ just declared abandoned."""
    if not job_ids:
        return 0
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.enqueued_at).where(
                OutboxMessage.id.in_(job_ids),
                OutboxMessage.status == OutboxStatus.ENQUEUED.value,
            )
        ).all()
    return redispatch([tuple(row) for row in rows]) if rows else 0
