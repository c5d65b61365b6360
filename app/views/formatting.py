"""Jinja filters that show domain values as the viewer reads them: labels, money, dates, sizes."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_compact_currency
from flask import Flask, current_app
from flask_babel import format_date, get_locale, gettext
from markupsafe import Markup

from app.domain.dates import format_day, format_moment
from app.domain.errors import N_
from app.domain.file_kinds import label_of
from app.domain.money import format_amount
from app.domain.payment import PaymentMethod
from app.domain.workflow import Priority, ProjectStatus
from app.mail.attachments import attachment_name
from app.models import EventKind
from app.services.email_log import Delivery, DeliveryState
from app.views.preview_formatting import register_preview_formatting

EMPTY = "—"

EVENT_LABELS = {
    EventKind.CREATED.value: N_("Project created"),
    EventKind.STATUS.value: N_("Status changed"),
    EventKind.EDITED.value: N_("Details edited"),
    EventKind.PRIORITY.value: N_("Priority changed"),
    EventKind.PRICES.value: N_("Prices changed"),
    EventKind.FILE_ADDED.value: N_("File added"),
    EventKind.FILE_REMOVED.value: N_("File removed"),
    EventKind.PAYMENT_LINK.value: N_("Payment link"),
    EventKind.PAYMENT.value: N_("Payment recorded"),
}

# Sharper titles where the details tell more than the kind.
_DETAILED_EVENT_LABELS = {
    (EventKind.FILE_ADDED.value, "DELIVERABLE"): N_("Deliverable added"),
    (EventKind.FILE_REMOVED.value, "DELIVERABLE"): N_("Deliverable removed"),
    (EventKind.PAYMENT_LINK.value, "issued"): N_("Payment link issued"),
    (EventKind.PAYMENT_LINK.value, "reminded"): N_("Payment reminder sent"),
    (EventKind.PAYMENT_LINK.value, "resent"): N_("Payment link sent again"),
    (EventKind.PAYMENT_LINK.value, "download_link"): N_("Download link issued"),
    (EventKind.PAYMENT.value, "refunded"): N_("Refund recorded"),
    (EventKind.PAYMENT.value, "disputed"): N_("Payment disputed by the client"),
    (EventKind.PAYMENT.value, "dispute_closed"): N_("Payment dispute closed"),
}

# The project fields an edit can change, as the history names them.
FIELD_LABELS = {
    "client_name": N_("Client"),
    "client_email": N_("Email"),
    "client_phone": N_("Phone"),
    "client_address": N_("Postal address"),
    "client_language": N_("Client's language"),
    "title": N_("Title"),
    "description": N_("Description"),
    "deadline": N_("Deadline"),
    "services": N_("Services"),
    "service_ids": N_("Services"),
    "estimated_price_cents": N_("Estimated price"),
    "final_price_cents": N_("Final price (incl. VAT)"),
}

_SIZE_UNITS = (N_("bytes"), N_("KB"), N_("MB"), N_("GB"))


def language() -> str:
    """Return the viewer's interface language: ``fr`` or ``en``."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


def status_label(value: str | None) -> str:
    """Return the translated label of a project status, or the raw value if unknown."""
    try:
        return gettext(ProjectStatus(value).label)
    except ValueError:
        return value or EMPTY


def priority_label(value: str | None) -> str:
    """Return the translated label of a priority, or the raw value if unknown."""
    try:
        return gettext(Priority(value).label)
    except ValueError:
        return value or EMPTY


def status_badge(value: str | None) -> Markup:
    """Return a coloured badge naming a project status."""
    css = (value or "unknown").lower().replace("_", "-")
    return Markup('<span class="cnc-badge cnc-status-{}">{}</span>').format(
        css, status_label(value)
    )


def priority_badge(value: str | None) -> Markup:
    """Return a coloured badge naming a priority."""
    css = (value or "unknown").lower()
    return Markup('<span class="cnc-badge cnc-priority-{}">{}</span>').format(
        css, priority_label(value)
    )


@dataclass(frozen=True)
class ViewerFormat:
    """How the viewer writes amounts, dates and times, read once for a page that writes many."""

    language: str
    zone: ZoneInfo

    def amount(self, cents: int | None, currency: str | None = "EUR") -> str:
        """Return an amount in the viewer's conventions, or a dash when it is not set."""
        if cents is None:
            return EMPTY
        return format_amount(cents, currency or "EUR", self.language)

    def moment(self, moment: datetime | None) -> str:
        """Return a UTC moment in the display time zone, as the viewer writes it."""
        if moment is None:
            return EMPTY
        return format_moment(moment, self.language, self.zone)

    def day(self, day: date | None) -> str:
        """Return a calendar date as the viewer writes it."""
        if day is None:
            return EMPTY
        if isinstance(day, datetime):
            return self.moment(day)
        return format_day(day, self.language, self.zone)


def viewer_format() -> ViewerFormat:
    """Return the current viewer's conventions: their language, the display time zone."""
    return ViewerFormat(language(), ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def money(cents: int | None, currency: str = "EUR") -> str:
    """Return an amount in the viewer's conventions, or a dash when it is not set."""
    return viewer_format().amount(cents, currency)


def local_datetime(moment: datetime | None) -> str:
    """Return a UTC moment in the display time zone, as the viewer writes dates and times."""
    return viewer_format().moment(moment)


def local_date(day: date | None) -> str:
    """Return a calendar date as the viewer writes it."""
    return viewer_format().day(day)


def file_size(size_bytes: int | None) -> str:
    """Return a file size with a unit the viewer reads at a glance (1 KB = 1024 bytes)."""
    if size_bytes is None:
        return EMPTY
    value, unit = float(size_bytes), 0
    while value >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    number = f"{int(value)}" if unit == 0 else f"{value:.1f}"
    if language() == "fr":
        number = number.replace(".", ",")
    return f"{number}\u00a0{gettext(_SIZE_UNITS[unit])}"


def file_kind(name: str) -> str:
    """Return what a file is, in words the viewer understands (``G-code``, ``Modèle STEP``)."""
    return gettext(label_of(name))


def event_label(kind: str, details: Mapping[str, Any] | None = None) -> str:
    """Return the translated title of a history entry."""
    details = details or {}
    detail = details.get("kind") or details.get("action")
    label = _DETAILED_EVENT_LABELS.get((kind, detail)) or EVENT_LABELS.get(kind)
    return gettext(label) if label else kind


def field_label(name: str) -> str:
    """Return the translated name of a project field, as the history shows it."""
    label = FIELD_LABELS.get(name)
    return gettext(label) if label else name


def month_label(day: date, pattern: str = "MMM yyyy") -> str:
    """Return a month as a chart names it, in the viewer's language (``nov. 2026``)."""
    return format_date(day, pattern)


def compact_money(cents: int | None, currency: str = "EUR") -> str:
    """Return an amount short enough for a chart's bar (``1,2 k€``), or a dash when not set."""
    if cents is None:
        return EMPTY
    return format_compact_currency(
        cents / 100, currency or "EUR", locale=language(), fraction_digits=1
    )


_EMAIL_STATUSES = {
    "PENDING": ("pending", N_("Waiting")),
    "SENT": ("paid", N_("Sent")),
    "FAILED": ("rejected", N_("Failed")),
}


def payment_method_label(value: str) -> str:
    """Return how a payment was made, translated."""
    try:
        return gettext(PaymentMethod(value).label)
    except ValueError:
        return value


def email_status_badge(value: str) -> Markup:
    """Return a coloured badge naming an email's delivery state."""
    css, label = _EMAIL_STATUSES.get(value, ("unknown", value))
    return Markup('<span class="cnc-badge cnc-status-{}">{}</span>').format(css, gettext(label))


_DELIVERIES = {
    Delivery.SENT: ("paid", N_("Sent")),
    Delivery.COPY_QUEUED: ("paid", N_("Sent; a copy is on its way")),
    Delivery.QUEUED: ("pending", N_("Waiting")),
    Delivery.RETRYING: ("awaiting-payment", N_("Waiting for its next try (at %(time)s)")),
    Delivery.FAILED: ("rejected", N_("Failed for good")),
}


def email_delivery_badge(state: DeliveryState) -> Markup:
    """Return a coloured badge saying where an email stands: sent, waiting, or failed for good."""
    css, label = _DELIVERIES[state.delivery]
    text = gettext(label, time=local_datetime(state.next_attempt_at))
    return Markup('<span class="cnc-badge cnc-status-{}" data-delivery="{}">{}</span>').format(
        css, state.delivery.value, text
    )


def register_formatting(app: Flask) -> None:
    """Make the filters available to every template."""
    filters = {
        "status_label": status_label,
        "priority_label": priority_label,
        "status_badge": status_badge,
        "priority_badge": priority_badge,
        "money": money,
        "local_datetime": local_datetime,
        "local_date": local_date,
        "file_size": file_size,
        "file_kind": file_kind,
        "event_label": event_label,
        "field_label": field_label,
        "month_label": month_label,
        "compact_money": compact_money,
        "payment_method_label": payment_method_label,
        "email_status_badge": email_status_badge,
        "email_delivery_badge": email_delivery_badge,
        "attachment_name": attachment_name,
    }
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals["interface_language"] = language
    register_preview_formatting(app)
