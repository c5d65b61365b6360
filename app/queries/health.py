"""Whether the database answers, for the health probe."""

from sqlalchemy import text

from app.extensions import db


def database_state() -> str:
    """Return "ok" if the database answers a trivial query, else the kind of error it raised."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means the probe must say so
        # The failed statement left the session's transaction unusable for the next one.
        db.session.rollback()
        return f"error: {type(error).__name__}"
