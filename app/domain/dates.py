"""Dates as SPEC §9 writes them: 25/11/2026 in French, 2026-11-25 in English."""

from datetime import date, datetime, tzinfo


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
