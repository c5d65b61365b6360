"""Sign-in sessions kept on the server, so that each one can be ended."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime, utcnow


class UserSession(Model):
    """One sign-in: a browser's cookie, or an API client's pair of tokens.

    The id travels in the signed session cookie or in the tokens' claims; a request is let in
    only while its session has not ended nor gone past its idle or absolute limit.
    """

    __tablename__ = "user_session"

    # A random key, not a counter: it is never guessed from another one.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    # The one refresh token of an API session that may still be used (its jti).
    refresh_jti: Mapped[str | None] = mapped_column(String(36), nullable=True)
