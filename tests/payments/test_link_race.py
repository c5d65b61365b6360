"""A sent link is payable at once: the client may open it before the email's job commits.

The job sends the link email, then records it sent and moves the project to
AWAITING_PAYMENT. A client quicker than that commit holds a link whose project is still
COMPLETED; presenting it must be enough.
"""

import re
import threading
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckoutSession, PaymentLink, Project, ProjectEvent
from app.services.payment_link import mark_payment_link_sent
from app.services.workflow import change_status
from tests.factories import FileFactory, ProjectFactory
from tests.payments.conftest import PRICE, Payable, payable_project

PAY_LINK = re.compile(r"https?://\S+/pay/[A-Za-z0-9_\-]{20,}")
CLIENT = "client.rapide@example.test"


def completed_with_link(cast) -> Payable:
    """Plant a COMPLETED project whose link email's job has not committed yet."""
    payable = payable_project(cast)
    db.session.get(Project, payable.project_id).status = "COMPLETED"
    db.session.get(PaymentLink, payable.link_id).sent_at = None
    db.session.commit()
    return payable


def test_the_client_can_pay_from_the_moment_the_mail_server_accepts_the_link_email(
    cast, app, smtp, stripe_standin, monkeypatch
):
    seen: list[dict[str, object]] = []
    accept = smtp.handle_DATA

    async def client_opens_it_at_once(server, session, envelope):
        # Before the server answers 250: the job has not recorded anything yet.
        if CLIENT in envelope.rcpt_tos:
            seen.append(open_and_pay(envelope.content))
        return await accept(server, session, envelope)

    def open_and_pay(content: bytes) -> dict[str, object]:
        message = message_from_bytes(content, policy=policy.default)
        link = PAY_LINK.search(message.get_body(("plain",)).get_content())[0]
        path = urlsplit(link).path
        visitor = app.test_client()
        with app.app_context():
            status_before = db.session.scalar(select(Project.status))
            db.session.remove()
        page = visitor.get(path)
        checkout = visitor.post(f"{path}/checkout")
        return {
            "status_before": status_before,
            "page": page.text,
            "checkout": checkout.status_code,
            "location": checkout.location,
        }

    monkeypatch.setattr(smtp, "handle_DATA", client_opens_it_at_once)
    project = ProjectFactory(
        organisation_id=cast.org_a_id,
        status="IN_PROGRESS",
        final_price_cents=PRICE,
        client_email=CLIENT,
        client_language="fr",
    )
    FileFactory(project_obj=project, kind="DELIVERABLE", original_name="bride.nc")

    change_status(cast.team, project.id, "COMPLETED")

    (visit,) = seen
    assert visit["status_before"] == "COMPLETED"
    assert "Payer par carte" in visit["page"]
    assert "ne peut pas être payé en ligne" not in visit["page"]
    assert visit["checkout"] == 303
    assert visit["location"].startswith(stripe_standin.url)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == "AWAITING_PAYMENT"
    link = db.session.scalars(select(PaymentLink)).one()
    assert link.sent_at is not None and link.sent_to == CLIENT
    assert link.opened_at is not None
    assert db.session.scalars(select(CheckoutSession.status)).all() == ["OPEN"]
    # One move, whoever made it first: the page, the checkout or the job.
    moves = db.session.scalars(
        select(ProjectEvent.to_status).where(ProjectEvent.kind == "STATUS")
    ).all()
    assert moves == ["COMPLETED", "AWAITING_PAYMENT"]


@pytest.mark.postgres_only
def test_openers_and_the_job_at_once_make_one_move(cast, app, client):
    payable = completed_with_link(cast)
    db.session.remove()
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []

    def open_page() -> None:
        own = app.test_client()
        barrier.wait()
        if own.get(f"/pay/{payable.token}").status_code != 200:
            errors.append(AssertionError("the page did not open"))

    def job() -> None:
        with app.app_context():
            barrier.wait()
            try:
                mark_payment_link_sent(payable.link_id, CLIENT)
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
            db.session.remove()

    threads = [threading.Thread(target=open_page) for _ in range(4)]
    threads.append(threading.Thread(target=job))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert db.session.get(Project, payable.project_id).status == "AWAITING_PAYMENT"
    moves = db.session.scalar(
        select(func.count(ProjectEvent.id)).where(
            ProjectEvent.kind == "STATUS", ProjectEvent.to_status == "AWAITING_PAYMENT"
        )
    )
    assert moves == 1
    link = db.session.get(PaymentLink, payable.link_id)
    assert link.sent_at is not None and link.opened_at is not None


def test_a_completed_project_with_a_valid_link_can_be_paid_by_card(cast, client, stripe_standin):
    payable = completed_with_link(cast)

    response = client.post(f"/pay/{payable.token}/checkout", data={"lang": "en"})

    assert response.status_code == 303
    assert response.location.startswith(stripe_standin.url)
    assert db.session.get(Project, payable.project_id).status == "AWAITING_PAYMENT"
