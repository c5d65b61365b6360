"""Settings the Admin edits: company details for invoices, VAT rate, delays, time zone."""

from dataclasses import dataclass

from app.domain.errors import N_, Invalid
from app.domain.money import DEFAULT_VAT_BASIS_POINTS
from app.extensions import db
from app.models import Setting
from app.services.transaction import transaction

DEFAULTS: dict[str, str] = {
    "company_name": "CNC Pulse",
    "company_address": "",
    "company_registration": "",
    "company_vat_number": "",
    "vat_rate_basis_points": str(DEFAULT_VAT_BASIS_POINTS),
    "download_access_days": "90",
    "display_timezone": "Europe/Paris",
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
    display_timezone: str


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
