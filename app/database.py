"""Engine-level settings that every backend must share, and how a request's transaction ends."""

import logging
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

log = logging.getLogger(__name__)

# Set on a session once its transaction has written (a flush, or any statement that is not a
# SELECT run through it), until the transaction ends.
WROTE = "cnc_wrote"


def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    # SQLite ignores ON DELETE rules unless asked, and deleting a project relies on them.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _note_flush(session: Session, flush_context: object) -> None:
    session.info[WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def end_request_transaction(error: BaseException | None = None) -> None:
    """End a request's transaction with COMMIT when it only read, and leave any other to roll back.

    A read-only transaction commits nothing, but psycopg drops all its prepared statements at
    every ROLLBACK: ending the request's reads with COMMIT lets the statements every page runs
    (its user, its list) be prepared once per connection instead of planned at each request. A
    request that failed, flushed a change it did not commit, or holds unflushed changes is not
    committed here; the session's removal rolls it back, as before. So is a request that ran an
    UPDATE, a DELETE or raw SQL through the session without committing.
    """
    from app.extensions import db

    session = db.session()
    if error is not None or not session.in_transaction():
        return
    if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        return
    try:
        session.commit()
    except SQLAlchemyError:
        # Nothing was written: a COMMIT that fails loses nothing, and the page is served.
        log.warning("could not end a read-only transaction with COMMIT", exc_info=True)
        session.rollback()


def install() -> None:
    """Register the engine and session hooks once per process."""
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    if not event.contains(Session, "after_flush", _note_flush):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_transaction_end", _forget_writes)
