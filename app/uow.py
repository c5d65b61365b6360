"""The unit of work: one transaction per use case, the work it queues and the files it touches.

Services and jobs both stand on it. It imports no job: after commit it hands the messages it
queued to the dispatcher the application registered (``register_dispatcher``).
"""

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.domain.errors import StorageUnavailable
from app.extensions import db
from app.models.outbox import OutboxMessage
from app.request_id import current_request_id

log = logging.getLogger(__name__)

# What the dispatcher receives: the committed messages' ids, each with its queue.
Dispatch = Callable[[Mapping[str, str]], None]

_DISPATCHER_KEY = "uow.dispatch"
_PENDING_KEY = "outbox_pending"
_BLOBS_ADDED_KEY = "blobs_added"
_BLOBS_REMOVED_KEY = "blobs_removed"


def register_dispatcher(app: Flask, dispatch: Dispatch) -> None:
    """Make ``dispatch`` receive the outbox messages each of ``app``'s transactions commits."""
    app.extensions[_DISPATCHER_KEY] = dispatch


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a use case in one transaction owned by the service.

    On commit, the outbox messages queued are dispatched and removed files are deleted from
    storage. On any error, the transaction rolls back, nothing is dispatched, and files written
    meanwhile are deleted, so a refusal leaves the database and the storage as they were.
    """
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _take_pending(session)
        session.info.pop(_BLOBS_REMOVED_KEY, None)
        _delete_blobs(session.info.pop(_BLOBS_ADDED_KEY, []))
        raise
    session.info.pop(_BLOBS_ADDED_KEY, None)
    _delete_blobs(session.info.pop(_BLOBS_REMOVED_KEY, []))
    pending = _take_pending(session)
    if pending:
        current_app.extensions[_DISPATCHER_KEY](pending)


def queue_job(
    session: Session,
    job: str,
    payload: dict[str, Any],
    *,
    queue: str = "default",
    project_id: int | None = None,
) -> str:
    """Add an outbox row for ``job``; it is dispatched only if the transaction commits.

    The message keeps the current request's id (or the id of the job queuing it).

    :param payload: ids and plain values, never ORM objects.
    :return: the message's id.
    """
    message = OutboxMessage(
        id=uuid4().hex,
        job=job,
        payload=json.dumps(payload, sort_keys=True),
        queue=queue,
        project_id=project_id,
        request_id=current_request_id(),
    )
    session.add(message)
    send_after_commit(session, message.id, queue)
    return message.id


def send_after_commit(session: Session, message_id: str, queue: str) -> None:
    """Hand the outbox message ``message_id`` to the dispatcher once this transaction commits."""
    session.info.setdefault(_PENDING_KEY, {})[message_id] = queue


def blob_added(session: Session, key: str) -> None:
    """Remember a blob written in this transaction, to delete it if the transaction fails."""
    session.info.setdefault(_BLOBS_ADDED_KEY, []).append(key)


def blob_removed(session: Session, key: str) -> None:
    """Delete a blob once this transaction commits."""
    session.info.setdefault(_BLOBS_REMOVED_KEY, []).append(key)


def _take_pending(session: Session) -> dict[str, str]:
    """Return and forget the messages queued in this session since the last call: id → queue."""
    return session.info.pop(_PENDING_KEY, {})


def _delete_blobs(keys: list[str]) -> None:
    """Delete blobs no row needs any more; a store that refuses leaves them to the sweep.

    The change they follow is already committed, or already rolled back: failing now would
    only hide it. A blob left behind is unreachable (no row names it) and
    ``flask cnc storage-sweep`` deletes it once the store accepts again.
    """
    storage = current_app.extensions["storage"]
    for key in keys:
        try:
            storage.delete(key)
        except StorageUnavailable:
            log.warning("Blob %s stays in the store until the next sweep", key)
