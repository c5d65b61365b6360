"""The team's records: organisations, for their screen and the users' form."""

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation


def organisations() -> list[Organisation]:
    """Return every organisation, by name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def organisation(organisation_id: int) -> Organisation | None:
    """Return one organisation, or None if there is no such one."""
    return db.session.get(Organisation, organisation_id)
