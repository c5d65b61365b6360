"""Credit notes (avoirs): a refund corrects its invoice, which is never altered."""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import split_credit
from app.domain.reference import format_credit_note_number
from app.models import CreditNote, Invoice, Payment, Refund
from app.services.common import business_year, next_number
from app.services.settings import get_settings

log = logging.getLogger(__name__)


def issue_credit_note(session: Session, payment: Payment, refund: Refund) -> CreditNote | None:
    """Number and freeze the credit note of a refund just recorded: its own series, no gaps.

    It names the invoice it corrects and its buyer, splits the refund at the invoice's VAT
    rate, and prints the seller's details as they are today. A refund already credited, or
    a payment without an invoice, issues nothing.
    """
    invoice = session.scalars(select(Invoice).where(Invoice.payment_id == payment.id)).first()
    if invoice is None:
        log.error("No credit note for refund %s: payment %s has no invoice", refund.id, payment.id)
        return None
    session.flush()
    if session.scalars(select(CreditNote.id).where(CreditNote.refund_id == refund.id)).first():
        return None
    earlier = session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id)).all()
    credited = (
        sum(note.amount_excl_cents for note in earlier),
        sum(note.vat_cents for note in earlier),
        sum(note.amount_incl_cents for note in earlier),
    )
    excl, vat = split_credit(
        refund.amount_cents,
        invoice.vat_rate_basis_points,
        (invoice.amount_excl_cents, invoice.vat_cents, invoice.amount_incl_cents),
        credited,
    )
    settings = get_settings()
    issued_at = refund.created_at
    year = business_year(issued_at)
    sequence = next_number(session, "credit_note", year)
    note = CreditNote(
        organisation_id=invoice.organisation_id,
        number=format_credit_note_number(year, sequence),
        year=year,
        sequence=sequence,
        refund_id=refund.id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        invoice_issued_at=invoice.issued_at,
        project_id=invoice.project_id,
        project_reference=invoice.project_reference,
        project_title=invoice.project_title,
        organisation_name=invoice.organisation_name,
        client_name=invoice.client_name,
        client_email=invoice.client_email,
        client_address=invoice.client_address,
        seller_name=settings.company_name or invoice.seller_name,
        seller_address=settings.company_address or invoice.seller_address,
        seller_registration=settings.company_registration or None,
        seller_vat_number=settings.company_vat_number or None,
        vat_rate_basis_points=invoice.vat_rate_basis_points,
        amount_excl_cents=excl,
        vat_cents=vat,
        amount_incl_cents=refund.amount_cents,
        currency=invoice.currency,
        payment_method=payment.method,
        issued_at=issued_at,
    )
    session.add(note)
    session.flush()
    return note
