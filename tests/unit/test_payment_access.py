"""What a payment link opens, from its dates alone."""

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.payment_access import LinkState, follow_up_wait, link_state

ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(days=7)


def state(now: datetime, revoked=None, paid=None, created=ISSUED, days=90) -> LinkState:
    return link_state(
        now=now,
        created_at=created,
        expires_at=EXPIRES,
        revoked_at=revoked,
        paid_at=paid,
        download_days=days,
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ISSUED, LinkState.ACTIVE),
        (EXPIRES - timedelta(seconds=1), LinkState.ACTIVE),
        (EXPIRES, LinkState.EXPIRED),
    ],
)
def test_an_unpaid_link_works_seven_days(now, expected):
    assert state(now) is expected


def test_a_revoked_link_opens_nothing_even_when_paid():
    assert state(ISSUED, revoked=ISSUED, paid=ISSUED) is LinkState.REVOKED
    assert not LinkState.REVOKED.opens_page


def test_a_paid_link_serves_downloads_for_the_period_after_payment():
    paid = ISSUED + timedelta(days=3)
    assert state(EXPIRES + timedelta(days=30), paid=paid) is LinkState.DOWNLOADS
    assert state(paid + timedelta(days=90) - timedelta(seconds=1), paid=paid).opens_page
    assert state(paid + timedelta(days=90), paid=paid) is LinkState.CLOSED


def test_a_link_reissued_after_payment_opens_its_own_period():
    paid = ISSUED
    reissued = ISSUED + timedelta(days=200)
    assert state(reissued + timedelta(days=10), paid=paid, created=reissued) is LinkState.DOWNLOADS


def test_a_follow_up_by_hand_waits_its_interval_after_the_last_one() -> None:
    hour = timedelta(hours=1)

    assert follow_up_wait(None, ISSUED, hour) is None
    assert follow_up_wait(ISSUED, ISSUED + timedelta(minutes=20), hour) == timedelta(minutes=40)
    assert follow_up_wait(ISSUED, ISSUED + hour, hour) is None
