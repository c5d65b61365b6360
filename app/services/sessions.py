"""Sign-in sessions: start them, check them on each request, end them, rotate refresh tokens.

Every signed-in request names its session (the cookie's, or the token's ``sid`` claim), and is
let in only while that session is open: not ended, used within the idle limit, younger than
the absolute lifetime. Ending a session is final; the user signs in again.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from app.domain.sessions import SessionEnd, SessionKind, SessionLimits, limit_reached
from app.extensions import db
from app.models.base import utcnow
from app.models.session import UserSession
from app.uow import transaction

# Where a browser's signed session cookie keeps the id of its session.
SESSION_KEY = "cnc_session"
MAX_USER_AGENT = 255
MAX_ADDRESS = 45


def now() -> datetime:
    """Return the time the session rules go by (UTC)."""
    return utcnow()


def session_limits() -> SessionLimits:
    """Return the idle limit and the absolute lifetime the settings give sessions."""
    config = current_app.config
    return SessionLimits(
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        lifetime=timedelta(hours=config["SESSION_LIFETIME_HOURS"]),
    )


def start_session(
    user_id: int,
    kind: SessionKind,
    *,
    user_agent: str = "",
    address: str = "",
    refresh_jti: str | None = None,
) -> str:
    """Open a session for a user who just signed in; return its id."""
    started = now()
    session_id = secrets.token_hex(16)
    with transaction() as session:
        session.add(
            UserSession(
                id=session_id,
                user_id=user_id,
                kind=SessionKind(kind).value,
                created_at=started,
                last_seen_at=started,
                user_agent=(user_agent or "")[:MAX_USER_AGENT],
                address=(address or "")[:MAX_ADDRESS],
                refresh_jti=refresh_jti,
            )
        )
    return session_id


def check_session(session_id: str | None, user_id: int) -> bool:
    """Tell whether ``session_id`` is an open session of ``user_id``, and note it was used.

    A session found past a limit is ended here. Its use is written at most once per
    ``SESSION_TOUCH_SECONDS``, so most requests only read.
    """
    if not session_id:
        return False
    row = db.session.execute(
        select(
            UserSession.user_id,
            UserSession.created_at,
            UserSession.last_seen_at,
            UserSession.ended_at,
        ).where(UserSession.id == session_id)
    ).one_or_none()
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return False
    moment = now()
    reason = limit_reached(row.created_at, row.last_seen_at, moment, session_limits())
    if reason is not None:
        _end(UserSession.id == session_id, reason, moment)
        return False
    touch_every = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    if moment - row.last_seen_at >= touch_every:
        with transaction() as session:
            session.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                .values(last_seen_at=moment)
            )
    return True


def end_session(session_id: str | None, reason: SessionEnd = SessionEnd.LOGOUT) -> None:
    """End one session; its cookie or tokens are refused from now on."""
    if session_id:
        _end(UserSession.id == session_id, reason, now())


def end_other_sessions(
    user_id: int, keep: str | None = None, reason: SessionEnd = SessionEnd.ENDED_BY_USER
) -> int:
    """End every open session of a user but ``keep``; return how many were ended."""
    with transaction() as session:
        return end_sessions_of(session, user_id, keep=keep, reason=reason)


def end_sessions_of(
    session: Session, user_id: int, *, keep: str | None = None, reason: SessionEnd
) -> int:
    """End a user's open sessions but ``keep`` in the caller's transaction; return how many."""
    condition = UserSession.user_id == user_id
    if keep:
        condition = condition & (UserSession.id != keep)
    return _ending(session, condition, reason, now())


def forget_old_sessions(moment: datetime | None = None) -> int:
    """Delete the sessions unused for more than ``SESSION_RETENTION_DAYS``; return how many.

    Ended or not, such a session is over: the idle limit ended it long before.
    """
    before = (moment or now()) - timedelta(days=current_app.config["SESSION_RETENTION_DAYS"])
    with transaction() as session:
        return session.execute(
            delete(UserSession).where(UserSession.last_seen_at < before)
        ).rowcount


def rotate_refresh_token(session_id: str, used_jti: str, new_jti: str) -> bool:
    """Swap an API session's refresh token for a new one; False when ``used_jti`` is spent.

    A refresh token works once. One presented again was copied, or its holder lost the race
    to a copy: the whole session ends, the newer tokens with it.
    """
    with transaction() as session:
        swapped = session.execute(
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.ended_at.is_(None),
                UserSession.refresh_jti == used_jti,
            )
            .values(refresh_jti=new_jti, last_seen_at=now())
        ).rowcount
    if swapped:
        return True
    end_session(session_id, SessionEnd.REFRESH_REUSED)
    return False


def _end(condition: ColumnElement[bool], reason: SessionEnd, moment: datetime) -> int:
    with transaction() as session:
        return _ending(session, condition, reason, moment)


def _ending(
    session: Session, condition: ColumnElement[bool], reason: SessionEnd, moment: datetime
) -> int:
    return session.execute(
        update(UserSession)
        .where(condition, UserSession.ended_at.is_(None))
        .values(ended_at=moment, end_reason=SessionEnd(reason).value, refresh_jti=None)
    ).rowcount
