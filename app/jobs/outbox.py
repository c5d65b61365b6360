"""Write work to do into the outbox, inside the caller's transaction."""

import json
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from app.models.outbox import OutboxMessage

PENDING_KEY = "outbox_pending"


def queue_job(
    session: Session,
    job: str,
    payload: dict[str, Any],
    *,
    queue: str = "default",
    project_id: int | None = None,
) -> str:
    """Add an outbox row for ``job``; it is dispatched only if the transaction commits.

    :param payload: ids and plain values, never ORM objects.
    """
    message = OutboxMessage(
        id=uuid4().hex,
        job=job,
        payload=json.dumps(payload, sort_keys=True),
        queue=queue,
        project_id=project_id,
    )
    session.add(message)
    session.info.setdefault(PENDING_KEY, {})[message.id] = queue
    return message.id


def take_pending(session: Session) -> dict[str, str]:
    """Return and forget the messages queued in this session since the last call: id → queue."""
    return session.info.pop(PENDING_KEY, {})
