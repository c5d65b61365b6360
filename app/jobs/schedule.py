"""The periodic jobs and how often they run: one list, started by `flask cnc scheduler`."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq.cron import CronScheduler

from app.jobs import housekeeping
from app.jobs import stripe as stripe_jobs
from app.jobs.runner import job_context

HOUSEKEEPING_QUEUE = "housekeeping"


@dataclass(frozen=True)
class PeriodicJob:
    """Say what runs, how often (in seconds), and on which queue.

    ``func`` takes no argument and runs inside an app context. It must be safe to run twice at
    once: two schedulers may run, and a slow run may overlap the next one. RQ stops a run that
    lasts longer than ``interval`` seconds (a minute at least).
    """

    name: str
    interval: int
    func: Callable[[], Any]
    queue: str = HOUSEKEEPING_QUEUE


MINUTE = 60

# Add an entry here to run another job periodically.
SCHEDULE: tuple[PeriodicJob, ...] = (
    PeriodicJob("sweep-outbox", MINUTE, housekeeping.recover_lost_jobs),
    PeriodicJob(
        "remind-expiring-payment-links", 15 * MINUTE, housekeeping.remind_expiring_payment_links
    ),
    PeriodicJob(
        "notify-expired-payment-links", 15 * MINUTE, housekeeping.notify_expired_payment_links
    ),
    PeriodicJob("clean-job-records", 60 * MINUTE, housekeeping.clean_job_records),
    PeriodicJob("forget-old-sign-ins", 60 * MINUTE, housekeeping.forget_old_sign_ins),
    PeriodicJob("forget-unused-previews", 24 * 60 * MINUTE, housekeeping.forget_unused_previews),
    # Bytes a store refused to delete (read-only, down) go once it accepts again.
    PeriodicJob("sweep-storage", 24 * 60 * MINUTE, housekeeping.sweep_storage),
    # A card payment whose webhook never arrived still ends in PAID.
    PeriodicJob(
        "reconcile-payments", 15 * MINUTE, stripe_jobs.settle_unreported_payments, "stripe"
    ),
)

# An RQ record of a periodic run is of no use once the next run has happened.
_RESULT_TTL = 60 * MINUTE
_FAILURE_TTL = 7 * 24 * 60 * MINUTE


def periodic_job(name: str) -> PeriodicJob:
    """Return the entry of the schedule called ``name``.

    :raise LookupError: if the schedule has no such entry.
    """
    for entry in SCHEDULE:
        if entry.name == name:
            return entry
    raise LookupError(f"no periodic job is called {name!r}")


def run_periodic(name: str) -> Any:
    """Run one periodic job now, in the application's context; what RQ workers call."""
    entry = periodic_job(name)
    with job_context():
        return entry.func()


def build_scheduler(connection: Redis) -> CronScheduler:
    """Return RQ's cron scheduler with every entry of :data:`SCHEDULE` registered.

    Each entry runs once at start, then every ``interval`` seconds, as an RQ job calling
    :func:`run_periodic` on the entry's queue.
    """
    scheduler = CronScheduler(connection=connection, logging_level=logging.INFO)
    for entry in SCHEDULE:
        scheduler.register(
            run_periodic,
            entry.queue,
            args=(entry.name,),
            interval=entry.interval,
            name=entry.name,
            # A run that outlives its interval would only overlap the next one.
            job_timeout=max(entry.interval, MINUTE),
            result_ttl=_RESULT_TTL,
            failure_ttl=_FAILURE_TTL,
        )
    return scheduler
