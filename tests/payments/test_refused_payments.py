"""Card payments Stripe took but we refused: a final state, one email to the team, then settled."""

import logging

import pytest
from sqlalchemy import func, select

from app.domain.errors import Invalid, NotFound, PermissionDenied
from app.domain.policy import Role
from app.extensions import db
from app.models import (
    CheckoutSession,
    EmailMessage,
    Invoice,
    Payment,
    PaymentLink,
    Project,
    StripeEvent,
)
from app.models.base import utcnow
from app.services.checkout import reconcile_payments, resolve_refused_payment
from tests.factories import UserFactory
from tests.payments.conftest import (
    PRICE,
    checkout_row,
    open_checkout,
    payable_project,
    post_event,
    project_of,
)
from tests.payments.stripe_standin import event
from tests.payments.test_back_office import team_client

COMPLETED = "checkout.session.completed"
TEAM_ADDRESS = "equipe@cnc-pulse.test"
KIND = "card_payment_refused"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def refused_emails() -> list[str]:
    """The recipients of the refusal emails logged, one entry per email."""
    db.session.expire_all()
    return sorted(
        db.session.scalars(select(EmailMessage.recipient).where(EmailMessage.kind == KIND))
    )


def told_once() -> bool:
    """Each member of the team, and the team's address, got one email, no more."""
    recipients = refused_emails()
    return TEAM_ADDRESS in recipients and len(recipients) == len(set(recipients))


def refuse(payable, case: str) -> None:
    """Make the project or its link such that a payment of its session is refused."""
    if case == "revoked link":
        db.session.get(PaymentLink, payable.link_id).revoked_at = utcnow()
    elif case == "cancelled":
        db.session.get(Project, payable.project_id).status = "CANCELLED"
    db.session.commit()


def paid_remote(stripe_standin, session_id: str, case: str) -> dict:
    paid = stripe_standin.pay(session_id)
    if case == "wrong amount":
        paid["amount_total"] = PRICE - 100
    elif case == "wrong currency":
        paid["currency"] = "usd"
    return paid


CASES = {
    "revoked link": "REVOKED_LINK",
    "wrong amount": "AMOUNT",
    "wrong currency": "CURRENCY",
    "cancelled": "NOT_PAYABLE",
}


@pytest.mark.parametrize(("case", "reason"), CASES.items())
def test_a_refused_payment_is_closed_for_good_and_the_team_told_once(
    cast, client, smtp, stripe_standin, caplog, case, reason
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    refuse(payable, case)
    paid = paid_remote(stripe_standin, session_id, case)

    post_event(client, event(COMPLETED, paid))

    row = checkout_row(session_id)
    assert row.status == "REFUSED" and row.needs_action
    assert (row.refusal, row.paid_amount_cents, row.paid_currency) == (
        reason,
        paid["amount_total"],
        paid["currency"].upper(),
    )
    assert row.stripe_payment_intent_id == paid["payment_intent"]
    assert (count(Payment), count(Invoice)) == (0, 0)
    assert db.session.scalars(select(StripeEvent.error)).one()
    (message,) = smtp.to(TEAM_ADDRESS)
    assert message["Subject"] == (
        f"Paiement par carte à régler pour {project_of(payable).reference}"
    )
    assert paid["payment_intent"] in message.get_body(("plain",)).get_content()
    assert smtp.to(project_of(payable).client_email) == []

    # The same payment told again, by a replayed event or the reconciliation: nothing more.
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="app.services.checkout"):
        post_event(client, event("checkout.session.async_payment_succeeded", paid))
        result = reconcile_payments()
    assert result.paid == 0
    assert not any("No payment recorded" in record.message for record in caplog.records)
    assert told_once() and len(smtp.to(TEAM_ADDRESS)) == 1
    assert checkout_row(session_id).status == "REFUSED"


def test_the_reconciliation_refuses_a_payment_whose_event_never_came_once(
    cast, client, smtp, stripe_standin, caplog
):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    refuse(payable, "revoked link")
    stripe_standin.pay(session_id)

    with caplog.at_level(logging.ERROR, logger="app.services.checkout"):
        first = reconcile_payments()
        logged = [r for r in caplog.records if "No payment recorded" in r.message]
        second = reconcile_payments()
        again = [r for r in caplog.records if "No payment recorded" in r.message]

    assert (first.paid, second.paid) == (0, 0)
    assert len(logged) == len(again) == 1
    assert checkout_row(session_id).status == "REFUSED"
    assert told_once()
    assert project_of(payable).status == "AWAITING_PAYMENT"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_teams_email_says_what_was_taken_why_and_what_to_do(
    cast, client, smtp, stripe_standin, language
):
    member = UserFactory(role=Role.TEAM, language=language)
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    paid = paid_remote(stripe_standin, session_id, "wrong amount")

    post_event(client, event(COMPLETED, paid))

    project = project_of(payable)
    (message,) = smtp.to(member.email)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"/admin/projects/show/{project.id}" in text and session_id in html
    assert "/pay/" not in text
    if language == "fr":
        assert message["Subject"] == f"Paiement par carte à régler pour {project.reference}"
        assert "Stripe a encaissé un paiement par carte pour le projet" in text
        assert "Le montant payé n'est pas le prix final du projet." in text
        assert "1\u202f239,00\u00a0€" in text or "1 239,00" in text
        assert "Remboursez-le depuis le tableau de bord Stripe" in text
    else:
        assert message["Subject"] == f"Card payment to settle for {project.reference}"
        assert "Stripe took a card payment for the project" in text
        assert "The amount paid is not the project's final price." in text
        assert "€1,239.00" in text
        assert "Refund it in Stripe's dashboard, or record it as a payment received" in text


def test_the_back_office_shows_it_to_settle_then_settled(cast, app, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    refuse(payable, "revoked link")
    post_event(client, event(COMPLETED, stripe_standin.pay(session_id)))
    team = team_client(app)

    page = team.get(f"/admin/projects/show/{payable.project_id}").text
    dashboard = team.get("/admin/dashboard/").text
    settled = team.post(
        f"/admin/projects/{payable.project_id}/card-payments/{session_id}/settle",
        data={"note": "Remboursé sur Stripe le 25/11"},
        follow_redirects=True,
    )
    after = team.get("/admin/dashboard/").text

    assert f'id="refused-{session_id}"' in page and "Card payment to settle" in page
    assert "It was paid through a link that had been replaced or revoked." in page
    assert "Mark as settled" in page
    assert 'id="section-refused-payments"' in dashboard
    assert project_of(payable).reference in dashboard
    assert "The card payment is marked as settled." in settled.text
    assert (
        "Card payment settled" in settled.text and "Remboursé sur Stripe le 25/11" in settled.text
    )
    assert 'id="section-refused-payments"' not in after
    row = checkout_row(session_id)
    assert row.resolved_at is not None and row.resolution == "Remboursé sur Stripe le 25/11"
    assert not row.needs_action


def test_a_full_refund_on_stripe_settles_it_a_partial_one_does_not(cast, client, stripe_standin):
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    refuse(payable, "cancelled")
    post_event(client, event(COMPLETED, stripe_standin.pay(session_id)))

    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, 40_000)))
    partly = checkout_row(session_id).needs_action
    post_event(client, event("charge.refunded", stripe_standin.refund(session_id, PRICE - 40_000)))

    row = checkout_row(session_id)
    assert partly and not row.needs_action
    assert row.resolved_at is not None and row.resolution is None
    assert count(Payment) == 0
    errors = db.session.scalars(
        select(StripeEvent.error).where(StripeEvent.type == "charge.refunded")
    ).all()
    assert errors == [None, None]


def refused_session(cast, client, stripe_standin) -> tuple[int, str]:
    payable = payable_project(cast)
    session_id = open_checkout(client, payable)
    refuse(payable, "revoked link")
    post_event(client, event(COMPLETED, stripe_standin.pay(session_id)))
    return payable.project_id, session_id


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("  ", "Say what was done with this payment: refunded on Stripe, or recorded."),
        ("x" * 501, "The note is too long (500 characters at most)."),
    ],
)
def test_settling_needs_a_note_of_what_was_done(
    cast, client, stripe_standin, unchanged, note, message
):
    project_id, session_id = refused_session(cast, client, stripe_standin)

    error = unchanged(
        lambda: resolve_refused_payment(cast.team, project_id, session_id, note), Invalid
    )

    assert str(error) == message


def test_settling_is_for_the_team_once_and_for_refused_payments_only(
    cast, client, stripe_standin, unchanged
):
    project_id, session_id = refused_session(cast, client, stripe_standin)
    other = payable_project(cast)
    open_one = open_checkout(client, other)

    denied = unchanged(
        lambda: resolve_refused_payment(cast.org_admin_a, project_id, session_id, "Vu"),
        PermissionDenied,
    )
    not_refused = unchanged(
        lambda: resolve_refused_payment(cast.team, other.project_id, open_one, "Vu"), Invalid
    )
    unchanged(
        lambda: resolve_refused_payment(cast.team, other.project_id, session_id, "Vu"), NotFound
    )
    resolve_refused_payment(cast.team, project_id, session_id, "Enregistré par virement")
    twice = unchanged(
        lambda: resolve_refused_payment(cast.team, project_id, session_id, "Encore"), Invalid
    )

    assert str(denied) == "Only the team can settle card payments."
    assert str(not_refused) == "Only a refused card payment needs to be settled."
    assert str(twice) == "This card payment was already settled."
    assert checkout_row(session_id).resolution == "Enregistré par virement"


def test_the_back_office_action_shows_a_refusal_and_changes_nothing(
    cast, app, client, stripe_standin
):
    from tests.services.conftest import database_state

    project_id, session_id = refused_session(cast, client, stripe_standin)
    team = team_client(app)
    before = database_state()

    response = team.post(
        f"/admin/projects/{project_id}/card-payments/{session_id}/settle",
        data={"note": ""},
        follow_redirects=True,
    )
    missing = team.post(
        f"/admin/projects/{project_id}/card-payments/cs_test_nobody/settle",
        data={"note": "Vu"},
    )

    assert "Say what was done with this payment" in response.text
    assert missing.status_code == 404
    assert database_state() == before
    assert db.session.scalar(select(func.count(CheckoutSession.id))) == 1
