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

docs/jobs.md compares them: forking costs tens of milliseconds per job (the horse's copy-on-write
pages, a new database connection, cold statement caches), several times the job itself.
"""

import threading
import time
from typing import Any

from flask import Flask
from rq.job import Job
from rq.queue import Queue
from rq.worker import BaseWorker, SimpleWorker, Worker, WorkerStatus

from app.jobs.runner import forget_inherited_connections, worker_app


class _BuildsAppOnce(BaseWorker):
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

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        forget_inherited_connections()
        super().main_work_horse(job, queue)
