"""A credit note as the PDF people keep, drawn like an invoice."""

from app.documents.pdf import render_pdf
from app.models import CreditNote


def credit_note_pdf(credit_note: CreditNote, language: str) -> bytes:
    """Return the credit note as a PDF in ``language``."""
    return render_pdf("documents/credit_note.html", language, credit_note=credit_note)


def credit_note_file_name(credit_note: CreditNote) -> str:
    """Return the name the credit note's PDF is saved under, such as ``A-2026-00003.pdf``."""
    return f"{credit_note.number}.pdf"
