"""The business day, and dates as SPEC §9 writes them: 25/11/2026 (French), 2026-11-25."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

# The team works in France: its day decides what is overdue, and its year numbers references.
BUSINESS_TIMEZONE = ZoneInfo("Europe/Paris")


def business_today(now: datetime | None = None) -> date:
    """Return the day it is in France, now or at the moment ``now``."""
    return (now or datetime.now(UTC)).astimezone(BUSINESS_TIMEZONE).date()


def day_pattern(language: str) -> str:
    """Return the ``strftime`` pattern of a day in ``language``."""
    return "%d/%m/%Y" if language == "fr" else "%Y-%m-%d"


def format_day(moment: date, language: str, zone: tzinfo) -> str:
    """Return a day as ``language`` writes it; a moment in time is first placed in ``zone``."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(zone).date()
    return moment.strftime(day_pattern(language))


def format_moment(moment: datetime, language: str, zone: tzinfo) -> str:
    """Return a moment in ``zone`` as ``language`` writes a day and a time: 25/11/2026 22:30."""
    return moment.astimezone(zone).strftime(f"{day_pattern(language)} %H:%M")


def day_bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return the UTC moments the days ``first`` to ``last`` of ``zone`` start and end at."""
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
