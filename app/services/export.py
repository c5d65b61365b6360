"""CSV exports for accounting: the payments and invoices journal, and project lists.

Each export is recorded (who, when, which filters) in its own transaction before the first byte
leaves; the rows are then read from the database as the file is sent, a few thousand at a time
(a server-side cursor on PostgreSQL), so memory stays flat whatever the number of rows.
"""

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, insert, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.csv_export import Column, CsvDialect, encode_csv
from app.domain.errors import N_, Conflict, Invalid, PermissionDenied
from app.domain.money import split_vat
from app.domain.policy import Viewer
from app.extensions import db
from app.models import (
    AccountingExport,
    Comment,
    ExportKind,
    Invoice,
    JournalExportLine,
    Organisation,
    Payment,
    Project,
    ProjectFile,
    Refund,
)
from app.models.base import utcnow
from app.services.common import BUSINESS_TIMEZONE, actor_name
from app.services.settings import get_settings
from app.tenancy import staff_read
from app.uow import transaction

# Rows fetched from the database at a time while the file is written.
BATCH_ROWS = 2000
# A year and a bit: an accountant's widest question, and a bound on one request's work.
MAX_PERIOD_DAYS = 400
REFUND_STATUS = "REFUND"

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
    *(Column.TEXT,) * 6,  # currency, method, the three Stripe ids, status
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
    *(Column.TEXT,) * 8,  # reference to priority
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
                _book_lines(session, export.id, *_utc_bounds(first, last))
            export_id = export.id
    except IntegrityError:
        raise Conflict(
            N_("Another export is booking these lines right now. Try again in a moment.")
        ) from None
    statement = _journal_statement(first, last, export_id if mark_exported else None)
    name = f"journal-{first.isoformat()}-{last.isoformat()}"
    if mark_exported:
        name += f"-lot-{export_id}"
    return CsvDownload(
        export_id,
        f"{name}.csv",
        encode_csv(
            dialect,
            [translate(h) for h in JOURNAL_HEADER],
            _journal_rows(statement, get_settings().vat_rate_basis_points),
            JOURNAL_COLUMNS,
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
    statement = _projects_statement(viewer)
    if narrow is not None:
        statement = narrow(statement)
    stamp = utcnow().astimezone(BUSINESS_TIMEZONE).strftime("%Y-%m-%d-%H%M")
    return CsvDownload(
        export_id,
        f"projets-{stamp}.csv",
        encode_csv(
            dialect,
            [translate(h) for h in PROJECT_HEADER],
            _project_rows(statement),
            PROJECT_COLUMNS,
        ),
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


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Return the UTC moments the French days ``first`` to ``last`` start and end at."""
    start = datetime.combine(first, time(0), tzinfo=BUSINESS_TIMEZONE).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=BUSINESS_TIMEZONE)
    return start, end.astimezone(UTC)


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


def _journal_statement(first: date, last: date, export_id: int | None) -> Select:
    """Select the journal's lines: payments, then refunds as negative lines, by date."""
    start, end = _utc_bounds(first, last)
    payments = (
        select(
            Payment.paid_at.label("moment"),
            literal(0).label("order"),
            Payment.id.label("line_id"),
            Invoice.number,
            Payment.project_reference,
            Payment.organisation_name,
            Payment.client_name,
            Invoice.amount_excl_cents.label("excl"),
            Invoice.vat_cents.label("vat"),
            Payment.amount_cents.label("incl"),
            Invoice.vat_rate_basis_points.label("rate"),
            Payment.currency,
            Payment.method,
            Payment.stripe_checkout_session_id,
            Payment.stripe_payment_intent_id,
            null().label("stripe_refund_id"),
            Payment.status,
        )
        .outerjoin(Invoice, Invoice.payment_id == Payment.id)
        .where(Payment.paid_at >= start, Payment.paid_at < end)
    )
    refunds = (
        select(
            Refund.created_at.label("moment"),
            literal(1).label("order"),
            Refund.id.label("line_id"),
            Invoice.number,
            Payment.project_reference,
            Payment.organisation_name,
            Payment.client_name,
            null().label("excl"),
            null().label("vat"),
            (-Refund.amount_cents).label("incl"),
            Invoice.vat_rate_basis_points.label("rate"),
            Payment.currency,
            Payment.method,
            Payment.stripe_checkout_session_id,
            Payment.stripe_payment_intent_id,
            Refund.stripe_refund_id,
            literal(REFUND_STATUS).label("status"),
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .outerjoin(Invoice, Invoice.payment_id == Payment.id)
        .where(Refund.created_at >= start, Refund.created_at < end)
    )
    if export_id is not None:
        payments = payments.where(
            exists().where(
                JournalExportLine.payment_id == Payment.id,
                JournalExportLine.export_id == export_id,
            )
        )
        refunds = refunds.where(
            exists().where(
                JournalExportLine.refund_id == Refund.id,
                JournalExportLine.export_id == export_id,
            )
        )
    lines = union_all(payments, refunds).subquery("journal")
    return select(lines).order_by(lines.c.moment, lines.c.order, lines.c.line_id)


def _journal_rows(statement: Select, default_rate: int) -> Iterator[Sequence[Any]]:
    """Yield the journal's lines as JOURNAL_COLUMNS says: amounts in cents, days in France.

    Read as plain rows, past the ORM (whose result handling took an eighth of the export's
    time): the journal is the team's alone, checked by :func:`journal_csv`.
    """
    result = staff_read(db.session, statement.execution_options(yield_per=BATCH_ROWS))
    for (
        moment,
        _order,
        _line_id,
        number,
        project_reference,
        organisation_name,
        client_name,
        excl,
        vat,
        incl,
        rate,
        currency,
        method,
        checkout_session,
        payment_intent,
        refund,
        status,
    ) in result.tuples():
        if excl is None or vat is None:
            # A refund splits at its invoice's rate; a payment always has its invoice.
            excl, vat = split_vat(incl, rate if rate is not None else default_rate)
        yield (
            moment.astimezone(BUSINESS_TIMEZONE).date(),
            number,
            project_reference,
            organisation_name,
            client_name,
            excl,
            vat,
            incl,
            currency,
            method,
            checkout_session,
            payment_intent,
            refund,
            status,
        )


def _projects_statement(viewer: Viewer) -> Select:
    file_count = (
        select(func.count(ProjectFile.id))
        .where(ProjectFile.project_id == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )
    comments = select(func.count(Comment.id)).where(Comment.project_id == Project.id)
    if not policy.can_see_internal_notes(viewer):
        comments = comments.where(Comment.is_internal.is_(False))
    statement = select(
        Project.reference,
        Project.title,
        Organisation.name,
        Project.client_name,
        Project.client_email,
        Project.client_phone,
        Project.status,
        Project.priority,
        Project.deadline,
        Project.estimated_price_cents,
        Project.final_price_cents,
        Project.currency,
        Project.created_at,
        Project.completed_at,
        Project.paid_at,
        file_count.label("file_count"),
        comments.correlate(Project).scalar_subquery().label("comment_count"),
    ).join(Organisation, Organisation.id == Project.organisation_id)
    if viewer.is_org_user:
        # The tenant scope already hides other organisations; the export says it again.
        statement = statement.where(Project.organisation_id == viewer.organisation_id)
    return statement


def _project_rows(statement: Select) -> Iterator[Sequence[Any]]:
    """Yield the projects as PROJECT_COLUMNS says: prices in cents."""
    result = db.session.execute(statement.execution_options(yield_per=BATCH_ROWS))
    for row in result:
        yield (
            row.reference,
            row.title,
            row.name,
            row.client_name,
            row.client_email,
            row.client_phone,
            row.status,
            row.priority,
            row.deadline,
            row.estimated_price_cents,
            row.final_price_cents,
            row.currency,
            row.created_at,
            row.completed_at,
            row.paid_at,
            row.file_count,
            row.comment_count,
        )


def recent_exports(limit: int = 50) -> list[AccountingExport]:
    """Return the latest exports, newest first (an organisation user's scope shows their own)."""
    statement = (
        select(AccountingExport)
        .order_by(AccountingExport.created_at.desc(), AccountingExport.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def booked_line_counts(export_ids: Sequence[int]) -> dict[int, int]:
    """Count the journal lines each batch booked, in one grouped query."""
    if not export_ids:
        return {}
    statement = (
        select(JournalExportLine.export_id, func.count(JournalExportLine.id))
        .where(JournalExportLine.export_id.in_(list(export_ids)))
        .group_by(JournalExportLine.export_id)
    )
    return {export_id: count for export_id, count in db.session.execute(statement)}
