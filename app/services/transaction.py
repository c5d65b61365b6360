"""One transaction per use case: commit, then side effects; on failure, roll back and undo."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.outbox import take_pending

BLOBS_ADDED_KEY = "blobs_added"
BLOBS_REMOVED_KEY = "blobs_removed"


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a use case in one transaction owned by the service.

    On commit, outbox messages are dispatched and removed files are deleted from storage. On any
    error, the transaction rolls back, nothing is dispatched, and files written meanwhile are
    deleted, so a refusal leaves the database and the storage as they were.
    """
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        take_pending(session)
        session.info.pop(BLOBS_REMOVED_KEY, None)
        _delete_blobs(session.info.pop(BLOBS_ADDED_KEY, []))
        raise
    session.info.pop(BLOBS_ADDED_KEY, None)
    _delete_blobs(session.info.pop(BLOBS_REMOVED_KEY, []))
    from app.jobs.dispatch import dispatch_new

    dispatch_new(take_pending(session))


def blob_added(session: Session, key: str) -> None:
    """Remember a blob written in this transaction, to delete it if the transaction fails."""
    session.info.setdefault(BLOBS_ADDED_KEY, []).append(key)


def blob_removed(session: Session, key: str) -> None:
    """Delete a blob once this transaction commits."""
    session.info.setdefault(BLOBS_REMOVED_KEY, []).append(key)


def _delete_blobs(keys: list[str]) -> None:
    storage = current_app.extensions["storage"]
    for key in keys:
        storage.delete(key)
