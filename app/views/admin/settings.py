"""The settings screen: invoices' company details, VAT rate, download period, contact and bank."""

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.errors import DomainError
from app.domain.money import format_vat_rate
from app.security import current_viewer
from app.services.settings import get_settings, save_contact_settings, save_invoice_settings
from app.views.errors import message_of

FIELDS = (
    "company_name",
    "company_address",
    "company_registration",
    "company_vat_number",
    "vat_rate",
    "download_access_days",
)
CONTACT_FIELDS = (
    "reply_to_email",
    "contact_email",
    "contact_phone",
    "bank_holder",
    "bank_iban",
    "bank_bic",
)


class SettingsAdminView(BaseView):
    """The team reads the settings; Admin changes them through the settings service."""

    route_base = "/admin/settings"
    default_view = "show"
    base_permissions = ["can_show", "can_edit"]
    # The contact and bank details are saved by a form of their own, on the same right.
    method_permission_name = {"show": "show", "edit": "edit", "edit_contact": "edit"}

    @expose("/")
    @has_access
    def show(self) -> Any:
        """Show the settings, as a form for those who may change them."""
        return self._page(self._current_invoice_form())

    def _current_invoice_form(self) -> dict[str, str]:
        settings = get_settings()
        return {
            "company_name": settings.company_name,
            "company_address": settings.company_address,
            "company_registration": settings.company_registration,
            "company_vat_number": settings.company_vat_number,
            "vat_rate": format_vat_rate(settings.vat_rate_basis_points),
            "download_access_days": str(settings.download_access_days),
        }

    def _current_contact(self) -> dict[str, str]:
        settings = get_settings()
        contact = {name: getattr(settings, name) for name in CONTACT_FIELDS}
        contact["bank_iban"] = settings.bank_iban_printed
        return contact

    @expose("/", methods=["POST"])
    @has_access
    def edit(self) -> Any:
        """Save what was typed, or show the form again with it and the reason it was refused."""
        form = {name: request.form.get(name, "") for name in FIELDS}
        try:
            save_invoice_settings(current_viewer(), **form)
        except DomainError as error:
            return self._page(form, message_of(error))
        flash(gettext("Settings saved. The next invoices print these details."), "success")
        return redirect(url_for("SettingsAdminView.show"))

    @expose("/contact", methods=["POST"])
    @has_access
    def edit_contact(self) -> Any:
        """Save where replies go, whom to contact and the bank details, or say why not."""
        contact = {name: request.form.get(name, "") for name in CONTACT_FIELDS}
        try:
            save_contact_settings(current_viewer(), **contact)
        except DomainError as error:
            return self._page(None, contact_form=contact, contact_error=message_of(error))
        flash(
            gettext("Contact and bank details saved. Every email and the pay page show them."),
            "success",
        )
        return redirect(url_for("SettingsAdminView.show"))

    def _page(
        self,
        form: dict[str, str] | None,
        error: str | None = None,
        *,
        contact_form: dict[str, str] | None = None,
        contact_error: str | None = None,
    ) -> tuple[str, int]:
        # A refused form is shown again with what was typed, so nothing typed is lost.
        if form is None:
            form = self._current_invoice_form()
        editable = self.appbuilder.sm.has_access("can_edit", self.class_permission_name)
        page = self.render_template(
            "admin/settings.html",
            form=form,
            error=error,
            editable=editable,
            contact=contact_form or self._current_contact(),
            contact_error=contact_error,
        )
        return page, 422 if error or contact_error else 200
