"""How a payment was made, and how each way is named."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from app.domain.errors import N_


class PaymentMethod(StrEnum):
    """Name how money reached us: by card through Stripe, or recorded by the team."""

    STRIPE = "STRIPE"
    TRANSFER = "TRANSFER"
    CHEQUE = "CHEQUE"
    CASH = "CASH"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        """Return the English msgid shown for this method."""
        return _METHOD_LABELS[self]


_METHOD_LABELS: Mapping[PaymentMethod, str] = MappingProxyType(
    {
        PaymentMethod.STRIPE: N_("Card (Stripe)"),
        PaymentMethod.TRANSFER: N_("Bank transfer"),
        PaymentMethod.CHEQUE: N_("Cheque"),
        PaymentMethod.CASH: N_("Cash"),
        PaymentMethod.OTHER: N_("Other"),
    }
)
