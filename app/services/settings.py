"""Settings the Admin edits: company details for invoices, VAT rate, download period, contact."""

from dataclasses import dataclass

from flask import current_app

from app.domain import policy
from app.domain.bank import format_iban, parse_bic, parse_iban
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
    # Where replies to every email go, and whom emails and the pay page say to contact.
    "reply_to_email": "",
    "contact_email": "",
    "contact_phone": "",
    # The account a client pays a transfer to, shown on the pay page.
    "bank_holder": "",
    "bank_iban": "",
    "bank_bic": "",
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
    reply_to_email: str
    contact_email: str
    contact_phone: str
    bank_holder: str
    bank_iban: str
    bank_bic: str

    @property
    def bank_details_complete(self) -> bool:
        """Say whether a client has all they need to pay by transfer: holder and IBAN."""
        return bool(self.bank_holder and self.bank_iban)

    @property
    def bank_iban_printed(self) -> str:
        return format_iban(self.bank_iban)


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


@dataclass(frozen=True)
class Contact:
    """Whom a reader of an email or of the pay page can reach, as the settings say."""

    email: str
    phone: str


def contact() -> Contact:
    """Return the contact every email and the pay page show.

    The contact email, else the reply-to address, else the team's notification inbox.
    """
    settings = get_settings()
    email = (
        settings.contact_email
        or settings.reply_to_email
        or current_app.config.get("TEAM_NOTIFICATION_EMAIL")
        or ""
    )
    return Contact(email=email, phone=settings.contact_phone)


def reply_to_address() -> str:
    """Return where replies to every email go.

    The reply-to setting, else the contact email, else the team's notification inbox, else the
    sender itself: an answer never goes nowhere.
    """
    settings = get_settings()
    return (
        settings.reply_to_email
        or settings.contact_email
        or current_app.config.get("TEAM_NOTIFICATION_EMAIL")
        or current_app.config["MAIL_DEFAULT_SENDER"]
    )


_CONTACT_LONGEST = {
    "reply_to_email": (320, N_("The reply-to address is too long (320 characters at most).")),
    "contact_email": (320, N_("The contact email is too long (320 characters at most).")),
    "contact_phone": (40, N_("The contact phone is too long (40 characters at most).")),
    "bank_holder": (200, N_("The account holder is too long (200 characters at most).")),
}


def save_contact_settings(
    viewer: Viewer,
    *,
    reply_to_email: str,
    contact_email: str,
    contact_phone: str,
    bank_holder: str,
    bank_iban: str,
    bank_bic: str,
) -> Settings:
    """Store where replies go, whom to contact and the bank details for transfers, as Admin.

    Every field may be left empty: replies then go to the contact email or the team's inbox,
    and the pay page shows no bank details.

    :raise PermissionDenied: for anyone but an administrator.
    :raise Invalid: for an address that is not one, an IBAN whose check digits do not match,
        a BIC of the wrong shape, bank details without holder or IBAN, or a field too long;
        nothing is stored then.
    """
    from app.services.account import EMAIL_PATTERN

    if not policy.can_edit_settings(viewer):
        raise PermissionDenied(N_("Only an administrator can change the settings."))
    values = {
        "reply_to_email": reply_to_email.strip(),
        "contact_email": contact_email.strip(),
        "contact_phone": " ".join(contact_phone.split()),
        "bank_holder": " ".join(bank_holder.split()),
    }
    for key, (longest, message) in _CONTACT_LONGEST.items():
        if len(values[key]) > longest:
            raise Invalid(message)
    for key in ("reply_to_email", "contact_email"):
        if values[key] and not EMAIL_PATTERN.match(values[key]):
            raise Invalid(N_("%(email)s is not a valid email address."), email=values[key])
    values["bank_iban"] = parse_iban(bank_iban)
    values["bank_bic"] = parse_bic(bank_bic)
    if values["bank_iban"] and not values["bank_holder"]:
        raise Invalid(N_("Enter the account holder's name with the IBAN."))
    if (values["bank_holder"] or values["bank_bic"]) and not values["bank_iban"]:
        raise Invalid(N_("Enter the IBAN of the account clients pay transfers to."))
    return update_settings(values)
