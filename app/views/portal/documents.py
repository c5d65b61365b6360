"""A project's invoice and credit notes in the portal, for its own organisation only."""

from typing import Any

from flask import abort, render_template, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.documents.credit_note import credit_note_file_name, credit_note_pdf
from app.documents.invoice import invoice_file_name, invoice_pdf, pdf_response
from app.domain.errors import NotFound
from app.queries.documents import project_credit_note, project_invoice
from app.views.formatting import language as interface_language
from app.views.portal.common import portal_viewer


class ProjectDocumentPortalView(BaseView):
    """Open and download the invoice and credit notes of one of the organisation's projects.

    Another organisation's project, or a project without an invoice, answers 404.
    """

    route_base = "/portal/projects"
    base_permissions = ["can_download"]
    method_permission_name = {
        "invoice": "download",
        "invoice_pdf": "download",
        "credit_note": "download",
    }

    @expose("/<int:pk>/invoice")
    @has_access
    def invoice(self, pk: int) -> Any:
        """Show the project's invoice as a printable page."""
        try:
            found = project_invoice(portal_viewer(), pk)
        except NotFound:
            abort(404)
        return render_template(
            "public/invoice.html",
            invoice=found,
            lang=interface_language(),
            pdf_url=url_for("ProjectDocumentPortalView.invoice_pdf", pk=pk),
        )

    @expose("/<int:pk>/invoice.pdf")
    @has_access
    def invoice_pdf(self, pk: int) -> Any:
        """Send the project's invoice as a PDF, in the viewer's language."""
        try:
            found = project_invoice(portal_viewer(), pk)
        except NotFound:
            abort(404)
        return pdf_response(invoice_pdf(found, interface_language()), invoice_file_name(found))

    @expose("/<int:pk>/credit-notes/<int:credit_note_id>.pdf")
    @has_access
    def credit_note(self, pk: int, credit_note_id: int) -> Any:
        """Send one of the project's credit notes as a PDF, in the viewer's language."""
        try:
            found = project_credit_note(portal_viewer(), pk, credit_note_id)
        except NotFound:
            abort(404)
        return pdf_response(
            credit_note_pdf(found, interface_language()), credit_note_file_name(found)
        )
