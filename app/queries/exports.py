"""What the CSV exports read: the journal of payments and refunds, the projects, past exports.

Rows are read as the file is written, a few thousand at a time (a server-side cursor on
PostgreSQL), so memory stays flat whatever the number of rows.
"""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, literal, null, select, union_all

from app.domain import policy
from app.domain.dates import BUSINESS_TIMEZONE, day_bounds
from app.domain.money import split_vat
from app.domain.policy import Viewer
from app.extensions import db
from app.models import (
    AccountingExport,
    Comment,
    CreditNote,
    Invoice,
    JournalExportLine,
    Organisation,
    Payment,
    Project,
    ProjectFile,
    Refund,
)
from app.tenancy import staff_read

# Rows fetched from the database at a time while the file is written.
BATCH_ROWS = 2000
# The status a refund's line of the journal shows.
REFUND_STATUS = "REFUND"


def journal_statement(first: date, last: date, export_id: int | None) -> Select:
    """Select the journal's lines: payments, then refunds (credit notes) as negative lines."""
    start, end = day_bounds(first, last, BUSINESS_TIMEZONE)
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
            # A refund's line is its credit note's, under the credit note's own number; a
            # refund recorded before credit notes existed shows the invoice it reduced.
            func.coalesce(CreditNote.number, Invoice.number).label("number"),
            Payment.project_reference,
            Payment.organisation_name,
            Payment.client_name,
            (-CreditNote.amount_excl_cents).label("excl"),
            (-CreditNote.vat_cents).label("vat"),
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
        .outerjoin(CreditNote, CreditNote.refund_id == Refund.id)
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


def journal_rows(statement: Select, default_rate: int) -> Iterator[Sequence[Any]]:
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


def projects_statement(viewer: Viewer) -> Select:
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


def project_rows(statement: Select) -> Iterator[Sequence[Any]]:
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
