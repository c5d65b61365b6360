"""Render an email from its templates, in its recipient's language."""

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from app.domain.dates import format_day, format_moment
from app.domain.money import format_amount, format_vat_rate
from app.domain.workflow import ProjectStatus
from app.services.settings import contact

_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class RenderedEmail:
    """Hold what one email says: its subject, its plain text and its HTML."""

    subject: str
    text: str
    html: str


def render_email(event: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``email/<event>.txt`` (with its ``subject`` block) and ``.html`` in ``language``."""
    zone = display_zone()
    with force_locale(language):
        values = {
            **context,
            "language": language,
            # Whom to contact, in every email's footer; replies go there too (Reply-To).
            "contact": contact(),
            "amount": lambda cents, currency="EUR": format_amount(cents, currency, language),
            "day": lambda moment: format_day(moment, language, zone),
            "moment": lambda moment: format_moment(moment, language, zone),
            "vat_rate": lambda points: format_vat_rate(points, decimal_comma=language == "fr"),
            "status_label": lambda status: gettext(ProjectStatus(status).label),
        }
        name = f"email/{event}"
        template = current_app.jinja_env.get_template(f"{name}.txt")
        subject = "".join(template.blocks["subject"](template.new_context(values)))
        subject = _SPACES.sub(" ", subject).strip()
        text = render_template(f"{name}.txt", **values)
        html = render_template(f"{name}.html", subject=subject, **values)
    text = _BLANK_LINES.sub("\n\n", text).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def display_zone() -> ZoneInfo:
    """Return the time zone dates are shown in (the DISPLAY_TIMEZONE setting)."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
