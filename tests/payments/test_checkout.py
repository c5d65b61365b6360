"""Paying by card: a fresh Checkout Session per click, the earlier ones expired, refusals."""

import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckoutSession, Project
from tests.payments.conftest import (
    PRICE,
    checkout_row,
    open_checkout,
    payable_project,
    post_event,
)
from tests.payments.stripe_standin import event
from tests.services.conftest import database_state


def test_paying_by_card_opens_a_checkout_session_and_redirects_to_it(cast, client, stripe_standin):
    payable = payable_project(cast)

    response = client.post(f"/pay/{payable.token}/checkout", data={"lang": "en"})

    assert response.status_code == 303
    (opened,) = stripe_standin.created_sessions()
    assert response.location == opened["url"]
    assert (opened["amount_total"], opened["currency"], opened["mode"]) == (PRICE, "eur", "payment")
    project = db.session.get(Project, payable.project_id)
    assert opened["customer_email"] == project.client_email
    assert opened["metadata"] == {
        "project_id": str(project.id),
        "project_reference": project.reference,
        "payment_link_id": str(payable.link_id),
    }
    page = f"http://cnc-pulse.test/pay/{payable.token}"
    assert opened["success_url"] == f"{page}?checkout=success&lang=en"
    assert opened["cancel_url"] == f"{page}?checkout=cancelled&lang=en"
    assert 30 * 60 < opened["expires_at"] - time.time() <= 35 * 60
    method, path, params, key = stripe_standin.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert key and key.startswith(f"cnc-checkout-{payable.link_id}-")
    assert params["payment_intent_data"]["metadata"]["project_id"] == str(project.id)
    local = checkout_row(opened["id"])
    assert (local.status, local.amount_cents, local.payment_link_id) == (
        "OPEN",
        PRICE,
        payable.link_id,
    )


def test_a_new_click_expires_the_earlier_open_session(cast, client, stripe_standin):
    payable = payable_project(cast)

    first = open_checkout(client, payable)
    second = open_checkout(client, payable)

    assert first != second
    assert stripe_standin.session(first)["status"] == "expired"
    assert stripe_standin.session(second)["status"] == "open"
    assert (checkout_row(first).status, checkout_row(second).status) == ("EXPIRED", "OPEN")


def test_a_click_after_paying_on_an_earlier_session_settles_it_instead(
    cast, client, stripe_standin
):
    payable = payable_project(cast)
    first = open_checkout(client, payable)
    stripe_standin.pay(first)

    response = client.post(f"/pay/{payable.token}/checkout")

    assert response.status_code == 303
    assert response.location == f"http://cnc-pulse.test/pay/{payable.token}"
    assert len(stripe_standin.created_sessions()) == 1
    assert db.session.get(Project, payable.project_id).status == "PAID"
    assert checkout_row(first).status == "PAID"


def test_when_stripe_does_not_answer_the_client_is_told_and_nothing_is_written(
    cast, client, stripe_standin
):
    payable = payable_project(cast)
    stripe_standin.failing_with = 500
    before = database_state()

    response = client.post(f"/pay/{payable.token}/checkout", data={"lang": "en"})

    assert response.status_code == 409
    assert "Card payment cannot be opened right now" in response.text
    assert database_state() == before


def test_a_project_not_awaiting_payment_cannot_be_paid_by_card(cast, client, stripe_standin):
    payable = payable_project(cast)
    project = db.session.get(Project, payable.project_id)
    # Planted: no move leaves a live link on a project back in the workshop.
    project.status = "IN_PROGRESS"
    db.session.commit()
    before = database_state()

    response = client.post(f"/pay/{payable.token}/checkout", data={"lang": "en"})

    assert response.status_code == 409
    assert "This project cannot be paid online at the moment" in response.text
    assert database_state() == before
    assert stripe_standin.created_sessions() == []


def test_coming_back_from_stripe_before_the_event_says_the_payment_is_being_confirmed(
    cast, client, stripe_standin
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    paid = stripe_standin.pay(session_id)

    waiting = client.get(f"/pay/{payable.token}?checkout=success&lang=en")
    post_event(client, event("checkout.session.completed", paid))
    done = client.get(f"/pay/{payable.token}?checkout=success&lang=en")

    assert "your payment is being confirmed" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    assert "being confirmed" not in done.text and "Paid on" in done.text


def test_coming_back_after_cancelling_offers_to_pay_again(cast, client):
    payable = payable_project(cast)
    open_checkout(client, payable)

    response = client.get(f"/pay/{payable.token}?checkout=cancelled&lang=en")

    assert "The payment was cancelled; nothing was charged" in response.text
    assert "Pay by card" in response.text
    assert db.session.scalar(select(func.count(CheckoutSession.id))) == 1
