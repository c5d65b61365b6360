"""After payment: the same link serves the deliverables as attachments, each download recorded."""

import hashlib
import io
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import DownloadRecord, FileKind, PaymentLink, Project, ProjectFile
from app.services.file import Upload, add_files
from app.services.settings import update_settings
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event

DRAWING = b"%PDF-1.7 plan de la bride " + bytes(range(256)) * 40


def paid_project(cast, client, stripe_standin):
    payable = payable_project(cast, deliverables=0)
    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("plan-bride.pdf", io.BytesIO(DRAWING), "application/pdf")],
    )
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    return payable


def deliverable_id(project_id: int, name: str) -> int:
    return db.session.scalar(
        select(ProjectFile.id).where(
            ProjectFile.project_id == project_id, ProjectFile.original_name == name
        )
    )


def test_before_payment_nothing_can_be_downloaded(cast, client):
    payable = payable_project(cast, deliverables=0)
    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("plan-bride.pdf", io.BytesIO(DRAWING), "application/pdf")],
    )
    file_id = deliverable_id(payable.project_id, "plan-bride.pdf")

    response = client.get(f"/pay/{payable.token}/files/{file_id}")
    invoice = client.get(f"/pay/{payable.token}/invoice")

    assert response.status_code == invoice.status_code == 404
    assert b"%PDF" not in response.data
    assert db.session.scalar(select(func.count(DownloadRecord.id))) == 0


def test_after_payment_the_link_serves_each_deliverable_and_records_it(
    cast, client, stripe_standin
):
    payable = paid_project(cast, client, stripe_standin)
    file_id = deliverable_id(payable.project_id, "plan-bride.pdf")

    page = client.get(f"/pay/{payable.token}?lang=en")
    response = client.get(
        f"/pay/{payable.token}/files/{file_id}",
        headers={"User-Agent": "Navigateur du client"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )

    assert f"/pay/{payable.token}/files/{file_id}" in page.text
    assert "Downloads stay open until" in page.text
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(DRAWING).hexdigest()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "plan-bride.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    record = db.session.scalars(select(DownloadRecord)).one()
    assert (record.file_id, record.file_name, record.remote_addr, record.user_agent) == (
        file_id,
        "plan-bride.pdf",
        "203.0.113.7",
        "Navigateur du client",
    )
    assert record.payment_link_id == payable.link_id


def test_deliverables_added_after_payment_are_offered_too(cast, client, stripe_standin):
    payable = paid_project(cast, client, stripe_standin)

    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("programme.nc", io.BytesIO(b"G21 G90\nM30\n"), "text/plain")],
    )
    file_id = deliverable_id(payable.project_id, "programme.nc")

    page = client.get(f"/pay/{payable.token}")
    response = client.get(f"/pay/{payable.token}/files/{file_id}")
    data = response.get_data()
    response.close()

    assert f"/files/{file_id}" in page.text
    assert data == b"G21 G90\nM30\n"


def test_another_projects_file_is_not_served_through_the_link(cast, client, stripe_standin):
    payable = paid_project(cast, client, stripe_standin)
    other = payable_project(cast, deliverables=0)
    add_files(
        cast.team,
        other.project_id,
        FileKind.DELIVERABLE,
        [Upload("secret.nc", io.BytesIO(b"G0 X0"), "text/plain")],
    )

    response = client.get(
        f"/pay/{payable.token}/files/{deliverable_id(other.project_id, 'secret.nc')}"
    )

    assert response.status_code == 404
    assert db.session.scalar(select(func.count(DownloadRecord.id))) == 0


def test_downloads_close_after_the_period_set(cast, client, stripe_standin):
    payable = paid_project(cast, client, stripe_standin)
    update_settings({"download_access_days": "30"})
    project = db.session.get(Project, payable.project_id)
    project.paid_at = project.paid_at - timedelta(days=31)
    link = db.session.get(PaymentLink, payable.link_id)
    link.created_at = link.created_at - timedelta(days=32)
    db.session.commit()

    response = client.get(f"/pay/{payable.token}")

    assert response.status_code == 404
    assert "plan-bride.pdf" not in response.text


def test_the_client_opens_the_invoice_from_the_link(cast, client, stripe_standin):
    payable = paid_project(cast, client, stripe_standin)

    page = client.get(f"/pay/{payable.token}?lang=fr")
    invoice = client.get(f"/pay/{payable.token}/invoice?lang=fr")

    assert f"/pay/{payable.token}/invoice" in page.text
    assert invoice.status_code == 200
    assert "Facture F-" in invoice.text and "Total TTC" in invoice.text
    assert "1\u202f240,00\u00a0€" in invoice.text or "1 240,00" in invoice.text
    assert invoice.headers["Cache-Control"] == "no-store"
