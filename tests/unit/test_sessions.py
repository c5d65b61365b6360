"""When a session ends on its own, and how a device is named on the account page."""

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.sessions import SessionEnd, SessionLimits, describe_device, limit_reached

START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
LIMITS = SessionLimits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


@pytest.mark.parametrize(
    ("last_seen", "now", "expected"),
    [
        (START, START + timedelta(minutes=29, seconds=59), None),
        (START, START + timedelta(minutes=30), SessionEnd.IDLE),
        (START + timedelta(hours=11, minutes=50), START + timedelta(hours=11, minutes=59), None),
        (START + timedelta(hours=11, minutes=59), START + timedelta(hours=12), SessionEnd.EXPIRED),
        # Past both limits: the lifetime is the reason given.
        (START, START + timedelta(hours=13), SessionEnd.EXPIRED),
    ],
)
def test_a_session_ends_when_idle_or_too_old(last_seen, now, expected):
    assert limit_reached(START, last_seen, now, LIMITS) is expected


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            ("Edge", "Windows"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            ("Chrome", "macOS"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            ("Chrome", "Android"),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            ("Safari", "iOS"),
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ("Firefox", "Linux"),
        ),
        ("python-requests/2.32.3", (None, None)),
        ("", (None, None)),
    ],
)
def test_devices_are_named_by_browser_and_system(agent, expected):
    assert describe_device(agent) == expected
