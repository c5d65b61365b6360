"""The RQ workers of CNC Pulse: the application is built once per worker, never once per job.

RQ's default worker forks a work horse for each job, and a horse that builds the application
itself spends about a second on it, for a job that sends its emails in milliseconds. Both
classes here build the application when the worker starts (after RQ has set up its log
handlers, which the application's logging keeps), compile the email templates and load the
translations; then:

- :class:`AppWorker` (``rq worker -w app.jobs.worker.AppWorker``, the documented command) runs
  each job in the worker process itself, in an app context of its own. A job cannot leave
  state to the next: each gets a fresh database session, no tenant scope, no ``g``.
- :class:`ForkingAppWorker` forks a work horse per job, as RQ's default worker does, so a job
  that crashes the interpreter or leaks memory takes only its horse down; the horse inherits
  the built application from the fork. Before the job runs it drops what it must not share
  with its parent: the database connections (emptied without being closed, as they are still
  the parent's) and the application's Redis client. SMTP connections are opened per job.

Both wait for Redis when it goes away (restarted, failed over, its machine rebooted) and work on
once it is back, where RQ's worker would quit: see :class:`_OutlivesRedis`.

docs/jobs.md compares them: forking costs tens of milliseconds per job (the horse's copy-on-write
pages, a new database connection, cold statement caches), several times the job itself.
"""

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import worker_registration
from rq.job import Job
from rq.queue import Queue
from rq.worker import BaseWorker, SimpleWorker, Worker, WorkerStatus

from app.jobs.runner import forget_inherited_connections, worker_app

_REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)
_T = TypeVar("_T")


class _OutlivesRedis(BaseWorker):
    """Wait for Redis to come back, with growing pauses, instead of quitting when it goes away.

    RQ's work loop quits on any error it does not expect, and a lost Redis connection raised
    anywhere but while waiting for a job is one: the worker would stay dead. Each step of the
    loop that talks to Redis is wrapped here: when Redis is unreachable the worker waits
    (``reconnect_first_wait`` seconds, doubling up to ``reconnect_max_wait``), pings until
    Redis answers, registers itself again (a restarted Redis has forgotten it) and goes on.
    A job whose ending could not be recorded in RQ is not run again by the worker: its outbox
    message says what became of it, and the outbox sweep sends again what Redis lost.
    """

    reconnect_first_wait = 0.5
    reconnect_max_wait = 5.0
    # RQ's own wait while dequeueing, which grows to a minute by default.
    max_connection_wait_time = reconnect_max_wait

    def check_for_suspension(self, burst: bool) -> None:
        self._through_outage(lambda: super(_OutlivesRedis, self).check_for_suspension(burst))

    def run_maintenance_tasks(self) -> None:
        self._through_outage(super().run_maintenance_tasks)

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        parent = super().dequeue_job_and_maintain_ttl
        return self._through_outage(lambda: parent(timeout, max_idle_time))

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:
            # Queued on a pipeline: nothing reaches Redis here.
            super().heartbeat(timeout, pipeline)
            return
        parent = super().heartbeat
        self._through_outage(lambda: parent(timeout))

    def _through_outage(self, step: Callable[[], _T]) -> _T:
        """Run ``step``; while Redis is unreachable, wait for it and run the step again."""
        while True:
            try:
                return step()
            except _REDIS_AWAY as error:
                self._wait_for_redis(error)

    def _after_job_outage(self, job: Job, error: Exception) -> None:
        self.log.warning(
            "Worker %s: Redis went away while job %s ended; its outbox message keeps its outcome",
            self.name,
            job.id,
        )
        self._wait_for_redis(error)

    def _wait_for_redis(self, error: Exception) -> None:
        wait = self.reconnect_first_wait
        started = time.monotonic()
        while True:
            self.log.warning(
                "Worker %s: Redis unreachable (%s); trying again in %.1f s", self.name, error, wait
            )
            time.sleep(wait)
            wait = min(wait * 2, self.reconnect_max_wait)
            try:
                self.connection.ping()
                self._register_again()
            except _REDIS_AWAY as again:
                error = again
                continue
            self.log.warning(
                "Worker %s: Redis is back after %.0f s; working on",
                self.name,
                time.monotonic() - started,
            )
            return

    def _register_again(self) -> None:
        """Write the worker's record again, as at its birth, over what may be left of it."""
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()


class _BuildsAppOnce(_OutlivesRedis):
    """Build and warm the application when the worker starts, before any job."""

    app: Flask | None = None

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        # RQ sets up its log handlers here; the application keeps them (see create_app).
        super().bootstrap(*args, **kwargs)
        self.app = worker_app(warm=True)
        self.log.info("Worker %s: application built for every job", self.name)


class AppWorker(_BuildsAppOnce, SimpleWorker):
    """Run every job in the worker process, with the application built once at start.

    While a job runs, a thread sends the worker's heartbeats every ``job_monitoring_interval``
    (30 s), as the parent of a forking worker does while its horse works, and each heartbeat
    lasts that interval and a minute. So a worker that dies in the middle of a job is seen dead
    a minute and a half later whatever the job's timeout, and the sweep hands its job back to
    RQ (RQ's plain ``SimpleWorker`` sets one heartbeat for the job's whole timeout and a minute).
    """

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            self._execute_job(job, queue)
        except _REDIS_AWAY as error:
            self._after_job_outage(job, error)

    def _execute_job(self, job: Job, queue: Queue) -> None:
        # SimpleWorker's steps, with the heartbeats around the job itself.
        self.prepare_execution(job)
        done = threading.Event()
        beating = threading.Thread(
            target=self._beat, args=(job, done), name="heartbeats", daemon=True
        )
        beating.start()
        try:
            self.perform_job(job, queue)
        finally:
            done.set()
            beating.join()
            self.set_current_job_working_time(0)
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job: Job) -> int:
        # The forking worker's rule: until the next heartbeat, and a minute.
        return Worker.get_heartbeat_ttl(self, job)

    def _beat(self, job: Job, done: threading.Event) -> None:
        started = time.monotonic()
        while not done.wait(self.job_monitoring_interval):
            try:
                self.set_current_job_working_time(time.monotonic() - started)
                self.maintain_heartbeats(job)
            except Exception:  # noqa: BLE001 - Redis away for a moment; the next beat retries
                self.log.exception("Worker %s: heartbeat for job %s failed", self.name, job.id)


class ForkingAppWorker(_BuildsAppOnce, Worker):
    """Fork a work horse per job from the application built once at start."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        except _REDIS_AWAY as error:
            self._after_job_outage(job, error)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        forget_inherited_connections()
        super().main_work_horse(job, queue)
