"""Invoices and credit notes as the team and organisations open them."""

from sqlalchemy import select

from app.domain.errors import N_, NotFound, PermissionDenied
from app.domain.policy import Viewer
from app.extensions import db
from app.models import CreditNote, Invoice
from app.services.common import load_project

INVOICE_NOT_FOUND = N_("Invoice not found.")
CREDIT_NOTE_NOT_FOUND = N_("Credit note not found.")


def latest_invoice(project_id: int) -> Invoice | None:
    """Return the invoice of the project's latest payment, its credit notes loaded with it."""
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.project_id == project_id)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    ).first()


def project_invoice(viewer: Viewer, project_id: int) -> Invoice:
    """Return the invoice of a project the viewer may see: the team's, or their organisation's.

    :raise NotFound: if the project does not exist, is another organisation's, or has no
        invoice.
    """
    load_project(db.session, viewer, project_id)
    invoice = latest_invoice(project_id)
    if invoice is None:
        raise NotFound(INVOICE_NOT_FOUND)
    return invoice


def project_credit_note(viewer: Viewer, project_id: int, credit_note_id: int) -> CreditNote:
    """Return one credit note of a project the viewer may see.

    :raise NotFound: if the project is not the viewer's to see, or the credit note not its.
    """
    load_project(db.session, viewer, project_id)
    note = db.session.scalars(
        select(CreditNote).where(
            CreditNote.id == credit_note_id, CreditNote.project_id == project_id
        )
    ).first()
    if note is None:
        raise NotFound(CREDIT_NOTE_NOT_FOUND)
    return note


def staff_credit_note(viewer: Viewer, credit_note_id: int) -> CreditNote:
    """Return any credit note, its project deleted or not, for the team.

    :raise PermissionDenied: for anyone but the team.
    :raise NotFound: if there is no such credit note.
    """
    if not viewer.is_staff:
        raise PermissionDenied(N_("Only the team can open credit notes here."))
    note = db.session.get(CreditNote, credit_note_id)
    if note is None:
        raise NotFound(CREDIT_NOTE_NOT_FOUND)
    return note
