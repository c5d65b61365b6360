"""Build and read the human references of projects, invoices and credit notes."""

import re

PROJECT_PREFIX = "CNC"
INVOICE_PREFIX = "F"
CREDIT_NOTE_PREFIX = "A"
_NUMBER_WIDTH = 5


def format_reference(year: int, number: int, prefix: str = PROJECT_PREFIX) -> str:
    """Return a reference such as ``CNC-2026-00042``.

    Numbers are padded to five digits and simply grow past 99999.

    :raise ValueError: if the year is not four digits or the number is not positive.
    """
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    if number < 1:
        raise ValueError(f"number must be positive, got {number}")
    return f"{prefix}-{year}-{number:0{_NUMBER_WIDTH}d}"


def parse_reference(text: str, prefix: str = PROJECT_PREFIX) -> tuple[int, int] | None:
    """Return the (year, number) of a reference, or None if ``text`` is not one.

    Tolerates surrounding spaces, lower case and a number typed without its
    padding, as people do when they search.
    """
    pattern = rf"{re.escape(prefix)}-([0-9]{{4}})-([0-9]{{1,9}})"
    match = re.fullmatch(pattern, text.strip(), re.IGNORECASE | re.ASCII)
    if match is None:
        return None
    year, number = int(match[1]), int(match[2])
    if year < 1000 or number < 1:
        return None
    return year, number


def format_invoice_number(year: int, number: int) -> str:
    """Return an invoice number such as ``F-2026-00001``.

    :raise ValueError: if the year is not four digits or the number is not positive.
    """
    return format_reference(year, number, prefix=INVOICE_PREFIX)


def format_credit_note_number(year: int, number: int) -> str:
    """Return a credit note (avoir) number such as ``A-2026-00001``.

    :raise ValueError: if the year is not four digits or the number is not positive.
    """
    return format_reference(year, number, prefix=CREDIT_NOTE_PREFIX)
