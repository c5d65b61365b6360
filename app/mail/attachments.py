"""Documents attached to emails: kept in the log as a reference, rendered at each sending.

The log keeps no copy of a document: a retry or a resend renders it again from what is
stored, in the email's language, so every copy carries it.
"""

from dataclasses import dataclass

from app.extensions import db
from app.models import Invoice

INVOICE = "invoice"


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email: its name, its type and its bytes."""

    file_name: str
    content_type: str
    data: bytes


class AttachmentMissingError(LookupError):
    """The document an email should carry cannot be found."""


def invoice_attachment(invoice_id: int) -> str:
    """Return the reference of an invoice's PDF, as the email log keeps it."""
    return f"{INVOICE}:{invoice_id}"


def render_attachment(reference: str, language: str) -> Attachment:
    """Render the document ``reference`` names, in ``language``.

    :raise AttachmentMissingError: for a reference to nothing this application keeps.
    """
    invoice = _invoice(reference)
    from app.documents.invoice import invoice_file_name, invoice_pdf

    return Attachment(invoice_file_name(invoice), "application/pdf", invoice_pdf(invoice, language))


def attachment_name(reference: str | None) -> str | None:
    """Return the file name an attachment goes out under, for the email log; None if none."""
    if not reference:
        return None
    try:
        invoice = _invoice(reference)
    except AttachmentMissingError:
        return reference
    from app.documents.invoice import invoice_file_name

    return invoice_file_name(invoice)


def _invoice(reference: str) -> Invoice:
    kind, _, key = reference.partition(":")
    invoice = db.session.get(Invoice, int(key)) if kind == INVOICE and key.isdigit() else None
    if invoice is None:
        raise AttachmentMissingError(f"the document {reference} to attach no longer exists")
    return invoice
