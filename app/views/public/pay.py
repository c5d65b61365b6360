"""The client's page behind the secret link: summary, card payment, then downloads and invoice.

No login: the token is the key. An unknown, revoked or expired token gets one page, the same
for all, so nobody can tell them apart. Nothing here may be cached or leak the link onwards.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from app.documents.credit_note import credit_note_file_name, credit_note_pdf
from app.documents.invoice import invoice_file_name, pdf_response
from app.documents.invoice import invoice_pdf as render_invoice_pdf
from app.domain.errors import DomainError, NotFound
from app.extensions import limiter
from app.queries.client_page import (
    client_credit_note,
    client_file_page,
    client_invoice,
    client_page,
)
from app.services.checkout import start_checkout
from app.services.payment_link import (
    open_client_archive,
    open_client_download,
    open_client_preview,
    present_client_link,
)
from app.views.downloads import attachment, preview_file, zip_attachment
from app.views.errors import message_of

pay_bp = Blueprint("pay", __name__, url_prefix="/pay")

LANGUAGES = ("fr", "en")
# Per address: generous for a person, slow for anyone guessing tokens.
PAGE_LIMIT = "60 per minute"
CHECKOUT_LIMIT = "10 per minute"


@pay_bp.after_request
def keep_private(response: Response) -> Response:
    """Keep the page out of caches, and the link out of the next site's Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def chosen_language() -> str | None:
    """Return the language the visitor chose with the page's switch (``?lang=``), if any."""
    chosen = request.values.get("lang")
    return chosen if chosen in LANGUAGES else None


def reader_language() -> str:
    """Return the language chosen with ``?lang=``, else the browser's, else French.

    For pages that open no project; the client's page follows the client's language.
    """
    return chosen_language() or request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def page_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/pay/{token}"


def _not_valid(language: str) -> tuple[str, int]:
    with force_locale(language):
        return render_template("public/link_invalid.html", lang=language), 404


def _page(token: str, error: DomainError | None = None) -> tuple[str, int]:
    checkout = request.args.get("checkout")
    try:
        found = client_page(token, back_from_checkout=checkout == "success")
    except NotFound:
        return _not_valid(reader_language())
    # The visitor's own choice first; else the language the team recorded for the client.
    language = chosen_language() or found.language
    with force_locale(language):
        return (
            render_template(
                "public/pay.html",
                page=found,
                project=found.opened.project,
                token=token,
                lang=language,
                checkout=checkout,
                error=message_of(error) if error else None,
            ),
            error.http_status if error else 200,
        )


@pay_bp.get("/<token>")
@limiter.limit(PAGE_LIMIT)
def page(token: str) -> tuple[str, int]:
    """Show the project, its amount and deliverables; downloads and invoice once paid."""
    # Someone signed in (the team, from the email log) is not the client opening the link.
    present_client_link(token, by_client=not current_user.is_authenticated)
    return _page(token)


@pay_bp.post("/<token>/checkout")
@limiter.limit(CHECKOUT_LIMIT)
def checkout(token: str) -> Response | tuple[str, int]:
    """Open a fresh Stripe Checkout Session and send the client to it."""
    try:
        target = start_checkout(token, chosen_language(), page_url(token))
    except NotFound:
        return _not_valid(reader_language())
    except DomainError as error:
        return _page(token, error)
    return redirect(target, code=303)


@pay_bp.get("/<token>/files/<int:file_id>")
@limiter.limit(PAGE_LIMIT)
def download(token: str, file_id: int) -> Response | tuple[str, int]:
    """Send one deliverable of a paid project as an attachment, and record the download."""
    try:
        stored, stream = open_client_download(
            token, file_id, request.remote_addr, request.headers.get("User-Agent")
        )
    except NotFound:
        return _not_valid(reader_language())
    return attachment(stored, stream)


@pay_bp.get("/<token>/files/<int:file_id>/preview/<asset>")
@limiter.limit(PAGE_LIMIT)
def preview(token: str, file_id: int, asset: str) -> Response | tuple[str, int]:
    """Send a deliverable's preview: before payment, only its small marked picture."""
    try:
        return preview_file(open_client_preview(token, file_id, asset))
    except NotFound:
        return _not_valid(reader_language())


@pay_bp.get("/<token>/files/<int:file_id>/view")
@limiter.limit(PAGE_LIMIT)
def file_page(token: str, file_id: int) -> tuple[str, int]:
    """Show a paid deliverable's technical sheet and its viewer."""
    try:
        found = client_file_page(token, file_id)
    except NotFound:
        return _not_valid(reader_language())
    language = chosen_language() or found.language
    with force_locale(language):
        return (
            render_template("public/pay_file.html", page=found, token=token, lang=language),
            200,
        )


@pay_bp.get("/<token>/files.zip")
@limiter.limit(PAGE_LIMIT)
def archive(token: str) -> Response | tuple[str, int]:
    """Send every deliverable of a paid project as one zip, and record each download."""
    language = reader_language()
    try:
        found = open_client_archive(token, request.remote_addr, request.headers.get("User-Agent"))
    except NotFound:
        return _not_valid(language)
    except DomainError as error:
        return _page(token, error)
    with force_locale(language):
        return zip_attachment(found)


@pay_bp.get("/<token>/invoice")
@limiter.limit(PAGE_LIMIT)
def invoice(token: str) -> tuple[str, int]:
    """Show the invoice of the paid project as a printable page."""
    language = reader_language()
    try:
        found = client_invoice(token)
    except NotFound:
        return _not_valid(language)
    with force_locale(language):
        page = render_template(
            "public/invoice.html",
            invoice=found,
            lang=language,
            pdf_url=url_for("pay.invoice_pdf", token=token, lang=language),
        )
    return page, 200


@pay_bp.get("/<token>/invoice.pdf")
@limiter.limit(PAGE_LIMIT)
def invoice_pdf(token: str) -> Response | tuple[str, int]:
    """Send the invoice of the paid project as a PDF, in the client's reading language."""
    language = reader_language()
    try:
        found = client_invoice(token)
    except NotFound:
        return _not_valid(language)
    return pdf_response(render_invoice_pdf(found, language), invoice_file_name(found))


@pay_bp.get("/<token>/credit-notes/<int:credit_note_id>.pdf")
@limiter.limit(PAGE_LIMIT)
def credit_note(token: str, credit_note_id: int) -> Response | tuple[str, int]:
    """Send a credit note of the paid project as a PDF, in the client's reading language."""
    language = reader_language()
    try:
        found = client_credit_note(token, credit_note_id)
    except NotFound:
        return _not_valid(language)
    return pdf_response(credit_note_pdf(found, language), credit_note_file_name(found))
