"""Payments arriving together: gap-free invoice numbers under real concurrency on PostgreSQL."""

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Invoice, Payment, Project
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event


@pytest.mark.postgres_only
def test_twenty_payments_at_once_get_twenty_consecutive_invoice_numbers(
    cast, app, client, stripe_standin
):
    payables = [payable_project(cast) for _ in range(20)]
    bodies = [
        event("checkout.session.completed", stripe_standin.pay(open_checkout(client, payable)))
        for payable in payables
    ]
    db.session.remove()
    barrier = threading.Barrier(len(bodies))
    codes: list[int] = []

    def deliver(body: str) -> None:
        own = app.test_client()
        barrier.wait()
        codes.append(post_event(own, body).status_code)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert codes == [200] * 20
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
    assert [invoice.sequence for invoice in invoices] == list(range(1, 21))
    assert len({invoice.number for invoice in invoices}) == 20
    assert len({invoice.payment_id for invoice in invoices}) == 20
    statuses = db.session.scalars(
        select(Project.status).where(Project.id.in_([p.project_id for p in payables]))
    ).all()
    assert statuses == ["PAID"] * 20
    assert len(db.session.scalars(select(Payment)).all()) == 20
