"""The back office: the team's screens over every organisation."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext


def register_admin_views(appbuilder: AppBuilder) -> None:
    from app.views.admin.dashboard import DashboardAdminView
    from app.views.admin.exports import ExportAdminView
    from app.views.admin.jobs import JobsAdminView
    from app.views.admin.organisation import OrganisationAdminView
    from app.views.admin.project import ProjectAdminView
    from app.views.admin.project_actions import ProjectActionsAdminView
    from app.views.admin.records import (
        CreditNoteAdminView,
        EmailMessageAdminView,
        InvoiceAdminView,
        PaymentAdminView,
    )
    from app.views.admin.service import RequestedServiceAdminView
    from app.views.admin.settings import SettingsAdminView

    # Menu names are permission names too: app.roles grants menu_access by matching them.
    appbuilder.add_view(
        DashboardAdminView,
        "Tableau de bord",
        label=lazy_gettext("Dashboard"),
        icon="fa-dashboard",
    )
    appbuilder.add_view(
        ProjectAdminView,
        "Projects",
        label=lazy_gettext("All projects"),
        icon="fa-folder-open",
        category="Projets",
        category_label=lazy_gettext("Projects"),
        category_icon="fa-industry",
    )
    appbuilder.add_view_no_menu(ProjectActionsAdminView)
    appbuilder.add_view(
        OrganisationAdminView,
        "Organisations",
        label=lazy_gettext("Organisations"),
        icon="fa-building",
        category="Projets",
    )
    appbuilder.add_view(
        RequestedServiceAdminView,
        "Prestations",
        label=lazy_gettext("Requested services"),
        icon="fa-list",
        category="Projets",
    )
    for view, name, label, icon in (
        (PaymentAdminView, "Paiements", lazy_gettext("Payments"), "fa-credit-card"),
        (InvoiceAdminView, "Factures", lazy_gettext("Invoices"), "fa-file-text-o"),
        (CreditNoteAdminView, "Avoirs", lazy_gettext("Credit notes"), "fa-file-o"),
        (EmailMessageAdminView, "Journal des emails", lazy_gettext("Email log"), "fa-envelope"),
        # Admin only (app.roles): the team's menu leaves it out.
        (JobsAdminView, "Files d'attente", lazy_gettext("Queues and jobs"), "fa-tasks"),
        (ExportAdminView, "Exports comptables", lazy_gettext("Accounting exports"), "fa-download"),
        (SettingsAdminView, "Réglages", lazy_gettext("Settings"), "fa-cog"),
    ):
        appbuilder.add_view(
            view,
            name,
            label=label,
            icon=icon,
            category="Suivi",
            category_label=lazy_gettext("Records"),
            category_icon="fa-book",
        )
