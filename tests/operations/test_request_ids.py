"""Each request's id: taken from the proxy or made, answered, on every log line and in its jobs."""

import io
import json
import logging
import re
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import registry
from app.jobs.runner import run_outbox_message
from app.log_format import make_handler
from app.models.outbox import OutboxMessage, OutboxStatus
from app.request_id import HEADER
from app.uow import queue_job, transaction
from tests.factories import UserFactory

TOKEN = "Qp7_" + secrets.token_urlsafe(24)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Collect the app's log lines as production writes them: JSON, one object per line."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_without_an_id_gets_a_new_one_each_time(app):
    client = app.test_client()
    first = client.get("/health").headers[HEADER]
    second = client.get("/login/").headers[HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize(
    "proposed",
    ["edge-7f3a9c21", "Root=1-67891233-abcdef012345678912345678", "a1b2c3d4e5f6a7b8"],
)
def test_the_proxys_sane_id_is_kept(app, proposed):
    assert app.test_client().get("/health", headers={HEADER: proposed}).headers[HEADER] == proposed


@pytest.mark.parametrize(
    "proposed",
    ["short", "x" * 65, "has spaces in it", 'quote"d-id-123', "line\\nbreak-1234", "é" * 10],
)
def test_an_insane_id_is_replaced(app, proposed):
    answered = app.test_client().get("/health", headers={HEADER: proposed}).headers[HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_even_a_refused_request_answers_its_id(app):
    response = app.test_client().get(
        "/admin/projects/show/99999999999", headers={HEADER: "id-404-check"}
    )
    assert response.status_code == 404 and response.headers[HEADER] == "id-404-check"


def test_every_log_line_of_a_request_is_json_with_its_id_and_no_token(app, json_lines):
    user = UserFactory()
    db.session.commit()
    response = app.test_client().post(
        "/forgot-password/", data={"email": user.email}, headers={HEADER: "req-reset-0001"}
    )
    assert response.status_code == 302
    lines = records(json_lines)
    assert lines, "the request logged nothing"
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys()
        assert line["request_id"] == "req-reset-0001"
    # The job the request queued keeps its id, whoever runs it later.
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.job == "send_password_reset")
    ).one()
    assert message.request_id == "req-reset-0001"


def test_a_json_line_never_holds_a_pay_link_token(app, json_lines):
    log = logging.getLogger("app.views.public.pay")
    log.warning("Client page %s opened", f"/pay/{TOKEN}", extra={"link": f"/pay/{TOKEN}/files"})
    try:
        raise LookupError(f"nothing at https://x.test/pay/{TOKEN}")
    except LookupError:
        log.exception("Failed on /pay/%s", TOKEN)
    text = json_lines.getvalue()
    assert TOKEN not in text
    first, second = records(json_lines)
    assert first["message"] == "Client page /pay/[redacted] opened"
    assert first["link"] == "/pay/[redacted]/files" and first["request_id"] == "-"
    assert first["level"] == "WARNING" and first["logger"] == "app.views.public.pay"
    assert "LookupError: nothing at https://x.test/pay/[redacted]" in second["exc_info"]


def test_a_job_logs_with_the_id_of_the_request_that_queued_it(app, json_lines, monkeypatch):
    seen = []

    def noisy_job(message_id: str, **payload) -> None:
        logging.getLogger("app.jobs.noisy").warning("Working on %s", payload["what"])
        seen.append(message_id)

    monkeypatch.setitem(registry.HANDLERS, "noisy_job", noisy_job)
    # Queued in a request; the inline dispatch is held back, as when a worker runs it later.
    monkeypatch.setitem(app.extensions, "uow.dispatch", lambda messages: None)
    with app.test_request_context("/", headers={HEADER: "req-queue-0042"}):
        app.preprocess_request()
        with transaction() as session:
            message_id = queue_job(session, "noisy_job", {"what": "a drawing"})
    run_outbox_message(message_id)
    assert seen == [message_id]
    assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.DONE.value
    working = [line for line in records(json_lines) if line["logger"] == "app.jobs.noisy"]
    assert working == [
        {
            "time": working[0]["time"],
            "level": "WARNING",
            "logger": "app.jobs.noisy",
            "message": "Working on a drawing",
            "request_id": "req-queue-0042",
        }
    ]


def test_text_logs_carry_the_id_too(app):
    stream = io.StringIO()
    handler = make_handler("text", stream)
    logger = logging.getLogger("app.text-check")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={HEADER: "req-text-0007"}):
            app.preprocess_request()
            logger.warning("Hello")
    finally:
        logger.removeHandler(handler)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d [\d:,]+ WARNING \[req-text-0007\] app\.text-check: Hello\n",
        stream.getvalue(),
    )
