"""The reconciliation: sessions paid on Stripe whose event never came still end in PAID."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Invoice, Payment
from app.services.checkout import reconcile_payments
from tests.payments.conftest import checkout_row, open_checkout, payable_project, project_of
from tests.services.conftest import database_state


def test_a_payment_whose_event_never_arrived_is_settled(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    stripe_standin.pay(session_id)

    first = reconcile_payments()
    second = reconcile_payments()

    assert (first.paid, second.paid) == (1, 0)
    assert project_of(payable).status == "PAID"
    assert checkout_row(session_id).status == "PAID"
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_sessions_expired_on_stripe_are_closed_here(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    stripe_standin.expire_now(session_id)

    result = reconcile_payments()

    assert (result.checked, result.paid, result.unreachable) == (1, 0, 0)
    assert checkout_row(session_id).status == "EXPIRED"
    assert project_of(payable).status == "AWAITING_PAYMENT"


def test_when_stripe_does_not_answer_nothing_changes(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    stripe_standin.pay(session_id)
    stripe_standin.failing_with = 503
    before = database_state()

    result = reconcile_payments()

    assert result.paid == 0 and result.unreachable == 2
    assert database_state() == before


def test_without_stripe_keys_there_is_nothing_to_reconcile(cast, client, app, monkeypatch):
    payable = payable_project(cast)
    open_checkout(client, payable)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    before = database_state()

    result = reconcile_payments()

    assert (result.checked, result.paid) == (0, 0)
    assert database_state() == before


def test_the_command_reconciles_and_says_what_it_did(cast, client, app, stripe_standin):
    payable = payable_project(cast)
    stripe_standin.pay(open_checkout(client, payable))
    db.session.remove()

    result = app.test_cli_runner().invoke(args=["cnc", "reconcile-payments"])

    assert result.exit_code == 0, result.output
    assert "1 session(s) checked, 1 project(s) marked paid, 0 not reachable." in result.output
    assert project_of(payable).status == "PAID"


def test_the_periodic_job_reconciles_in_its_own_context(cast, client, stripe_standin):
    from app.jobs.stripe import settle_unreported_payments as periodic_job

    payable = payable_project(cast)
    stripe_standin.pay(open_checkout(client, payable))

    assert periodic_job() == 1
    assert project_of(payable).status == "PAID"
