"""Settings the Admin edits: company details for invoices, VAT rate, download period."""

from dataclasses import dataclass

from app.domain import policy
from app.domain.errors import N_, Invalid, PermissionDenied
from app.domain.money import DEFAULT_VAT_BASIS_POINTS, parse_vat_rate
from app.domain.policy import Viewer
from app.extensions import db
from app.models import Setting
from app.uow import transaction

DEFAULTS: dict[str, str] = {
    "company_name": "CNC Pulse",
    "company_address": "",
    "company_registration": "",
    "company_vat_number": "",
    "vat_rate_basis_points": str(DEFAULT_VAT_BASIS_POINTS),
    "download_access_days": "90",
}
_WHOLE_NUMBERS = {"vat_rate_basis_points": (0, 10000), "download_access_days": (1, 3650)}


@dataclass(frozen=True)
class Settings:
    company_name: str
    company_address: str
    company_registration: str
    company_vat_number: str
    vat_rate_basis_points: int
    download_access_days: int


def get_settings() -> Settings:
    """Return every setting, the stored value where there is one, else its default."""
    stored = {row.key: row.value for row in db.session.query(Setting).all()}
    values = {key: stored.get(key, default) for key, default in DEFAULTS.items()}
    return Settings(
        **{key: int(value) if key in _WHOLE_NUMBERS else value for key, value in values.items()}
    )


def update_settings(changes: dict[str, str]) -> Settings:
    """Store new values for some settings.

    :raise Invalid: for an unknown setting or a number out of range.
    """
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise Invalid(N_("Unknown setting %(key)s."), key=key)
        if key in _WHOLE_NUMBERS:
            low, high = _WHOLE_NUMBERS[key]
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise Invalid(N_("%(key)s must be a whole number."), key=key) from None
            if not low <= number <= high:
                raise Invalid(
                    N_("%(key)s must be between %(low)s and %(high)s."), key=key, low=low, high=high
                )
    with transaction() as session:
        for key, value in changes.items():
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=str(value).strip()))
            else:
                row.value = str(value).strip()
    return get_settings()


# What an invoice can hold of each company detail (see app.models.payment.Invoice).
_LONGEST = {
    "company_name": (200, N_("The company name is too long (200 characters at most).")),
    "company_address": (1000, N_("The address is too long (1000 characters at most).")),
    "company_registration": (
        100,
        N_("The registration number is too long (100 characters at most)."),
    ),
    "company_vat_number": (100, N_("The VAT number is too long (100 characters at most).")),
}


def save_invoice_settings(
    viewer: Viewer,
    *,
    company_name: str,
    company_address: str,
    company_registration: str,
    company_vat_number: str,
    vat_rate: str,
    download_access_days: str,
) -> Settings:
    """Store what the next invoices print and how long paid downloads stay open, as Admin.

    Invoices already issued keep the details they were issued with.

    :raise PermissionDenied: for anyone but an administrator.
    :raise Invalid: for a missing name or address, a detail too long, a VAT rate that is not a
        percentage, or a download period out of range; nothing is stored then.
    """
    if not policy.can_edit_settings(viewer):
        raise PermissionDenied(N_("Only an administrator can change the settings."))
    details = {
        "company_name": company_name.strip(),
        "company_address": company_address.strip(),
        "company_registration": company_registration.strip(),
        "company_vat_number": company_vat_number.strip(),
    }
    if not details["company_name"]:
        raise Invalid(N_("Enter the company name printed on invoices."))
    if not details["company_address"]:
        raise Invalid(N_("Enter the company address printed on invoices."))
    for key, (longest, message) in _LONGEST.items():
        if len(details[key]) > longest:
            raise Invalid(message)
    days = download_access_days.strip()
    low, high = _WHOLE_NUMBERS["download_access_days"]
    if not days.isdigit() or not low <= int(days) <= high:
        raise Invalid(
            N_("The download period is a number of days between %(low)s and %(high)s."),
            low=low,
            high=high,
        )
    changes = {
        **details,
        "vat_rate_basis_points": str(parse_vat_rate(vat_rate)),
        "download_access_days": days,
    }
    return update_settings(changes)
