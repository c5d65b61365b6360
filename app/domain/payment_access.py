"""What a payment link still opens: payment before, downloads for a while after, then nothing."""

from datetime import datetime, timedelta
from enum import StrEnum


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
        opened = max(paid_at, created_at)
        open_until = opened + timedelta(days=download_days)
        return LinkState.DOWNLOADS if now < open_until else LinkState.CLOSED
    return LinkState.ACTIVE if now < expires_at else LinkState.EXPIRED
