"""/stripe/webhook: signed events, stored once, settle a session once whatever their order."""

import itertools
import json
import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.dispatch import Dispatcher
from app.models import (
    CheckoutSession,
    EmailMessage,
    Invoice,
    OutboxMessage,
    Payment,
    PaymentLink,
    ProjectEvent,
    Refund,
    StripeEvent,
)
from app.models.base import utcnow
from tests.jobs.conftest import work
from tests.payments.conftest import (
    PRICE,
    WEBHOOK_SECRET,
    checkout_row,
    open_checkout,
    payable_project,
    post_event,
    project_of,
)
from tests.payments.stripe_standin import event, sign
from tests.services.conftest import database_state

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def paid_moves(project_id: int) -> int:
    return db.session.scalar(
        select(func.count(ProjectEvent.id)).where(
            ProjectEvent.project_id == project_id, ProjectEvent.to_status == "PAID"
        )
    )


def test_the_same_event_ten_times_makes_one_payment_one_invoice_one_set_of_emails(
    cast, client, stripe_standin, smtp
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    body = event(COMPLETED, stripe_standin.pay(session_id))

    answers = [post_event(client, body) for _ in range(10)]

    assert [answer.status_code for answer in answers] == [200] * 10
    assert [answer.json["duplicate"] for answer in answers] == [False] + [True] * 9
    project = project_of(payable)
    assert project.status == "PAID"
    payment = db.session.scalars(select(Payment)).one()
    assert (payment.amount_cents, payment.currency, payment.method) == (PRICE, "EUR", "STRIPE")
    assert payment.stripe_checkout_session_id == session_id
    assert payment.stripe_payment_intent_id == stripe_standin.session(session_id)["payment_intent"]
    assert payment.payment_link_id == payable.link_id
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.payment_id == payment.id and invoice.sequence == 1
    assert paid_moves(payable.project_id) == 1
    assert count(StripeEvent) == 1
    assert checkout_row(session_id).status == "PAID"
    emails = db.session.scalars(
        select(EmailMessage).where(EmailMessage.kind == "payment_received")
    ).all()
    recipients = sorted(email.recipient for email in emails)
    assert len(recipients) == len(set(recipients))
    assert project.client_email in recipients and "equipe@cnc-pulse.test" in recipients
    assert all(email.status == "SENT" for email in emails)
    received = [m for m in smtp.messages if m["To"] in recipients]
    assert len(received) == len(emails)


@pytest.mark.postgres_only
def test_the_same_event_ten_times_at_once_makes_one_payment(cast, app, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(app.test_client(), payable)
    body = event(COMPLETED, stripe_standin.pay(session_id))
    barrier = threading.Barrier(10)
    codes: list[int] = []

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(post_event(client, body).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert codes == [200] * 10
    assert project_of(payable).status == "PAID"
    assert (count(Payment), count(Invoice), count(StripeEvent)) == (1, 1, 1)
    assert paid_moves(payable.project_id) == 1
    kinds = db.session.scalars(
        select(EmailMessage.recipient).where(EmailMessage.kind == "payment_received")
    ).all()
    assert len(kinds) == len(set(kinds)) > 0


def test_completed_then_succeeded_events_of_a_delayed_payment_pay_once(
    cast, client, stripe_standin
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    waiting = event(COMPLETED, stripe_standin.pay(session_id, delayed=True))

    post_event(client, waiting)
    assert project_of(payable).status == "AWAITING_PAYMENT"
    assert checkout_row(session_id).status == "COMPLETE"

    settled = event(SUCCEEDED, stripe_standin.settle_delayed(session_id, succeeded=True))
    post_event(client, settled)
    assert project_of(payable).status == "PAID"
    assert count(Payment) == 1


# One project's events: an attempt whose delayed payment failed (A), one that succeeded (B),
# and one left to expire (C). Whatever order they arrive in, B pays the project once.
def _event_set(standin, client, payable) -> dict[str, str]:
    a = open_checkout(client, payable)
    a_waiting = standin.pay(a, delayed=True)
    b = open_checkout(client, payable)
    b_waiting = standin.pay(b, delayed=True)
    c = open_checkout(client, payable)
    c_expired = standin.expire_now(c)
    return {
        "a_completed": event(COMPLETED, a_waiting),
        "a_failed": event(FAILED, standin.settle_delayed(a, succeeded=False)),
        "b_completed": event(COMPLETED, b_waiting),
        "b_succeeded": event(SUCCEEDED, standin.settle_delayed(b, succeeded=True)),
        "c_expired": event(EXPIRED, c_expired),
        "ids": json.dumps([a, b, c]),
    }


def test_every_order_of_the_events_ends_in_the_same_state(cast, client, stripe_standin):
    names = ["a_failed", "b_completed", "b_succeeded", "c_expired"]
    orders = list(itertools.permutations(names))
    payables = [payable_project(cast) for _ in orders]

    for order, payable in zip(orders, payables, strict=True):
        events = _event_set(stripe_standin, client, payable)
        for name in ("a_completed", *order):
            assert post_event(client, events[name]).status_code == 200
        a, b, c = json.loads(events["ids"])
        where = " → ".join(order)
        assert project_of(payable).status == "PAID", where
        assert [checkout_row(s).status for s in (a, b, c)] == ["FAILED", "PAID", "EXPIRED"], where
        assert paid_moves(payable.project_id) == 1, where

    assert count(Payment) == count(Invoice) == len(orders)
    sequences = db.session.scalars(select(Invoice.sequence).order_by(Invoice.sequence)).all()
    assert sequences == list(range(1, len(orders) + 1))


def test_failed_and_expired_sessions_leave_the_project_awaiting_payment(
    cast, client, stripe_standin
):
    payable = payable_project(cast)
    a = open_checkout(client, payable)
    failed_body = event(FAILED, stripe_standin.pay(a, delayed=True))
    b = open_checkout(client, payable)

    post_event(client, failed_body)
    post_event(client, event(EXPIRED, stripe_standin.expire_now(b)))

    assert project_of(payable).status == "AWAITING_PAYMENT"
    assert (checkout_row(a).status, checkout_row(b).status) == ("FAILED", "EXPIRED")
    assert count(Payment) == 0


@pytest.mark.parametrize("case", ["bad signature", "stale timestamp", "no signature", "other key"])
def test_a_bad_or_stale_signature_is_refused_and_nothing_is_written(
    cast, client, stripe_standin, case
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    body = event(COMPLETED, stripe_standin.pay(session_id))
    header = {
        "bad signature": sign(body + " ", WEBHOOK_SECRET),
        "stale timestamp": sign(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 301),
        "no signature": "",
        "other key": sign(body, "whsec_someone_else"),
    }[case]
    before = database_state()

    response = post_event(client, body, signature=header)

    assert response.status_code == 400
    assert response.json == {"error": "invalid signature"}
    assert database_state() == before


def test_without_a_webhook_secret_every_event_is_refused(cast, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)
    body = json.dumps({"id": "evt_1", "type": COMPLETED, "data": {"object": {}}})
    before = database_state()

    response = post_event(client, body, signature=sign(body, WEBHOOK_SECRET))

    assert response.status_code == 400
    assert database_state() == before


@pytest.mark.parametrize("case", ["wrong amount", "wrong currency", "unknown session", "revoked"])
def test_a_payment_that_does_not_match_is_not_recorded_and_is_logged(
    cast, client, stripe_standin, caplog, case
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    paid = stripe_standin.pay(session_id)
    if case == "wrong amount":
        paid["amount_total"] = PRICE - 100
    elif case == "wrong currency":
        paid["currency"] = "usd"
    elif case == "unknown session":
        paid["id"] = "cs_test_nobody_opened_this"
    else:
        link = db.session.get(PaymentLink, payable.link_id)
        link.revoked_at = utcnow()
        db.session.commit()

    with caplog.at_level(logging.ERROR, logger="app.services.checkout"):
        response = post_event(client, event(COMPLETED, paid))

    assert response.status_code == 200
    assert project_of(payable).status == "AWAITING_PAYMENT"
    assert (count(Payment), count(Invoice)) == (0, 0)
    stored = db.session.scalars(select(StripeEvent)).one()
    assert stored.processed_at is not None and stored.error
    assert any("No payment recorded" in record.message for record in caplog.records)


def test_a_refund_is_recorded_once_and_shows_in_the_history(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    post_event(client, event(COMPLETED, stripe_standin.pay(session_id)))

    partial = event("charge.refunded", stripe_standin.refund(session_id, 40_000))
    post_event(client, partial)
    post_event(client, partial)
    # The same charge again in a later event, with nothing more refunded.
    post_event(client, event("charge.refunded", json.loads(partial)["data"]["object"]))

    payment = db.session.scalars(select(Payment)).one()
    assert (payment.refunded_cents, payment.status) == (40_000, "PARTIALLY_REFUNDED")
    refund = db.session.scalars(select(Refund)).one()
    assert refund.amount_cents == 40_000 and refund.stripe_refund_id.startswith("re_test_")

    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, PRICE - 40_000)))
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert (payment.refunded_cents, payment.status) == (PRICE, "REFUNDED")
    assert count(Refund) == 2
    history = db.session.scalars(
        select(ProjectEvent.details).where(ProjectEvent.kind == "PAYMENT")
    ).all()
    assert len(history) == 2 and all('"refunded"' in details for details in history)
    assert project_of(payable).status == "PAID"


def test_a_refund_of_an_unknown_payment_is_logged_not_recorded(client, caplog):
    charge = {"id": "ch_x", "object": "charge", "payment_intent": "pi_x", "amount_refunded": 500}
    with caplog.at_level(logging.ERROR, logger="app.services.stripe_event"):
        post_event(client, event("charge.refunded", charge))
    assert count(Refund) == 0
    assert "unknown payment" in db.session.scalars(select(StripeEvent.error)).one()


def test_the_webhook_answers_before_the_work_which_runs_in_a_job(
    cast, app, client, stripe_standin, redis_server_url, monkeypatch
):
    from redis import Redis

    connection = Redis.from_url(redis_server_url)
    connection.flushdb()
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    monkeypatch.setitem(app.extensions, "dispatcher", Dispatcher(redis_server_url))

    response = post_event(client, event(COMPLETED, stripe_standin.pay(session_id)))

    assert response.status_code == 200
    assert project_of(payable).status == "AWAITING_PAYMENT"
    job = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.job == "process_stripe_event")
    ).one()
    assert (job.queue, job.status) == ("stripe", "ENQUEUED")
    db.session.remove()
    work(redis_server_url, ("stripe",))
    assert project_of(payable).status == "PAID"
    assert count(Payment) == 1
    connection.flushdb()
    connection.close()


def test_unhandled_event_types_are_stored_and_ignored(client):
    body = json.dumps({"id": "evt_other", "type": "customer.created", "data": {"object": {}}})

    assert post_event(client, body).status_code == 200

    stored = db.session.scalars(select(StripeEvent)).one()
    assert stored.type == "customer.created" and stored.processed_at and stored.error is None
    assert count(CheckoutSession) == 0
