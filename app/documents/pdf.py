"""Turn a document template into a PDF: fonts shipped with the application, no network."""

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import font_source_sans_pro
from flask import render_template
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.urls import URLFetcher

# Source Sans Pro (SIL Open Font License) comes as a package: the PDF looks the same on every
# machine, whatever fonts the system has.
FONT_DIRECTORY = Path(font_source_sans_pro.font_directory).resolve()


class ForbiddenResourceError(ValueError):
    """A document asked for something other than its bundled fonts."""


class BundledFontsOnly(URLFetcher):
    """Give WeasyPrint the bundled font files and nothing else: no network, no other file."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        if url.startswith("file://"):
            path = Path(unquote(url.removeprefix("file://").split("?")[0])).resolve()
            if path.is_relative_to(FONT_DIRECTORY) and path.is_file():
                return super().fetch(url, headers)
        raise ForbiddenResourceError(f"documents load only their bundled fonts, not {url[:100]}")


def render_pdf(template: str, language: str, **context: Any) -> bytes:
    """Render ``template`` in ``language`` and return the PDF's bytes."""
    with force_locale(language):
        html = render_template(
            template,
            lang=language,
            font_url=lambda name: (FONT_DIRECTORY / name).as_uri(),
            **context,
        )
    return HTML(string=html, url_fetcher=BundledFontsOnly()).write_pdf()
