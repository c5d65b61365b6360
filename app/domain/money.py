"""Parse, format and split amounts held as integer cents."""

import re

from app.domain.errors import N_, Invalid

DEFAULT_VAT_BASIS_POINTS = 2000
MAX_AMOUNT_CENTS = 100_000_000_00

_CURRENCY_MARKS = ("€", "EUR")
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
_MINUS_SIGNS = ("-", "\u2212")
# Thousands separators people type: plain, no-break and narrow no-break spaces, Swiss apostrophe.
_GROUP_MARKS = " \u00a0\u202f'"
_NUMBER = re.compile(r"[0-9,.\u00a0\u202f' ]+", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_GROUP = re.compile(r"[0-9]{3}", re.ASCII)
_LEAD_GROUP = re.compile(r"[0-9]{1,3}", re.ASCII)
_MAX_INTEGER_DIGITS = len(str(MAX_AMOUNT_CENTS // 100))

_NOT_AN_AMOUNT = N_("Enter an amount in figures, such as 1234.56.")
_TOO_LARGE = N_("The amount cannot exceed 100,000,000.00.")


def parse_amount(text: str) -> int:
    """Return the amount typed by a person, in cents.

    Accepts ``1234``, ``1234.5``, ``1 234,56``, ``1'234.56``, ``€1,234.56`` or
    ``1.234,56 EUR``: when both ``,`` and ``.`` appear the last one is the
    decimal separator.

    :raise Invalid: if the text is empty, negative, not an amount, has more
        than two decimals or exceeds :data:`MAX_AMOUNT_CENTS`.
    """
    number = _strip_currency(text.strip())
    if not number:
        raise Invalid(N_("Enter an amount."))
    if any(sign in number for sign in _MINUS_SIGNS):
        raise Invalid(N_("The amount cannot be negative."))
    if not _NUMBER.fullmatch(number):
        raise Invalid(_NOT_AN_AMOUNT)
    integer, fraction = _split_decimals(number)
    digits = _join_groups(integer)
    if len(fraction) > 2:
        raise Invalid(N_("Enter at most two decimals."))
    if len(digits.lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise Invalid(_TOO_LARGE)
    cents = int(digits) * 100 + int(fraction.ljust(2, "0"))
    if cents > MAX_AMOUNT_CENTS:
        raise Invalid(_TOO_LARGE)
    return cents


_RATE = re.compile(r"\d{1,3}(?:[.,]\d{1,2})?")


def parse_vat_rate(text: str) -> int:
    """Return a VAT rate typed as a percentage (``20``, ``5,5``, ``5.5 %``) in basis points.

    :raise Invalid: if it is not a percentage between 0 and 100 with at most two decimals.
    """
    number = text.strip().removesuffix("%").strip()
    if not _RATE.fullmatch(number):
        raise Invalid(N_("Enter the VAT rate as a percentage, for instance 20 or 5,5."))
    whole, _, decimals = number.replace(",", ".").partition(".")
    basis_points = int(whole) * 100 + int(decimals.ljust(2, "0"))
    if basis_points > 10000:
        raise Invalid(N_("The VAT rate cannot be above 100 %."))
    return basis_points


def format_vat_rate(basis_points: int, decimal_comma: bool = True) -> str:
    """Write a rate in basis points as a percentage, without needless decimals: 20, 5,5."""
    whole, hundredths = divmod(basis_points, 100)
    if not hundredths:
        return str(whole)
    decimals = f"{hundredths:02d}".rstrip("0")
    return f"{whole}{',' if decimal_comma else '.'}{decimals}"


def _strip_currency(text: str) -> str:
    """Drop one currency mark written before or after the number."""
    upper = text.upper()
    for mark in _CURRENCY_MARKS:
        if upper.startswith(mark):
            return text[len(mark) :].strip()
        if upper.endswith(mark):
            return text[: -len(mark)].strip()
    return text


def _split_decimals(number: str) -> tuple[str, str]:
    """Split a number into its integer part, thousands marks kept, and its decimals."""
    last_comma, last_dot = number.rfind(","), number.rfind(".")
    if last_comma < 0 and last_dot < 0:
        return number, ""
    decimal_mark = "," if last_comma > last_dot else "."
    integer, _, fraction = number.rpartition(decimal_mark)
    if decimal_mark in integer or not _DIGITS.fullmatch(fraction):
        raise Invalid(_NOT_AN_AMOUNT)
    other_mark = "." if decimal_mark == "," else ","
    return integer.replace(other_mark, " "), fraction


def _join_groups(integer: str) -> str:
    """Return the digits of an integer part whose thousands groups are well formed."""
    groups = re.split(f"[{_GROUP_MARKS}]", integer)
    lead, rest = groups[0], groups[1:]
    well_formed = (
        _LEAD_GROUP.fullmatch(lead) and all(_GROUP.fullmatch(group) for group in rest)
        if rest
        else _DIGITS.fullmatch(lead)
    )
    if not well_formed:
        raise Invalid(_NOT_AN_AMOUNT)
    return "".join(groups)


def format_amount(cents: int, currency: str = "EUR", locale: str = "fr") -> str:
    """Return an amount as a person reads it in ``locale`` (French or English).

    Follows CLDR: ``1\u202f234,56\u00a0€`` in French, ``€1,234.56`` in English.
    Currencies without a known symbol show their code, set off by a no-break
    space. Locales other than French use the English conventions.
    """
    code = currency.upper()
    symbol = _SYMBOLS.get(code)
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    if locale.lower().startswith("fr"):
        number = f"{units:,}".replace(",", "\u202f") + f",{hundredths:02d}"
        return f"{sign}{number}\u00a0{symbol or code}"
    number = f"{units:,}.{hundredths:02d}"
    prefix = symbol if symbol else f"{code}\u00a0"
    return f"{sign}{prefix}{number}"


def split_vat(
    total_incl_cents: int, rate_basis_points: int = DEFAULT_VAT_BASIS_POINTS
) -> tuple[int, int]:
    """Split a VAT-inclusive total into its amount excluding VAT and its VAT.

    The excluded amount is rounded half up, and the two parts always add up to
    the total. Refunds split as the mirror image of the same positive total.

    :raise Invalid: if the rate is negative.
    """
    if rate_basis_points < 0:
        raise Invalid(N_("The VAT rate cannot be negative."))
    magnitude = abs(total_incl_cents)
    divisor = 10_000 + rate_basis_points
    # Half up in integers: floor((2 * n + d) / (2 * d)) == round_half_up(n / d).
    excl = (2 * magnitude * 10_000 + divisor) // (2 * divisor)
    if total_incl_cents < 0:
        excl = -excl
    return excl, total_incl_cents - excl


def split_credit(
    refund_cents: int,
    rate_basis_points: int,
    invoice: tuple[int, int, int],
    credited: tuple[int, int, int] = (0, 0, 0),
) -> tuple[int, int]:
    """Split a refund at its invoice's rate, for its credit note.

    ``invoice`` and ``credited`` are (excl. VAT, VAT, incl. VAT): the invoice's amounts and
    what its earlier credit notes already took back. The credit note that brings the total
    back to the invoice's takes what is left of each part, so the invoice and its credit notes
    cancel out to the cent whatever the rounding of partial refunds.

    :raise Invalid: if the rate is negative.
    """
    if credited[2] + refund_cents == invoice[2]:
        return invoice[0] - credited[0], invoice[1] - credited[1]
    return split_vat(refund_cents, rate_basis_points)
