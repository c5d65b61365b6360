"""An invoice as the PDF people keep: the same content as its page."""

from flask import Response

from app.documents.pdf import render_pdf
from app.models import Invoice


def invoice_pdf(invoice: Invoice, language: str) -> bytes:
    """Return the invoice as a PDF in ``language``."""
    return render_pdf("documents/invoice.html", language, invoice=invoice)


def invoice_file_name(invoice: Invoice) -> str:
    """Return the name the invoice's PDF is saved under, such as ``F-2026-00012.pdf``."""
    return f"{invoice.number}.pdf"


def pdf_response(content: bytes, file_name: str) -> Response:
    """Send a document's PDF to save, kept out of every cache."""
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file_name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
