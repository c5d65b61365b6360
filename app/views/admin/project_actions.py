"""The team's actions on one project: each parses a form, calls one service, and says how it went.

Every route here changes state, so every one is a POST behind CSRF, except the file download
and the deletion's confirmation page, which only read.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.documents.invoice import invoice_file_name, invoice_pdf, pdf_response
from app.domain.errors import N_, DomainError, Invalid, NotFound
from app.domain.money import parse_amount
from app.domain.policy import Viewer
from app.models import FileKind, Invoice
from app.queries.client_page import staff_invoice
from app.queries.previews import file_page
from app.queries.project_page import project_for
from app.security import current_viewer
from app.services.checkout import resolve_refused_payment
from app.services.comment import add_comment
from app.services.file import (
    Upload,
    add_files,
    files_archive,
    open_file,
    open_file_preview,
    remove_file,
)
from app.services.payment import record_manual_payment
from app.services.payment_link import regenerate_payment_link, remind_client
from app.services.project import (
    CLIENT_FIELDS,
    delete_project,
    edit_client_details,
    set_prices,
    set_priority,
)
from app.services.workflow import change_status
from app.views.downloads import (
    attachment,
    file_kind_asked,
    preview_file,
    section_of,
    zip_attachment,
)
from app.views.errors import flash_error, message_of
from app.views.formatting import language as interface_language

ActionResult = WerkzeugResponse | Response


def _viewer() -> Viewer:
    viewer = current_viewer()
    if viewer is None:
        abort(403)
    return viewer


def _wants_json() -> bool:
    # The upload form is sent by script to draw a progress bar; it follows the redirect itself.
    return request.accept_mimetypes.best == "application/json"


def _back_to(pk: int) -> ActionResult:
    target = url_for("ProjectAdminView.show", pk=pk)
    if _wants_json():
        return jsonify(redirect=target)
    return redirect(target)


def _run(pk: int, action: Callable[[Viewer], object], done: str) -> ActionResult:
    """Run one service call as the viewer; flash ``done`` or the refusal, then go back."""
    try:
        action(_viewer())
    except NotFound:
        abort(404)
    except DomainError as error:
        flash_error(error)
    else:
        flash(gettext(done), "success")
    return _back_to(pk)


def _amount_or_none(name: str) -> int | None:
    text = request.form.get(name, "").strip()
    return parse_amount(text) if text else None


def _paid_on() -> date:
    try:
        return date.fromisoformat(request.form.get("paid_on", "").strip())
    except ValueError:
        raise Invalid(N_("Enter the date the payment was received.")) from None


def _uploads() -> list[Upload]:
    return [
        Upload(upload.filename or "", upload.stream, upload.mimetype)
        for upload in request.files.getlist("files")
        if upload.filename
    ]


class ProjectActionsAdminView(BaseView):
    """Change a project through the services: status, priority, prices, files, comments, money."""

    route_base = "/admin/projects"
    default_view = "confirm_delete"
    base_permissions = ["can_change", "can_delete", "can_download"]
    method_permission_name = {
        "move": "change",
        "priority": "change",
        "prices": "change",
        "client_details": "change",
        "upload": "change",
        "remove": "change",
        "comment": "change",
        "payment": "change",
        "regenerate_link": "change",
        "remind": "change",
        "settle_card_payment": "change",
        "invoice": "download",
        "invoice_pdf": "download",
        "confirm_delete": "delete",
        "delete": "delete",
        "download": "download",
        "archive": "download",
        "file_page": "download",
        "preview": "download",
    }

    @expose("/<int:pk>/status", methods=["POST"])
    @has_access
    def move(self, pk: int) -> ActionResult:
        """Move the project to the status chosen, with the note typed."""
        target = request.form.get("target", "")
        note = request.form.get("note", "")
        return _run(
            pk, lambda viewer: change_status(viewer, pk, target, note), N_("Status changed.")
        )

    @expose("/<int:pk>/priority", methods=["POST"])
    @has_access
    def priority(self, pk: int) -> ActionResult:
        """Set the priority chosen."""
        priority = request.form.get("priority", "")
        return _run(pk, lambda viewer: set_priority(viewer, pk, priority), N_("Priority saved."))

    @expose("/<int:pk>/prices", methods=["POST"])
    @has_access
    def prices(self, pk: int) -> ActionResult:
        """Set the prices typed; an empty field leaves its price as it is."""

        def save(viewer: Viewer) -> None:
            set_prices(
                viewer,
                pk,
                estimated_price_cents=_amount_or_none("estimated_price"),
                final_price_cents=_amount_or_none("final_price"),
            )

        return _run(pk, save, N_("Prices saved."))

    @expose("/<int:pk>/client", methods=["POST"])
    @has_access
    def client_details(self, pk: int) -> ActionResult:
        """Correct the client's name, email, phone and language as typed."""
        changes = {
            name: request.form[name] for name in sorted(CLIENT_FIELDS) if name in request.form
        }
        try:
            changed = edit_client_details(_viewer(), pk, changes)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            if not changed:
                flash(gettext("The client's details were already so; nothing changed."), "info")
            elif "client_email" in changed:
                flash(
                    gettext(
                        "Client's details saved. A link already sent went to the old address: "
                        "send a new one if needed."
                    ),
                    "success",
                )
            else:
                flash(gettext("Client's details saved."), "success")
        return _back_to(pk)

    @expose("/<int:pk>/files", methods=["POST"])
    @has_access
    def upload(self, pk: int) -> ActionResult:
        """Store the files sent, as project files or as deliverables."""
        kind_name = request.form.get("kind", "")

        def store(viewer: Viewer) -> None:
            try:
                kind = FileKind(kind_name)
            except ValueError:
                raise Invalid(N_("Choose where the files go.")) from None
            add_files(viewer, pk, kind, _uploads())

        return _run(pk, store, N_("Files uploaded."))

    @expose("/<int:pk>/files/<int:file_id>/remove", methods=["POST"])
    @has_access
    def remove(self, pk: int, file_id: int) -> ActionResult:
        """Remove one file, from the storage too."""
        return _run(pk, lambda viewer: remove_file(viewer, pk, file_id), N_("File removed."))

    @expose("/<int:pk>/files/<int:file_id>/download")
    @has_access
    def download(self, pk: int, file_id: int) -> Response:
        """Send one file as an attachment under its original name."""
        try:
            stored, stream = open_file(_viewer(), pk, file_id)
        except NotFound:
            abort(404)
        return attachment(stored, stream)

    @expose("/<int:pk>/files/<int:file_id>/view")
    @has_access
    def file_page(self, pk: int, file_id: int) -> str:
        """Show a file's technical sheet and its viewer."""
        try:
            found = file_page(_viewer(), pk, file_id)
        except NotFound:
            abort(404)
        return self.render_template("admin/file_show.html", page=found)

    @expose("/<int:pk>/files/<int:file_id>/preview/<asset>")
    @has_access
    def preview(self, pk: int, file_id: int, asset: str) -> Response:
        """Send a file's preview picture or viewer data."""
        try:
            return preview_file(open_file_preview(_viewer(), pk, file_id, asset))
        except NotFound:
            abort(404)

    @expose("/<int:pk>/files/archive")
    @has_access
    def archive(self, pk: int) -> ActionResult:
        """Send every deliverable (or, with ``?kind=PROJECT``, every project file) as one zip."""
        kind = file_kind_asked()
        try:
            found = files_archive(_viewer(), pk, kind)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(message_of(error), "warning")
            return redirect(url_for("ProjectAdminView.show", pk=pk) + section_of(kind))
        return zip_attachment(found)

    @expose("/<int:pk>/comments", methods=["POST"])
    @has_access
    def comment(self, pk: int) -> ActionResult:
        """Post a public comment or, when ticked, an internal note."""
        body = request.form.get("body", "")
        internal = request.form.get("internal") == "1"
        done = N_("Internal note added.") if internal else N_("Comment posted.")
        return _run(pk, lambda viewer: add_comment(viewer, pk, body, internal=internal), done)

    @expose("/<int:pk>/payments", methods=["POST"])
    @has_access
    def payment(self, pk: int) -> ActionResult:
        """Record a payment received by transfer, cheque, cash or otherwise."""

        def record(viewer: Viewer) -> None:
            record_manual_payment(
                viewer,
                pk,
                request.form.get("method", ""),
                _paid_on(),
                request.form.get("reference", ""),
            )

        return _run(pk, record, N_("Payment recorded; the invoice is issued."))

    @expose("/<int:pk>/payment-link", methods=["POST"])
    @has_access
    def regenerate_link(self, pk: int) -> ActionResult:
        """Send the client a new link, to pay or, once paid, to download; the old one stops."""
        try:
            issued = regenerate_payment_link(_viewer(), pk)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            done = (
                N_("A new download link is on its way to the client; the old one no longer works.")
                if issued.for_downloads
                else N_(
                    "A new payment link is on its way to the client; the old one no longer works."
                )
            )
            flash(gettext(done), "success")
        return _back_to(pk)

    @expose("/<int:pk>/card-payments/<session_id>/settle", methods=["POST"])
    @has_access
    def settle_card_payment(self, pk: int, session_id: str) -> ActionResult:
        """Mark a refused card payment as settled, with what the team did about it."""
        note = request.form.get("note", "")
        return _run(
            pk,
            lambda viewer: resolve_refused_payment(viewer, pk, session_id, note),
            N_("The card payment is marked as settled."),
        )

    @expose("/<int:pk>/payment-link/remind", methods=["POST"])
    @has_access
    def remind(self, pk: int) -> ActionResult:
        """Email the client a reminder that the payment is due."""
        return _run(
            pk, lambda viewer: remind_client(viewer, pk), N_("The client is being reminded.")
        )

    @expose("/<int:pk>/invoice")
    @has_access
    def invoice(self, pk: int) -> Any:
        """Show the project's invoice as a printable page."""
        found = _invoice_or_abort(pk)
        return render_template(
            "public/invoice.html",
            invoice=found,
            lang=interface_language(),
            pdf_url=url_for("ProjectActionsAdminView.invoice_pdf", pk=pk),
        )

    @expose("/<int:pk>/invoice.pdf")
    @has_access
    def invoice_pdf(self, pk: int) -> Any:
        """Send the project's invoice as a PDF, in the viewer's language."""
        found = _invoice_or_abort(pk)
        return pdf_response(invoice_pdf(found, interface_language()), invoice_file_name(found))

    @expose("/<int:pk>/delete")
    @has_access
    def confirm_delete(self, pk: int) -> Any:
        """Ask to confirm the deletion, saying what goes and what stays."""
        try:
            found = project_for(_viewer(), pk)
        except NotFound:
            abort(404)
        return self.render_template("admin/project_delete.html", project=found)

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int) -> ActionResult:
        """Delete the project for good once confirmed, and go back to the list."""
        confirmed = request.form.get("confirm") == "yes"
        try:
            delete_project(_viewer(), pk, confirmed=confirmed)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("ProjectActionsAdminView.confirm_delete", pk=pk))
        flash(gettext("Project deleted."), "success")
        return redirect(url_for("ProjectAdminView.list"))


def _invoice_or_abort(pk: int) -> Invoice:
    """Return the project's invoice for the team: 404 without one, 403 for anyone else."""
    try:
        return staff_invoice(_viewer(), pk)
    except NotFound:
        abort(404)
    except DomainError:
        abort(403)
