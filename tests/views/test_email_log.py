"""The team's records: the email log with resend; payments, invoices and services lists."""

import itertools
from datetime import UTC, date, datetime

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import EmailMessage, OutboxMessage, RequestedService
from app.services.payment import record_manual_payment
from tests.factories import ProjectFactory, UserFactory, viewer
from tests.views.conftest import login

EMAILS = "/admin/emails/list/"
PAYMENTS = "/admin/payments/list/"
INVOICES = "/admin/invoices/list/"
_keys = itertools.count(1)


@pytest.fixture(params=[Role.TEAM, Role.ADMIN], ids=lambda role: role.value)
def staff(request, client):
    login(client, UserFactory(role=request.param).email)
    return client


def email(status: str = "FAILED", body: str = "Bonjour", error: str | None = None) -> EmailMessage:
    row = EmailMessage(
        dedupe_key=f"test-{next(_keys)}",
        kind="status_changed",
        recipient="jeanne@example.test",
        language="fr",
        subject="Votre projet avance",
        body_text=body,
        body_html=f"<p>{body}</p>",
        status=status,
        attempts=3,
        last_error=error,
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_log_lists_every_email_with_its_status_and_error(staff):
    email("FAILED", error="Connection refused")
    email("SENT")

    page = staff.get(EMAILS).text

    assert "Journal des e-mails" in page
    # No job will try the failed one again: it failed for good.
    assert 'cnc-status-rejected" data-delivery="failed">Échec définitif</span>' in page
    assert 'cnc-status-paid" data-delivery="sent">Envoyé</span>' in page
    assert "Connection refused" in page and "jeanne@example.test" in page
    assert "Votre projet avance" in page and "01/03/2026 10:00" in page


def test_resend_queues_the_email_again(staff):
    failed = email("FAILED", error="Connection refused")
    before = db.session.query(OutboxMessage).count()

    response = staff.post(f"/admin/emails/{failed.id}/resend", follow_redirects=True)

    assert response.request.path == EMAILS
    assert "L&#39;e-mail va être renvoyé." in response.text
    assert db.session.query(OutboxMessage).count() == before + 1


def waiting_for_retry() -> EmailMessage:
    """A failed email whose job tries again at 09:05 UTC (10:05 in Paris)."""
    message = OutboxMessage(
        id="a" * 32,
        job="send_notification",
        payload="{}",
        queue="email",
        status="PENDING",
        attempts=2,
        next_attempt_at=datetime(2026, 3, 1, 9, 5, tzinfo=UTC),
    )
    db.session.add(message)
    row = email("FAILED", error="421 Service not available")
    row.outbox_id = message.id
    db.session.commit()
    return row


def test_log_tells_an_email_waiting_for_its_retry_from_one_failed_for_good(staff):
    waiting = waiting_for_retry()
    given_up = email("FAILED", error="Connection refused")

    page = staff.get(EMAILS).text
    shown = staff.get(f"/admin/emails/{waiting.id}").text

    retrying = "En attente du prochain essai (à 01/03/2026 10:05)"
    assert f'data-delivery="retrying">{retrying}</span>' in page
    assert f'data-delivery="retrying">{retrying}</span>' in shown
    assert 'data-delivery="failed">Échec définitif</span>' in page
    # Only the one nothing will send again offers Resend.
    assert f"/admin/emails/{given_up.id}/resend" in page
    assert f"/admin/emails/{waiting.id}/resend" not in page + shown


def test_resend_of_an_email_waiting_for_its_retry_is_refused(staff):
    waiting = waiting_for_retry()
    before = db.session.query(OutboxMessage).count()

    response = staff.post(
        f"/admin/emails/{waiting.id}/resend", data={"seen": "failed"}, follow_redirects=True
    )

    assert 'class="alert alert-danger"' in response.text
    assert "sera retenté automatiquement" in response.text
    assert db.session.query(OutboxMessage).count() == before
    db.session.expire_all()
    assert db.session.get(EmailMessage, waiting.id).status == "FAILED"


def test_a_resend_is_refused_while_an_earlier_one_is_queued(staff):
    # A resend queued on Redis, not picked up by a worker yet.
    queued = OutboxMessage(
        id="b" * 32, job="resend_email", payload="{}", queue="email", status="ENQUEUED"
    )
    db.session.add(queued)
    given_up = email("PENDING", error="Connection refused")
    given_up.sending_outbox_id = queued.id
    db.session.commit()

    response = staff.post(
        f"/admin/emails/{given_up.id}/resend", data={"seen": "failed"}, follow_redirects=True
    )

    assert "Cet e-mail est déjà en cours d&#39;envoi" in response.text
    assert db.session.query(OutboxMessage).count() == 1
    assert 'data-delivery="queued">En attente</span>' in response.text
    assert f"/admin/emails/{given_up.id}/resend" not in response.text


def test_resend_of_an_email_with_a_scrubbed_payment_link_is_refused(staff):
    old = email("SENT", body="Payez ici : https://cnc.example/pay/***")
    before = db.session.query(OutboxMessage).count()

    response = staff.post(f"/admin/emails/{old.id}/resend", follow_redirects=True)

    assert 'class="alert alert-danger"' in response.text
    assert "Cet e-mail contenait un lien de paiement qui n&#39;est plus conservé." in response.text
    assert db.session.query(OutboxMessage).count() == before


def test_resend_of_a_missing_email_is_not_found(staff):
    assert staff.post("/admin/emails/999999/resend").status_code == 404


def test_resend_does_not_answer_get(staff):
    failed = email()

    assert staff.get(f"/admin/emails/{failed.id}/resend").status_code == 405


def test_payments_and_invoices_are_listed(staff):
    team = UserFactory(role=Role.TEAM)
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=120000)
    record_manual_payment(viewer(team), project.id, "CHEQUE", date.today(), "CHQ-7781")

    payments = staff.get(PAYMENTS).text
    invoices = staff.get(INVOICES).text

    assert project.reference in payments and "CHQ-7781" in payments
    assert "Chèque" in payments and "1\u202f200,00\u00a0€" in payments
    assert project.reference in invoices
    assert "1\u202f000,00\u00a0€" in invoices and "200,00\u00a0€" in invoices


@pytest.mark.parametrize("url", [PAYMENTS, INVOICES, EMAILS])
def test_records_are_read_only(staff, url):
    base = url.removesuffix("list/")
    for method, path in (("get", "add"), ("post", "add"), ("get", "edit/1"), ("post", "delete/1")):
        assert getattr(staff, method)(base + path).status_code in (404, 405), path
    assert staff.get(url, query_string={"psize_" + view_name(url): "101"}).status_code == 400


def view_name(url: str) -> str:
    return {
        PAYMENTS: "PaymentAdminView",
        INVOICES: "InvoiceAdminView",
        EMAILS: "EmailMessageAdminView",
    }[url]


@pytest.mark.parametrize("role", [Role.ORG_MEMBER, Role.ORG_ADMIN])
def test_organisation_users_get_403(client, role):
    user = UserFactory(role=role)
    failed_id = email().id
    login(client, user.email)

    for url in (EMAILS, PAYMENTS, INVOICES):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/emails/{failed_id}/resend").status_code == 403
    assert db.session.query(OutboxMessage).count() == 0


def test_requested_services_are_listed_in_order(staff):
    db.session.add_all(
        [
            RequestedService(name="Modélisation CAO", name_en="CAD modelling", position=2),
            RequestedService(name="Programmation G-code", position=1),
            RequestedService(name="Retouche", position=3, active=False),
        ]
    )
    db.session.commit()

    page = staff.get("/admin/services/list/").text

    assert "Prestations" in page
    assert page.index("Programmation G-code") < page.index("Modélisation CAO")
    assert "CAD modelling" in page and ">Non</td>" in page


def test_the_team_reads_an_emails_text_and_html_from_the_log(staff):
    shown = email(
        "SENT", body="Bonjour <b>Jeanne</b>, voir http://cnc-pulse.test/portal/projects/7"
    )

    listing = staff.get(EMAILS).text
    page = staff.get(f"/admin/emails/{shown.id}")

    assert f'href="/admin/emails/{shown.id}"' in listing
    assert page.status_code == 200
    # The text, escaped; the HTML in a frame that runs no script and opens links elsewhere.
    assert "Bonjour &lt;b&gt;Jeanne&lt;/b&gt;" in page.text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "srcdoc=" in page.text and "allow-scripts" not in page.text
    assert 'href="http://cnc-pulse.test/portal/projects/7"' in page.text
    # No mailbox here: only the log's copy is shown.
    assert 'id="delivered-copy"' not in page.text
    assert staff.get("/admin/emails/999999").status_code == 404


def test_a_scrubbed_link_is_not_offered_and_the_html_cannot_run_scripts(staff):
    shown = email("SENT", body="Payer : http://cnc-pulse.test/pay/*** <script>alert(1)</script>")

    page = staff.get(f"/admin/emails/{shown.id}").text

    assert 'href="http://cnc-pulse.test/pay/***"' not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ORG_MEMBER])
def test_organisation_users_cannot_read_the_email_log(client, role):
    shown = email("SENT")
    login(client, UserFactory(role=role).email)

    assert client.get(f"/admin/emails/{shown.id}").status_code in (302, 403)
