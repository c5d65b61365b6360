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


class DisputeStatus(StrEnum):
    """Where a client's dispute of a card payment stands, as Stripe reports it."""

    OPEN = "OPEN"  # the bank asks for evidence, or is reviewing it
    WON = "WON"  # decided for us: the money stays
    LOST = "LOST"  # decided for the client: the money is taken back
    CLOSED = "CLOSED"  # an inquiry closed without becoming a dispute

    @property
    def label(self) -> str:
        """Return the English msgid shown for this state."""
        return _DISPUTE_LABELS[self]

    @classmethod
    def from_stripe(cls, status: str | None) -> "DisputeStatus":
        """Read Stripe's dispute status: ``won``, ``lost``, ``warning_closed``, or still open."""
        return _STRIPE_DISPUTE_STATUSES.get(status or "", cls.OPEN)


_DISPUTE_LABELS: Mapping[DisputeStatus, str] = MappingProxyType(
    {
        DisputeStatus.OPEN: N_("Disputed by the client"),
        DisputeStatus.WON: N_("Dispute won"),
        DisputeStatus.LOST: N_("Dispute lost"),
        DisputeStatus.CLOSED: N_("Dispute closed"),
    }
)

_STRIPE_DISPUTE_STATUSES: Mapping[str, DisputeStatus] = MappingProxyType(
    {
        "won": DisputeStatus.WON,
        "lost": DisputeStatus.LOST,
        "warning_closed": DisputeStatus.CLOSED,
    }
)
