"""Whether this instance can serve, and whether the work behind it keeps up: ``/ready``.

Three checks decide whether the instance is ready: the database, Redis (when configured) and
the storage. Any of them failing makes it "unavailable" (503). Two more only say that work is
late: emails failing, and the queue backed up (messages waiting, or no worker alive). They make
it "degraded", still 200: the instance itself serves, and taking every instance out of a load
balancer for a mail outage would turn a late email into a site that is down.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

from app.models.base import utcnow
from app.queries.health import database_state, failing_emails, outbox_backlog
from app.services.storage import probe

OK, FAILING, DEGRADED, SKIPPED = "ok", "failing", "degraded", "skipped"
EMAIL_WINDOW = timedelta(minutes=15)
READINESS_PROBE_BYTES = 64
# RQ renews a worker's heartbeat at least every 420 s (its TTL less 15 s) while it waits.
WORKER_HEARTBEAT_SECONDS = 420 + 60


@dataclass
class Readiness:
    """Each check's state and figures; ``status`` sums them up."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, state: str, **figures: Any) -> None:
        self.checks[name] = {"status": state, **figures}

    def names(self, state: str) -> list[str]:
        return [name for name, check in self.checks.items() if check["status"] == state]

    @property
    def status(self) -> str:
        if self.names(FAILING):
            return "unavailable"
        return "degraded" if self.names(DEGRADED) else OK

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "failing": self.names(FAILING),
            "degraded": self.names(DEGRADED),
            "checks": self.checks,
        }


def check_readiness() -> Readiness:
    """Run every check; those that depend on a failing one are skipped."""
    report = Readiness()
    config = current_app.config
    database = database_state()
    if database == "ok":
        report.add("database", OK)
    else:
        report.add("database", FAILING, reason=f"the database does not answer ({database[7:]})")
    connection = _redis_check(report, config.get("REDIS_URL"))
    try:
        _storage_check(report)
        if database != "ok":
            report.add("emails", SKIPPED, reason="the database does not answer")
            report.add("queue", SKIPPED, reason="the database does not answer")
            return report
        _emails_check(report, config["READY_EMAIL_FAILURES"])
        delay = timedelta(minutes=config["READY_QUEUE_DELAY_MINUTES"])
        _queue_check(report, connection, delay)
    finally:
        if connection is not None:
            connection.close()
    return report


def _redis_check(report: Readiness, url: str | None) -> Redis | None:
    """Ping Redis; return the connection when it answers."""
    if not url:
        report.add("redis", OK, configured=False)
        return None
    connection = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        connection.ping()
    except RedisError as error:
        connection.close()
        report.add("redis", FAILING, reason=f"Redis does not answer ({type(error).__name__})")
        return None
    report.add("redis", OK, configured=True)
    return connection


def _storage_check(report: Readiness) -> None:
    # A small probe: load balancers ask often, and an object store may bill each request.
    found = probe(current_app.extensions["storage"], size=READINESS_PROBE_BYTES)
    if found.ok:
        report.add("storage", OK)
    else:
        report.add("storage", FAILING, reason="the storage cannot be written and read back")


def _emails_check(report: Readiness, threshold: int) -> None:
    failing = failing_emails(EMAIL_WINDOW)
    figures = {"failing_last_15_minutes": failing, "threshold": threshold}
    if failing >= threshold:
        report.add(
            "emails", DEGRADED, reason=f"{failing} emails failed in the last 15 minutes", **figures
        )
    else:
        report.add("emails", OK, **figures)


def _queue_check(report: Readiness, connection: Redis | None, delay: timedelta) -> None:
    backlog = outbox_backlog(delay)
    minutes = int(delay.total_seconds() // 60)
    figures: dict[str, Any] = {"waiting_over_delay": backlog.waiting, "delay_minutes": minutes}
    if backlog.oldest is not None:
        figures["oldest_waiting_minutes"] = int((utcnow() - backlog.oldest).total_seconds() // 60)
    reasons = []
    if backlog.waiting:
        reasons.append(f"{backlog.waiting} messages have waited more than {minutes} minutes")
    if connection is not None:
        live = _live_workers(connection)
        figures["live_workers"] = live
        if not live:
            reasons.append("no worker has sent a heartbeat lately")
    if reasons:
        report.add("queue", DEGRADED, reason="; ".join(reasons), **figures)
    else:
        report.add("queue", OK, **figures)


def _live_workers(connection: Redis) -> int:
    """Count the RQ workers whose last heartbeat is recent enough."""
    from rq import Worker

    now = utcnow()
    try:
        workers = Worker.all(connection=connection)
    except RedisError:
        return 0
    return sum(
        1
        for worker in workers
        if worker.last_heartbeat is not None
        and (now - worker.last_heartbeat).total_seconds() <= WORKER_HEARTBEAT_SECONDS
    )
