"""What the queues page shows: RQ's queues and workers, and the outbox's failed messages."""

from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from sqlalchemy import func, select

from app.extensions import db
from app.models.outbox import OutboxMessage, OutboxStatus

FAILED_SHOWN = 100


@dataclass(frozen=True)
class QueueFigures:
    name: str
    waiting: int
    started: int
    scheduled: int  # failed jobs waiting for their next retry
    failed: int


@dataclass(frozen=True)
class WorkerState:
    name: str
    state: str
    queues: list[str]
    last_heartbeat: datetime | None
    current_job: str | None


def queue_figures(connection: Redis, names: tuple[str, ...]) -> list[QueueFigures]:
    """Count each queue's jobs: waiting, running, waiting for a retry, failed for good."""
    from rq import Queue

    figures = []
    for name in names:
        queue = Queue(name, connection=connection)
        figures.append(
            QueueFigures(
                name=name,
                waiting=queue.count,
                started=queue.started_job_registry.count,
                scheduled=queue.scheduled_job_registry.count,
                failed=queue.failed_job_registry.count,
            )
        )
    return figures


def worker_states(connection: Redis) -> list[WorkerState]:
    """Describe every worker RQ knows of, by name: what it does and when it last said so."""
    from rq import Worker

    states = [
        WorkerState(
            name=worker.name,
            state=str(worker.get_state()),
            queues=worker.queue_names(),
            last_heartbeat=worker.last_heartbeat,
            current_job=worker.get_current_job_id(),
        )
        for worker in Worker.all(connection=connection)
    ]
    return sorted(states, key=lambda state: state.name)


def outbox_counts() -> dict[str, int]:
    """Count the outbox's messages by status, those done left out."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status != OutboxStatus.DONE.value)
        .group_by(OutboxMessage.status)
    ).all()
    counts = {status.value: 0 for status in OutboxStatus if status is not OutboxStatus.DONE}
    counts.update({status: count for status, count in rows})
    return counts


def failed_messages(limit: int = FAILED_SHOWN) -> list[OutboxMessage]:
    """Return the messages given up on, the latest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED.value)
            .order_by(OutboxMessage.created_at.desc())
            .limit(limit)
        )
    )
