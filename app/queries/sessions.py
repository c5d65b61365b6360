"""A user's open sign-in sessions, as their account page lists them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.sessions import SessionLimits, describe_device
from app.extensions import db
from app.models.session import UserSession


@dataclass(frozen=True)
class OpenSession:
    """One open session: what signed in, from where, and when it was last used."""

    id: str
    kind: str
    browser: str | None
    system: str | None
    address: str
    created_at: datetime
    last_seen_at: datetime


def open_sessions(user_id: int, now: datetime, limits: SessionLimits) -> list[OpenSession]:
    """List a user's sessions still open at ``now``, the most recently used first."""
    statement = (
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
            UserSession.created_at > now - limits.lifetime,
            UserSession.last_seen_at > now - limits.idle,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
    )
    found = []
    for row in db.session.scalars(statement):
        browser, system = describe_device(row.user_agent)
        found.append(
            OpenSession(
                id=row.id,
                kind=row.kind,
                browser=browser,
                system=system,
                address=row.address,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
            )
        )
    return found
