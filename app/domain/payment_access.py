"""What a payment link still opens: payment before, downloads for a while after, then nothing."""

from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.errors import N_


class LinkState(StrEnum):
    ACTIVE = "ACTIVE"  # the client may pay
    DOWNLOADS = "DOWNLOADS"  # paid: the client may download the deliverables
    EXPIRED = "EXPIRED"  # unpaid past its validity
    REVOKED = "REVOKED"  # replaced by a newer link, or the project was cancelled
    CLOSED = "CLOSED"  # paid, and the download period is over

    @property
    def opens_page(self) -> bool:
        return self in (LinkState.ACTIVE, LinkState.DOWNLOADS)


def link_state(
    *,
    now: datetime,
    created_at: datetime,
    expires_at: datetime,
    revoked_at: datetime | None,
    paid_at: datetime | None,
    download_days: int,
) -> LinkState:
    """Say what a link opens at ``now``.

    A paid project's link serves downloads for ``download_days`` after the payment, or after
    the link was issued when the team reissued it later.
    """
    if revoked_at is not None:
        return LinkState.REVOKED
    if paid_at is not None:
        open_until = downloads_open_until(paid_at, created_at, download_days)
        return LinkState.DOWNLOADS if now < open_until else LinkState.CLOSED
    return LinkState.ACTIVE if now < expires_at else LinkState.EXPIRED


def downloads_open_until(paid_at: datetime, created_at: datetime, download_days: int) -> datetime:
    """Say until when a paid project's link serves downloads.

    The period runs from the payment, or from the link's issue when the team reissued it
    after the payment.
    """
    return max(paid_at, created_at) + timedelta(days=download_days)


def follow_up_wait(
    last_follow_up: datetime | None, now: datetime, interval: timedelta
) -> timedelta | None:
    """Say how long before the client may be emailed about its link by hand again.

    A reminder by the team and a resend by the organisation count alike: one per ``interval``.

    :return: None when it may be now.
    """
    if last_follow_up is None:
        return None
    wait = last_follow_up + interval - now
    return wait if wait > timedelta(0) else None


class RefusalReason(StrEnum):
    """Why a Checkout Session paid on Stripe pays nothing here."""

    REVOKED_LINK = "REVOKED_LINK"
    AMOUNT = "AMOUNT"
    CURRENCY = "CURRENCY"
    NOT_PAYABLE = "NOT_PAYABLE"

    @property
    def label(self) -> str:
        """Return the English msgid that explains the refusal to the team."""
        return _REFUSAL_LABELS[self]


_REFUSAL_LABELS = {
    RefusalReason.REVOKED_LINK: N_("It was paid through a link that had been replaced or revoked."),
    RefusalReason.AMOUNT: N_("The amount paid is not the project's final price."),
    RefusalReason.CURRENCY: N_("It was paid in another currency than the project's."),
    RefusalReason.NOT_PAYABLE: N_("The project was no longer awaiting payment."),
}
