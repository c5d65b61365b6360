"""A Stripe event is stored without the client's page token its Checkout Session carries."""

import json

from sqlalchemy import select

from app.extensions import db
from app.models import StripeEvent
from tests.payments.conftest import (  # noqa: F401 - fixtures used by name
    app,
    client,
    open_checkout,
    pay_base_app,
    payable_project,
    post_event,
    project_of,
    session_smtp,
    stripe_standin,
)
from tests.payments.stripe_standin import event
from tests.services.conftest import cast  # noqa: F401 - fixture used by name


def test_a_stored_stripe_event_keeps_no_token_and_still_pays(cast, client, stripe_standin):  # noqa: F811
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    paid = stripe_standin.pay(session_id)
    assert payable.token in paid["success_url"]

    answer = post_event(client, event("checkout.session.completed", paid))

    assert answer.status_code == 200
    stored = db.session.scalars(select(StripeEvent)).one()
    assert payable.token not in stored.payload
    found = json.loads(stored.payload)["data"]["object"]
    assert found["id"] == session_id
    assert found["success_url"].endswith("/pay/[redacted]?checkout=success&lang=fr")
    assert found["cancel_url"].endswith("/pay/[redacted]?checkout=cancelled&lang=fr")
    assert project_of(payable).status == "PAID"
