"""The settings screen: company details printed on invoices, VAT rate, download period."""

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.domain.errors import DomainError
from app.domain.money import format_vat_rate
from app.security import current_viewer
from app.services.settings import get_settings, save_invoice_settings
from app.views.errors import message_of

FIELDS = (
    "company_name",
    "company_address",
    "company_registration",
    "company_vat_number",
    "vat_rate",
    "download_access_days",
)


class SettingsAdminView(BaseView):
    """The team reads the settings; Admin changes them through the settings service."""

    route_base = "/admin/settings"
    default_view = "show"
    base_permissions = ["can_show", "can_edit"]

    @expose("/")
    @has_access
    def show(self) -> Any:
        """Show the settings, as a form for those who may change them."""
        settings = get_settings()
        form = {
            "company_name": settings.company_name,
            "company_address": settings.company_address,
            "company_registration": settings.company_registration,
            "company_vat_number": settings.company_vat_number,
            "vat_rate": format_vat_rate(settings.vat_rate_basis_points),
            "download_access_days": str(settings.download_access_days),
        }
        return self._page(form)

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

    def _page(self, form: dict[str, str], error: str | None = None) -> tuple[str, int]:
        # A refused form is shown again with what was typed, so nothing typed is lost.
        editable = self.appbuilder.sm.has_access("can_edit", self.class_permission_name)
        page = self.render_template(
            "admin/settings.html", form=form, error=error, editable=editable
        )
        return page, 422 if error else 200
