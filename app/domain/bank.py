"""Bank details a client pays a transfer to: IBAN (ISO 13616) and BIC (ISO 9362) checks."""

import re

from app.domain.errors import N_, Invalid

# The length of an IBAN in each country that issues them (SWIFT's IBAN registry), so a digit
# dropped or doubled is caught even where the checksum would happen to hold.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_SPACES = re.compile(r"[\s\-]+")


def compact(value: str) -> str:
    """Return an IBAN or BIC as typed, without spaces or dashes, in capitals."""
    return _SPACES.sub("", value).upper()


def iban_checksum_holds(iban: str) -> bool:
    """Say whether a compact IBAN passes the ISO 7064 mod 97-10 check."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def parse_iban(value: str) -> str:
    """Return the IBAN typed, compact, or '' when nothing was typed.

    :raise Invalid: for one that is malformed, of the wrong length for its country, or whose
        check digits do not match (a typo).
    """
    iban = compact(value)
    if not iban:
        return ""
    if not _IBAN_SHAPE.match(iban):
        raise Invalid(
            N_(
                "%(iban)s is not an IBAN: it starts with two letters for the country and two "
                "check digits, then letters and digits."
            ),
            iban=value.strip(),
        )
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        raise Invalid(
            N_("An IBAN from %(country)s has %(expected)s characters; this one has %(length)s."),
            country=iban[:2],
            expected=expected,
            length=len(iban),
        )
    if not iban_checksum_holds(iban):
        raise Invalid(
            N_("The IBAN %(iban)s is wrong: its check digits do not match. Check it for a typo."),
            iban=format_iban(iban),
        )
    return iban


def parse_bic(value: str) -> str:
    """Return the BIC typed, compact, or '' when nothing was typed.

    :raise Invalid: unless it has 8 or 11 characters: bank (4 letters), country (2 letters),
        place (2), and optionally branch (3).
    """
    bic = compact(value)
    if not bic:
        return ""
    if not _BIC_SHAPE.match(bic):
        raise Invalid(
            N_("%(bic)s is not a BIC: it has 8 or 11 letters and digits, such as BNPAFRPPXXX."),
            bic=value.strip(),
        )
    return bic


def format_iban(iban: str) -> str:
    """Return a compact IBAN in groups of four, as it is printed."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
