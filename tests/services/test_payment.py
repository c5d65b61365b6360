"""Manual payments: the team records a transfer or cheque; an invoice is numbered and frozen."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.domain.dates import BUSINESS_TIMEZONE, business_today
from app.domain.errors import Invalid, NotFound, PermissionDenied
from app.domain.payment_access import downloads_open_until
from app.extensions import db
from app.models import Invoice, OutboxMessage, Payment, Project, ProjectEvent
from app.services import payment as payment_service
from app.services.payment import record_manual_payment
from app.services.settings import get_settings, update_settings
from tests.factories import ProjectFactory


def awaiting(cast, cents: int = 124000) -> Project:
    return ProjectFactory(
        organisation_id=cast.org_a_id, status="AWAITING_PAYMENT", final_price_cents=cents
    )


def test_recording_a_transfer_pays_the_project_and_issues_the_invoice(cast):
    update_settings({"company_name": "CNC Pulse SAS", "company_vat_number": "FR12912345678"})
    project = awaiting(cast)
    paid_on = business_today() - timedelta(days=2)

    payment = record_manual_payment(cast.team, project.id, "TRANSFER", paid_on, " VIR-1187 ")

    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status == "PAID" and project.paid_on == paid_on
    payment = db.session.get(Payment, payment.id)
    assert (payment.amount_cents, payment.method, payment.external_reference) == (
        124000,
        "TRANSFER",
        "VIR-1187",
    )
    assert payment.project_reference == project.reference
    assert payment.organisation_name == "Atelier Dupont"
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.number == f"F-{paid_on.year}-00001" and invoice.payment_id == payment.id
    assert (invoice.amount_excl_cents, invoice.vat_cents, invoice.amount_incl_cents) == (
        103333,
        20667,
        124000,
    )
    assert invoice.seller_name == "CNC Pulse SAS" and invoice.seller_vat_number == "FR12912345678"
    assert invoice.client_email == project.client_email
    move = db.session.scalars(select(ProjectEvent).where(ProjectEvent.kind == "STATUS")).one()
    assert (move.from_status, move.to_status, move.actor_name) == (
        "AWAITING_PAYMENT",
        "PAID",
        "Théo Équipe",
    )
    events = [json.loads(p)["event"] for p in db.session.scalars(select(OutboxMessage.payload))]
    assert events == ["payment_received"]


def test_invoice_numbers_follow_each_other_without_gaps(cast, unchanged):
    first, refused, second = awaiting(cast), awaiting(cast), awaiting(cast)
    record_manual_payment(cast.team, first.id, "CHEQUE", business_today())
    unchanged(
        lambda: record_manual_payment(cast.team, refused.id, "BITCOIN", business_today()), Invalid
    )
    record_manual_payment(cast.admin, second.id, "TRANSFER", business_today())
    numbers = db.session.scalars(select(Invoice.sequence).order_by(Invoice.sequence)).all()
    assert numbers == [1, 2]


def test_vat_rate_comes_from_the_settings(cast):
    update_settings({"vat_rate_basis_points": "550"})
    record_manual_payment(cast.team, awaiting(cast, 10550).id, "CASH", business_today())
    invoice = db.session.scalars(select(Invoice)).one()
    assert (invoice.vat_rate_basis_points, invoice.amount_excl_cents, invoice.vat_cents) == (
        550,
        10000,
        550,
    )


@pytest.mark.parametrize(
    ("who", "status", "method", "days", "error", "message"),
    [
        (
            "member_a",
            "AWAITING_PAYMENT",
            "TRANSFER",
            0,
            PermissionDenied,
            "Only the team can record a payment.",
        ),
        (
            "team",
            "AWAITING_PAYMENT",
            "STRIPE",
            0,
            Invalid,
            "Choose how the client paid: transfer, cheque, cash or other.",
        ),
        (
            "team",
            "AWAITING_PAYMENT",
            "TRANSFER",
            -1,
            Invalid,
            "The payment date cannot be in the future.",
        ),
        (
            "team",
            "IN_PROGRESS",
            "TRANSFER",
            0,
            Invalid,
            "Only a project awaiting payment can be paid; this one is In progress.",
        ),
        (
            "team",
            "PAID",
            "TRANSFER",
            0,
            Invalid,
            "Only a project awaiting payment can be paid; this one is Paid.",
        ),
    ],
)
def test_refused_payments_say_why_and_change_nothing(
    cast, unchanged, who, status, method, days, error, message
):
    project = ProjectFactory(organisation_id=cast.org_a_id, status=status, final_price_cents=5000)
    on = business_today() - timedelta(days=days)
    raised = unchanged(
        lambda: record_manual_payment(getattr(cast, who), project.id, method, on), error
    )
    assert str(raised) == message


def test_a_foreign_project_is_not_found(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_b_id, status="AWAITING_PAYMENT")
    unchanged(
        lambda: record_manual_payment(cast.member_a, project.id, "TRANSFER", business_today()),
        PermissionDenied,
    )
    unchanged(
        lambda: record_manual_payment(cast.team, 424242, "TRANSFER", business_today()), NotFound
    )


def test_settings_default_and_refuse_nonsense(app, unchanged):
    assert get_settings().vat_rate_basis_points == 2000
    assert get_settings().download_access_days == 90
    unchanged(lambda: update_settings({"vat_rate_basis_points": "vingt"}), Invalid)
    unchanged(lambda: update_settings({"vat_rate_basis_points": "20000"}), Invalid)
    unchanged(lambda: update_settings({"colour": "bleu"}), Invalid)


def test_a_payment_received_today_is_dated_at_the_moment_it_is_recorded(cast, monkeypatch):
    now = datetime.combine(business_today(), time(12, 37), tzinfo=BUSINESS_TIMEZONE)
    monkeypatch.setattr(payment_service, "utcnow", lambda: now.astimezone(UTC))
    project = awaiting(cast)

    payment = record_manual_payment(cast.team, project.id, "TRANSFER", now.date())

    db.session.expire_all()
    project = db.session.get(Project, project.id)
    payment = db.session.get(Payment, payment.id)
    assert payment.paid_at == now and payment.paid_time_known
    assert project.paid_at == now and project.paid_time_known
    issued_before = now - timedelta(days=3)
    assert downloads_open_until(project.paid_at, issued_before, 30) == now + timedelta(days=30)


def test_a_payment_received_another_day_keeps_its_day_and_invents_no_time(cast):
    paid_on = business_today() - timedelta(days=3)
    project = awaiting(cast)

    payment = record_manual_payment(cast.team, project.id, "CHEQUE", paid_on)

    db.session.expire_all()
    project = db.session.get(Project, project.id)
    payment = db.session.get(Payment, payment.id)
    start_of_day = datetime.combine(paid_on, time(0), tzinfo=BUSINESS_TIMEZONE)
    assert payment.paid_at == start_of_day and not payment.paid_time_known
    assert payment.paid_on == paid_on
    assert project.paid_at == start_of_day and not project.paid_time_known
    assert project.paid_on == paid_on
    issued_before = start_of_day - timedelta(days=1)
    assert downloads_open_until(project.paid_at, issued_before, 30) == start_of_day + timedelta(
        days=30
    )


def test_a_payment_dated_tomorrow_in_france_is_refused(cast, unchanged):
    project = awaiting(cast)
    tomorrow = business_today() + timedelta(days=1)

    raised = unchanged(
        lambda: record_manual_payment(cast.team, project.id, "TRANSFER", tomorrow), Invalid
    )

    assert str(raised) == "The payment date cannot be in the future."
