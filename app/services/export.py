"""CSV exports for accounting: the payments and invoices journal, and project lists.

Each export is recorded (who, when, which filters) in its own transaction before the first byte
leaves; the rows are then read (``app.queries.exports``) as the file is sent, a few thousand at a
time, so memory stays flat whatever the number of rows.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import Select, exists, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.csv_export import (
    RULES,
    Column,
    CsvDialect,
    Localisation,
    encode_csv,
    file_name,
)
from app.domain.dates import BUSINESS_TIMEZONE, day_bounds
from app.domain.errors import N_, Conflict, Invalid, PermissionDenied
from app.domain.policy import Viewer
from app.models import (
    AccountingExport,
    ExportKind,
    JournalExportLine,
    Payment,
    Refund,
)
from app.models.base import utcnow
from app.queries.exports import (
    journal_rows,
    journal_statement,
    project_rows,
    projects_statement,
)
from app.services.common import actor_name
from app.services.settings import get_settings
from app.uow import transaction

# A year and a bit: an accountant's widest question, and a bound on one request's work.
MAX_PERIOD_DAYS = 400

JOURNAL_HEADER = (
    N_("Date"),
    N_("Invoice number"),
    N_("Project reference"),
    N_("Organisation"),
    N_("Client"),
    N_("Amount excl. VAT"),
    N_("VAT"),
    N_("Amount incl. VAT"),
    N_("Currency"),
    N_("Method"),
    N_("Stripe Checkout Session"),
    N_("Stripe PaymentIntent"),
    N_("Stripe refund"),
    N_("Status"),
)
JOURNAL_COLUMNS = (
    Column.DATE,
    *(Column.TEXT,) * 4,  # invoice, project, organisation, client
    *(Column.MONEY,) * 3,  # excl. VAT, VAT, incl. VAT
    Column.TEXT,  # currency
    Column.PAYMENT_METHOD,
    *(Column.TEXT,) * 3,  # the three Stripe ids
    Column.JOURNAL_STATUS,
)

PROJECT_HEADER = (
    N_("Reference"),
    N_("Title"),
    N_("Organisation"),
    N_("Client"),
    N_("Client email"),
    N_("Client phone"),
    N_("Status"),
    N_("Priority"),
    N_("Deadline"),
    N_("Estimated price"),
    N_("Final price"),
    N_("Currency"),
    N_("Created"),
    N_("Completed"),
    N_("Paid"),
    N_("Files"),
    N_("Comments"),
)
PROJECT_COLUMNS = (
    *(Column.TEXT,) * 6,  # reference to client phone
    Column.PROJECT_STATUS,
    Column.PRIORITY,
    Column.DATE,
    *(Column.MONEY,) * 2,  # estimated and final prices
    Column.TEXT,
    *(Column.DATETIME,) * 3,  # created, completed, paid
    *(Column.INTEGER,) * 2,  # files, comments
)

Narrow = Callable[[Select], Select]


@dataclass(frozen=True)
class CsvDownload:
    """A recorded export, ready to stream: its file name and its bytes, read lazily."""

    export_id: int
    filename: str
    chunks: Iterator[bytes]


def parse_period(start: str | None, end: str | None) -> tuple[date, date]:
    """Read a journal's date range, both days included.

    :raise Invalid: for a missing or malformed date, an end before the start, or a range
        longer than MAX_PERIOD_DAYS.
    """
    try:
        first = date.fromisoformat((start or "").strip())
        last = date.fromisoformat((end or "").strip())
    except ValueError:
        raise Invalid(
            N_("Give the period as two dates, such as 2026-01-01 and 2026-12-31.")
        ) from None
    if last < first:
        raise Invalid(N_("The end of the period cannot come before its start."))
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise Invalid(N_("A period cannot be longer than %(days)s days."), days=MAX_PERIOD_DAYS)
    return first, last


def journal_csv(
    viewer: Viewer,
    first: date,
    last: date,
    dialect: CsvDialect,
    *,
    mark_exported: bool = False,
    translate: Callable[[str], str] = str,
) -> CsvDownload:
    """Record a journal export of payments and refunds between two days (in France), both included.

    With ``mark_exported``, only the lines no earlier batch booked are exported, and this export
    books them, so running it again never hands the accountant the same line twice.

    :raise PermissionDenied: for anyone but the team.
    :raise Conflict: when another batch is booking the same lines at the same moment.
    """
    if not policy.can_export_journal(viewer):
        raise PermissionDenied(N_("Only the team can export the payments journal."))
    filters = {"start": first.isoformat(), "end": last.isoformat()}
    try:
        with transaction() as session:
            export = _record(session, viewer, ExportKind.JOURNAL, dialect, filters, mark_exported)
            if mark_exported:
                _book_lines(session, export.id, *day_bounds(first, last, BUSINESS_TIMEZONE))
            export_id = export.id
    except IntegrityError:
        raise Conflict(
            N_("Another export is booking these lines right now. Try again in a moment.")
        ) from None
    statement = journal_statement(first, last, export_id if mark_exported else None)
    name = f"journal-{first.isoformat()}-{last.isoformat()}"
    if mark_exported:
        name += f"-lot-{export_id}"
    localisation = _localisation(dialect, translate)
    return CsvDownload(
        export_id,
        file_name(name, dialect),
        encode_csv(
            dialect,
            [localisation.translate(h) for h in JOURNAL_HEADER],
            journal_rows(statement, get_settings().vat_rate_basis_points),
            JOURNAL_COLUMNS,
            localisation,
        ),
    )


def projects_csv(
    viewer: Viewer,
    dialect: CsvDialect,
    filters: Mapping[str, Any],
    narrow: Narrow | None = None,
    *,
    translate: Callable[[str], str] = str,
) -> CsvDownload:
    """Record an export of the projects the viewer may see, narrowed as their list is.

    :param filters: the list's filters as the person set them, recorded with the export.
    :param narrow: adds the list's criteria and order to the statement.
    :raise PermissionDenied: for an account without an organisation or a role of ours.
    """
    if not policy.can_export_projects(viewer):
        raise PermissionDenied(N_("You cannot export projects."))
    with transaction() as session:
        export = _record(session, viewer, ExportKind.PROJECTS, dialect, dict(filters), False)
        export_id = export.id
    statement = projects_statement(viewer)
    if narrow is not None:
        statement = narrow(statement)
    stamp = utcnow().astimezone(BUSINESS_TIMEZONE).strftime("%Y-%m-%d-%H%M")
    localisation = _localisation(dialect, translate)
    return CsvDownload(
        export_id,
        file_name(f"projets-{stamp}", dialect),
        encode_csv(
            dialect,
            [localisation.translate(h) for h in PROJECT_HEADER],
            project_rows(statement),
            PROJECT_COLUMNS,
            localisation,
        ),
    )


def _localisation(dialect: CsvDialect, translate: Callable[[str], str]) -> Localisation:
    """Return how the file is written: a dialect with a language speaks it, whoever asks.

    Standard CSV keeps the header in the asker's language (``translate``), as it always has.
    """
    language = RULES[dialect].language
    if language is None:
        return Localisation(translate=translate)

    def in_language(message: str) -> str:
        with force_locale(language):
            return gettext(message)

    return Localisation(
        translate=in_language, zone=ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    )


def _record(
    session: Session,
    viewer: Viewer,
    kind: ExportKind,
    dialect: CsvDialect,
    filters: Mapping[str, Any],
    marks_lines: bool,
) -> AccountingExport:
    export = AccountingExport(
        organisation_id=viewer.organisation_id if viewer.is_org_user else None,
        kind=kind.value,
        dialect=dialect.value,
        filters=json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str),
        marks_lines=marks_lines,
        created_by_id=viewer.user_id,
        created_by_name=actor_name(session, viewer),
        created_at=utcnow(),
    )
    session.add(export)
    session.flush()
    return export


def _book_lines(session: Session, export_id: int, start: datetime, end: datetime) -> None:
    """Book every payment and refund of the period that no batch booked yet, in two statements."""
    unbooked_payments = select(literal(export_id), Payment.id).where(
        Payment.paid_at >= start,
        Payment.paid_at < end,
        ~exists().where(JournalExportLine.payment_id == Payment.id),
    )
    session.execute(
        insert(JournalExportLine).from_select(["export_id", "payment_id"], unbooked_payments)
    )
    unbooked_refunds = select(literal(export_id), Refund.id).where(
        Refund.created_at >= start,
        Refund.created_at < end,
        ~exists().where(JournalExportLine.refund_id == Refund.id),
    )
    session.execute(
        insert(JournalExportLine).from_select(["export_id", "refund_id"], unbooked_refunds)
    )
