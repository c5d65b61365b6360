"""The team's records: email log (with resend), payments, invoices, credit notes."""

from collections.abc import Iterator
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext
from werkzeug.wrappers import Response

from app.documents.credit_note import credit_note_file_name, credit_note_pdf
from app.documents.invoice import pdf_response
from app.domain.errors import DomainError, NotFound
from app.models import CreditNote, EmailMessage, Invoice, Payment
from app.queries.documents import staff_credit_note
from app.queries.email_log import email_to_read, framed_html
from app.queries.project_search import MAX_PAGE_SIZE
from app.security import current_viewer
from app.services.email_log import Delivery, delivery_states
from app.services.notification import resend_email
from app.views.errors import flash_error
from app.views.formatting import language as interface_language


class RowInterface(SQLAInterface):
    """Hand the list template whole rows, so one cell can combine columns (amount, currency)."""

    def get_values(self, lst: list[Any], list_columns: list[str]) -> Iterator[dict[str, Any]]:
        for row in lst:
            yield {"row": row}


def list_widget(template: str) -> type[ListWidget]:
    """Make a FAB list widget drawing its rows with ``template``."""
    return type(f"{template.rsplit('/', 1)[-1]}Widget", (ListWidget,), {"template": template})


class RecordAdminView(ModelView):
    """A read-only list, searchable on a few columns, paged by at most MAX_PAGE_SIZE rows.

    A subclass names its ``model``, the ``row_template`` drawing its rows and its listed
    ``columns`` with their labels; the list is derived from them.
    """

    include_route_methods = {"list"}
    base_permissions = ["can_list"]
    page_size = 50
    list_template = "admin/record_list.html"
    model: type[Any] | None = None
    row_template = ""
    # The columns shown, in order, with their labels; searched-only columns add theirs here.
    columns: dict[str, Any] = {}
    other_labels: dict[str, Any] = {}
    interface: type[RowInterface] = RowInterface

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.model is not None:
            cls.datamodel = cls.interface(cls.model)
            cls.list_widget = list_widget(cls.row_template)
            cls.list_columns = list(cls.columns)
            cls.label_columns = {**cls.columns, **cls.other_labels}

    # Payments and invoices link to the accounting journal, their CSV export.
    journal_export = False

    def render_template(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            kwargs["journal_export"] = self.journal_export
        return super().render_template(template, **kwargs)

    def _list(self, **kwargs: Any) -> dict[str, Any]:
        name = self.__class__.__name__
        try:
            size = int(request.args.get(f"psize_{name}", self.page_size))
            page = int(request.args.get(f"page_{name}", 0))
        except ValueError:
            abort(400, description="Page and page size must be whole numbers.")
        if page < 0 or not 1 <= size <= MAX_PAGE_SIZE:
            abort(400, description=f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
        return super()._list(**kwargs)


class EmailRowInterface(RowInterface):
    """Hand the email list each row with where it stands, read for the whole page at once."""

    def get_values(self, lst: list[Any], list_columns: list[str]) -> Iterator[dict[str, Any]]:
        states = delivery_states(lst)
        for row in lst:
            yield {"row": row, "state": states[row.id]}


class EmailMessageAdminView(RecordAdminView):
    """Every email the application wrote, sent or failed, with a way to send it again."""

    model = EmailMessage
    row_template = "admin/widgets/email_list.html"
    interface = EmailRowInterface
    route_base = "/admin/emails"
    include_route_methods = {"list", "read", "resend"}
    base_permissions = ["can_list", "can_read", "can_resend"]
    list_title = lazy_gettext("Email log")
    columns = {
        "created_at": lazy_gettext("Written"),
        "status": lazy_gettext("Status"),
        "recipient": lazy_gettext("Recipient"),
        "subject": lazy_gettext("Subject"),
        "last_error": lazy_gettext("Error"),
    }
    other_labels = {"kind": lazy_gettext("Kind")}
    order_columns = ["created_at", "status", "recipient"]
    search_columns = ["recipient", "subject", "status", "kind"]
    base_order = ("created_at", "desc")

    @expose("/<int:pk>")
    @has_access
    def read(self, pk: int) -> Any:
        """Show one email: its text and its HTML, and the copy the development mailbox got."""
        reading = email_to_read(pk)
        if reading is None:
            abort(404)
        return self.render_template(
            "admin/email_show.html",
            reading=reading,
            email=reading.email,
            state=delivery_states([reading.email])[reading.email.id],
            framed_html=framed_html,
            mailbox_dir=current_app.config.get("MAIL_MAILBOX_DIR"),
        )

    @expose("/<int:pk>/resend", methods=["POST"])
    @has_access
    def resend(self, pk: int) -> Response:
        """Queue one email to be sent again, and go back to the log."""
        try:
            resend_email(pk, seen=_delivery(request.form.get("seen")))
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("The email will be sent again."), "success")
        return redirect(url_for("EmailMessageAdminView.list"))


def _delivery(value: str | None) -> Delivery | None:
    """Read where the team saw the email stand, from the form; None if the form does not say."""
    try:
        return Delivery(value) if value else None
    except ValueError:
        return None


class PaymentAdminView(RecordAdminView):
    """Every payment received, by card or by hand, kept even when its project is deleted."""

    model = Payment
    row_template = "admin/widgets/payment_list.html"
    route_base = "/admin/payments"
    list_title = lazy_gettext("Payments")
    journal_export = True
    columns = {
        "paid_at": lazy_gettext("Paid"),
        "project_reference": lazy_gettext("Reference"),
        "organisation_name": lazy_gettext("Organisation"),
        "client_name": lazy_gettext("Client"),
        "amount_cents": lazy_gettext("Amount"),
        "method": lazy_gettext("Method"),
        "external_reference": lazy_gettext("Bank or cheque reference"),
    }
    order_columns = ["paid_at", "project_reference", "amount_cents"]
    search_columns = ["project_reference", "organisation_name", "client_name", "method"]
    base_order = ("paid_at", "desc")


class InvoiceAdminView(RecordAdminView):
    """Every invoice issued, numbered without gaps, with its amounts frozen."""

    model = Invoice
    row_template = "admin/widgets/invoice_list.html"
    route_base = "/admin/invoices"
    list_title = lazy_gettext("Invoices")
    journal_export = True
    columns = {
        "number": lazy_gettext("Number"),
        "issued_at": lazy_gettext("Issued"),
        "project_reference": lazy_gettext("Reference"),
        "organisation_name": lazy_gettext("Organisation"),
        "client_name": lazy_gettext("Client"),
        "amount_excl_cents": lazy_gettext("Excl. VAT"),
        "vat_cents": lazy_gettext("VAT"),
        "amount_incl_cents": lazy_gettext("Incl. VAT"),
    }
    order_columns = ["number", "issued_at", "amount_incl_cents"]
    search_columns = ["number", "project_reference", "organisation_name", "client_name"]
    base_order = ("issued_at", "desc")


class CreditNoteAdminView(RecordAdminView):
    """Every credit note issued for a refund, numbered without gaps, with the invoice corrected."""

    model = CreditNote
    row_template = "admin/widgets/credit_note_list.html"
    route_base = "/admin/credit-notes"
    include_route_methods = {"list", "pdf"}
    base_permissions = ["can_list", "can_download"]
    method_permission_name = {"list": "list", "pdf": "download"}
    list_title = lazy_gettext("Credit notes")
    journal_export = True
    columns = {
        "number": lazy_gettext("Number"),
        "issued_at": lazy_gettext("Issued"),
        "invoice_number": lazy_gettext("Invoice"),
        "project_reference": lazy_gettext("Reference"),
        "organisation_name": lazy_gettext("Organisation"),
        "client_name": lazy_gettext("Client"),
        "amount_excl_cents": lazy_gettext("Excl. VAT"),
        "vat_cents": lazy_gettext("VAT"),
        "amount_incl_cents": lazy_gettext("Incl. VAT"),
    }
    order_columns = ["number", "issued_at", "amount_incl_cents"]
    search_columns = [
        "number",
        "invoice_number",
        "project_reference",
        "organisation_name",
        "client_name",
    ]
    base_order = ("issued_at", "desc")

    @expose("/<int:pk>.pdf")
    @has_access
    def pdf(self, pk: int) -> Response:
        """Send one credit note as a PDF, in the viewer's language."""
        viewer = current_viewer()
        if viewer is None:
            abort(403)
        try:
            found = staff_credit_note(viewer, pk)
        except NotFound:
            abort(404)
        except DomainError:
            abort(403)
        return pdf_response(
            credit_note_pdf(found, interface_language()), credit_note_file_name(found)
        )
