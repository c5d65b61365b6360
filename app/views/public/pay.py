"""The client's page behind the secret link: summary, card payment, then downloads and invoice.

No login: the token is the key. An unknown, revoked or expired token gets one page, the same
for all, so nobody can tell them apart. Nothing here may be cached or leak the link onwards.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from werkzeug.wrappers import Response

from app.documents.credit_note import credit_note_file_name, credit_note_pdf
from app.documents.invoice import invoice_file_name, pdf_response
from app.documents.invoice import invoice_pdf as render_invoice_pdf
from app.domain.errors import DomainError, NotFound
from app.extensions import limiter
from app.queries.client_page import client_credit_note, client_invoice, client_page
from app.services.checkout import start_checkout
from app.services.payment_link import open_client_download
from app.views.downloads import attachment
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


def reader_language() -> str:
    """Return the language chosen with ``?lang=``, else the browser's, else French."""
    chosen = request.values.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def page_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/pay/{token}"


def _not_valid(language: str) -> tuple[str, int]:
    with force_locale(language):
        return render_template("public/link_invalid.html", lang=language), 404


def _page(token: str, language: str, error: DomainError | None = None) -> tuple[str, int]:
    with force_locale(language):
        try:
            found = client_page(token)
        except NotFound:
            return _not_valid(language)
        return (
            render_template(
                "public/pay.html",
                page=found,
                project=found.opened.project,
                token=token,
                lang=language,
                checkout=request.args.get("checkout"),
                error=message_of(error) if error else None,
            ),
            error.http_status if error else 200,
        )


@pay_bp.get("/<token>")
@limiter.limit(PAGE_LIMIT)
def page(token: str) -> tuple[str, int]:
    """Show the project, its amount and deliverables; downloads and invoice once paid."""
    return _page(token, reader_language())


@pay_bp.post("/<token>/checkout")
@limiter.limit(CHECKOUT_LIMIT)
def checkout(token: str) -> Response | tuple[str, int]:
    """Open a fresh Stripe Checkout Session and send the client to it."""
    language = reader_language()
    try:
        target = start_checkout(token, language, page_url(token))
    except NotFound:
        return _not_valid(language)
    except DomainError as error:
        return _page(token, language, error)
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
