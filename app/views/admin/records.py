"""The team's records: email log (with resend), payments, invoices, services; read-only lists."""

from collections.abc import Iterator
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext
from werkzeug.wrappers import Response

from app.domain.errors import DomainError, NotFound
from app.models import EmailMessage, Invoice, Payment, RequestedService
from app.services.notification import resend_email
from app.views.admin.project import MAX_PAGE_SIZE
from app.views.errors import flash_error


class RowInterface(SQLAInterface):
    """Hand the list template whole rows, so one cell can combine columns (amount, currency)."""

    def get_values(self, lst: list[Any], list_columns: list[str]) -> Iterator[dict[str, Any]]:
        for row in lst:
            yield {"row": row}


def list_widget(template: str) -> type[ListWidget]:
    """Make a FAB list widget drawing its rows with ``template``."""
    return type(f"{template.rsplit('/', 1)[-1]}Widget", (ListWidget,), {"template": template})


class RecordAdminView(ModelView):
    """A read-only list, searchable on a few columns, paged by at most MAX_PAGE_SIZE rows."""

    include_route_methods = {"list"}
    base_permissions = ["can_list"]
    page_size = 50
    list_template = "admin/record_list.html"

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


class EmailMessageAdminView(RecordAdminView):
    """Every email the application wrote, sent or failed, with a way to send it again."""

    datamodel = RowInterface(EmailMessage)
    route_base = "/admin/emails"
    include_route_methods = {"list", "resend"}
    base_permissions = ["can_list", "can_resend"]
    list_title = lazy_gettext("Email log")
    list_widget = list_widget("admin/widgets/email_list.html")
    list_columns = ["created_at", "status", "recipient", "subject", "last_error"]
    order_columns = ["created_at", "status", "recipient"]
    search_columns = ["recipient", "subject", "status", "kind"]
    base_order = ("created_at", "desc")
    label_columns = {
        "created_at": lazy_gettext("Written"),
        "status": lazy_gettext("Status"),
        "recipient": lazy_gettext("Recipient"),
        "subject": lazy_gettext("Subject"),
        "kind": lazy_gettext("Kind"),
        "last_error": lazy_gettext("Error"),
    }

    @expose("/<int:pk>/resend", methods=["POST"])
    @has_access
    def resend(self, pk: int) -> Response:
        """Queue one email to be sent again, and go back to the log."""
        try:
            resend_email(pk)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("The email will be sent again."), "success")
        return redirect(url_for("EmailMessageAdminView.list"))


class PaymentAdminView(RecordAdminView):
    """Every payment received, by card or by hand, kept even when its project is deleted."""

    datamodel = RowInterface(Payment)
    route_base = "/admin/payments"
    list_title = lazy_gettext("Payments")
    list_widget = list_widget("admin/widgets/payment_list.html")
    list_columns = [
        "paid_at",
        "project_reference",
        "organisation_name",
        "client_name",
        "amount_cents",
        "method",
        "external_reference",
    ]
    order_columns = ["paid_at", "project_reference", "amount_cents"]
    search_columns = ["project_reference", "organisation_name", "client_name", "method"]
    base_order = ("paid_at", "desc")
    label_columns = {
        "paid_at": lazy_gettext("Paid"),
        "project_reference": lazy_gettext("Reference"),
        "organisation_name": lazy_gettext("Organisation"),
        "client_name": lazy_gettext("Client"),
        "amount_cents": lazy_gettext("Amount"),
        "method": lazy_gettext("Method"),
        "external_reference": lazy_gettext("Bank or cheque reference"),
    }


class InvoiceAdminView(RecordAdminView):
    """Every invoice issued, numbered without gaps, with its amounts frozen."""

    datamodel = RowInterface(Invoice)
    route_base = "/admin/invoices"
    list_title = lazy_gettext("Invoices")
    list_widget = list_widget("admin/widgets/invoice_list.html")
    list_columns = [
        "number",
        "issued_at",
        "project_reference",
        "organisation_name",
        "client_name",
        "amount_excl_cents",
        "vat_cents",
        "amount_incl_cents",
    ]
    order_columns = ["number", "issued_at", "amount_incl_cents"]
    search_columns = ["number", "project_reference", "organisation_name", "client_name"]
    base_order = ("issued_at", "desc")
    label_columns = {
        "number": lazy_gettext("Number"),
        "issued_at": lazy_gettext("Issued"),
        "project_reference": lazy_gettext("Reference"),
        "organisation_name": lazy_gettext("Organisation"),
        "client_name": lazy_gettext("Client"),
        "amount_excl_cents": lazy_gettext("Excl. VAT"),
        "vat_cents": lazy_gettext("VAT"),
        "amount_incl_cents": lazy_gettext("Incl. VAT"),
    }


class RequestedServiceAdminView(RecordAdminView):
    """The services an organisation can ask for, in the order the forms offer them."""

    datamodel = RowInterface(RequestedService)
    route_base = "/admin/services"
    list_title = lazy_gettext("Requested services")
    list_widget = list_widget("admin/widgets/service_list.html")
    list_columns = ["position", "name", "name_en", "active"]
    order_columns = ["position", "name"]
    search_columns = ["name", "name_en"]
    base_order = ("position", "asc")
    label_columns = {
        "position": lazy_gettext("Order"),
        "name": lazy_gettext("Name (French)"),
        "name_en": lazy_gettext("Name (English)"),
        "active": lazy_gettext("Offered"),
    }
