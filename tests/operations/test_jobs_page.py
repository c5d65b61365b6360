"""Admin's page of queues, workers and failed jobs, and the retry of a failed job."""

import re
from html import unescape

import pytest
from rq import Queue, Worker

from app.extensions import db
from app.jobs import registry
from app.models.outbox import OutboxMessage, OutboxStatus
from app.services.outbox import MAX_ATTEMPTS
from tests.conftest import make_app
from tests.factories import UserFactory
from tests.views.conftest import login

FAILED_ID = "f" * 32


def failed_message(job: str = "flaky_job") -> None:
    db.session.add(
        OutboxMessage(
            id=FAILED_ID,
            job=job,
            payload='{"part": "bracket"}',
            queue="email",
            status=OutboxStatus.FAILED.value,
            attempts=MAX_ATTEMPTS,
            last_error="SMTPServerDisconnected: the mail server went away",
            request_id="req-original-01",
        )
    )
    db.session.commit()


def admin_client(app):
    client = app.test_client()
    login(client, UserFactory(role="Admin").email)
    return client


def test_admin_sees_the_failed_jobs_with_their_error(app):
    failed_message()
    page = admin_client(app).get("/admin/jobs/")
    assert page.status_code == 200
    html = page.text
    assert "Files d'attente et tâches" in html
    assert f'data-message-id="{FAILED_ID}"' in html
    assert "SMTPServerDisconnected: the mail server went away" in html
    assert "req-original-01" in html
    # Without Redis, the page says jobs run inline rather than listing empty queues.
    assert 'id="no-redis"' in html


@pytest.mark.parametrize("role", ["Team", "OrgAdmin", "OrgMember"])
def test_anyone_but_admin_is_refused(app, role):
    client = app.test_client()
    login(client, UserFactory(role=role).email)
    assert client.get("/admin/jobs/").status_code == 403
    failed_message()
    assert client.post(f"/admin/jobs/{FAILED_ID}/retry").status_code == 403
    assert db.session.get(OutboxMessage, FAILED_ID).status == OutboxStatus.FAILED.value


def test_the_menu_shows_the_page_to_admin_next_to_the_email_log(app):
    html = admin_client(app).get("/admin/jobs/").text
    email_log = html.index("/admin/emails/list/")
    jobs = html.index('href="/admin/jobs/"')
    assert 0 < jobs - email_log < 600


def test_retry_puts_the_message_back_and_it_runs(app, monkeypatch):
    ran = []
    monkeypatch.setitem(registry.HANDLERS, "flaky_job", lambda message_id, part: ran.append(part))
    failed_message()
    client = admin_client(app)
    answer = client.post(f"/admin/jobs/{FAILED_ID}/retry", headers={"X-Request-ID": "req-retry-77"})
    assert answer.status_code == 302 and answer.location.endswith("/admin/jobs/")
    # No Redis in tests: the message ran inline, once, and is done.
    assert ran == ["bracket"]
    db.session.expire_all()
    message = db.session.get(OutboxMessage, FAILED_ID)
    assert message.status == OutboxStatus.DONE.value
    assert message.attempts == 1 and message.last_error is None
    assert message.request_id == "req-retry-77"
    assert "La tâche est de nouveau dans sa file." in client.get("/admin/jobs/").text


def test_retry_of_a_job_that_is_not_failed_is_refused(app):
    failed_message()
    db.session.get(OutboxMessage, FAILED_ID).status = OutboxStatus.DONE.value
    db.session.commit()
    client = admin_client(app)
    client.post(f"/admin/jobs/{FAILED_ID}/retry")
    assert "Cette tâche n'a pas échoué : elle est DONE." in unescape(
        client.get("/admin/jobs/").text
    )
    assert client.post(f"/admin/jobs/{'0' * 32}/retry").status_code == 404


def test_with_redis_the_queues_and_workers_are_shown_and_a_retry_is_queued(
    app, database_url, storage_dir, redis_server_url
):
    redis_app = make_app(database_url, storage_dir, REDIS_URL=redis_server_url)
    connection = redis_app.extensions["dispatcher"].connection
    connection.flushdb()
    worker = Worker(["email", "default"], connection=connection, name="atelier-worker-1")
    worker.register_birth()
    try:
        with redis_app.app_context():
            failed_message()
            client = admin_client(redis_app)
            client.post(f"/admin/jobs/{FAILED_ID}/retry")
            html = client.get("/admin/jobs/").text
            assert db.session.get(OutboxMessage, FAILED_ID).status == OutboxStatus.ENQUEUED.value
            db.session.remove()
        assert Queue("email", connection=connection).job_ids == [FAILED_ID]
        email_row = re.search(r'<tr data-queue="email">(.*?)</tr>', html).group(1)
        assert re.findall(r"<td>([^<]*)</td>", email_row) == ["email", "1", "0", "0", "0"]
        assert 'data-worker="atelier-worker-1"' in html
    finally:
        worker.register_death()
        connection.flushdb()
        with redis_app.app_context():
            db.engine.dispose()
