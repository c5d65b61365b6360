"""When a sign-in session ends on its own, and how its device is described to its owner."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SessionKind(StrEnum):
    """Name what carries a session: a browser's cookie or an API client's tokens."""

    WEB = "web"
    API = "api"


class SessionEnd(StrEnum):
    """Name why a session ended."""

    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret
    ENDED_BY_USER = "ended_by_user"
    REFRESH_REUSED = "refresh_reused"


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may sit unused, and how long it may last at all."""

    idle: timedelta
    lifetime: timedelta


def limit_reached(
    created_at: datetime, last_seen_at: datetime, now: datetime, limits: SessionLimits
) -> SessionEnd | None:
    """Return why a session still open is over at ``now``, or None while it may go on."""
    if now - created_at >= limits.lifetime:
        return SessionEnd.EXPIRED
    if now - last_seen_at >= limits.idle:
        return SessionEnd.IDLE
    return None


# The first pattern found names the browser: Edge and Opera also say Chrome, Chrome says Safari.
_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def describe_device(user_agent: str) -> tuple[str | None, str | None]:
    """Return the browser and the system a User-Agent names, each None when not recognised."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    return browser, system
