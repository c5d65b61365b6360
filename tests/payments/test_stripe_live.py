"""The same calls against Stripe's test mode, when STRIPE_TEST_SECRET_KEY names a test key.

Without the key these tests are deselected (see conftest.py): nothing here can reach Stripe
otherwise, and the stand-in covers the same paths on every run.
"""

import os

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CheckoutSession
from app.services import stripe_gateway
from app.services.checkout import reconcile_payments
from tests.conftest import make_app
from tests.payments.conftest import WEBHOOK_SECRET, checkout_row, payable_project, project_of

LIVE_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

pytestmark = pytest.mark.stripe_live


@pytest.fixture
def live_stripe_app(app, database_url, storage_dir):
    """An app on the test database talking to Stripe itself, in test mode."""
    assert LIVE_KEY.startswith(("sk_test_", "rk_test_")), "only a test-mode key may be used"
    live = make_app(
        database_url,
        storage_dir,
        STRIPE_SECRET_KEY=LIVE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=None,
    )
    yield live
    with live.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_click_opens_a_real_checkout_session_and_the_next_one_expires_it(cast, live_stripe_app):
    payable = payable_project(cast)
    client = live_stripe_app.test_client()

    first = client.post(f"/pay/{payable.token}/checkout", data={"lang": "fr"})
    second = client.post(f"/pay/{payable.token}/checkout", data={"lang": "fr"})

    assert first.status_code == second.status_code == 303
    assert first.location.startswith("https://checkout.stripe.com/")
    with live_stripe_app.app_context():
        sessions = db.session.scalars(select(CheckoutSession.id)).all()
        remote = [stripe_gateway.retrieve_checkout_session(s) for s in sessions]
        project = project_of(payable)
        assert sorted(r["status"] for r in remote) == ["expired", "open"]
        for each in remote:
            assert each["amount_total"] == project.final_price_cents
            assert each["currency"] == "eur"
            assert each["metadata"]["payment_link_id"] == str(payable.link_id)
        assert sorted(checkout_row(s).status for s in sessions) == ["EXPIRED", "OPEN"]
        result = reconcile_payments()
        assert result.unreachable == 0 and result.paid == 0
        assert project_of(payable).status == "AWAITING_PAYMENT"
