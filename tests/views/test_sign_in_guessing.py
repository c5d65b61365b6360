"""Guessing passwords: failed sign-ins are limited per account and per address, and lock the
account for a while, on the sign-in form and the API login alike."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

import app.services.sign_in as sign_in
from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser, EmailMessage, OutboxMessage
from app.models.base import utcnow
from tests.factories import PASSWORD, UserFactory

WRONG = PASSWORD + "x"
API_LOGIN = "/api/v1/security/login"
RETRY_FR = re.compile(
    r"Trop de tentatives de connexion échouées\. Réessayez après [0-9/-]+ \d\d:\d\d\."
)
RETRY_EN = re.compile(r"Too many failed sign-in attempts\. Try again after [0-9/-]+ \d\d:\d\d\.")


def form_sign_in(client, name: str, password: str):
    return client.post("/login/", data={"username": name, "password": password})


def api_sign_in(client, name: str, password: str):
    return client.post(API_LOGIN, json={"username": name, "password": password, "provider": "db"})


def signed_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.location


def move_time(monkeypatch: pytest.MonkeyPatch, ahead: timedelta) -> None:
    """Make the sign-in rules see a later moment than the clock's."""
    moment = utcnow() + ahead
    monkeypatch.setattr(sign_in, "utcnow", lambda: moment)


def lock_notices() -> list[EmailMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "account_locked"))
    )


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, limited_apps, redis_server_url) -> Flask:
    """An app with the rate limits on, counted in memory or in Redis as in production."""
    storage = "memory://" if request.param == "memory" else redis_server_url
    return limited_apps(RATELIMIT_STORAGE_URI=storage)


@pytest.fixture
def limited_client(limited_app):
    return limited_app.test_client()


# --- The lock, on its own (the limits are off in the other tests' app) ---------------------


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("fr", "Votre compte CNC Pulse est verrouillé pour un moment"),
        ("en", "Your CNC Pulse account is locked for a while"),
    ],
)
def test_repeated_failures_lock_the_account_until_the_lock_ends(
    client, monkeypatch, language, subject
):
    user = UserFactory(role=Role.TEAM, language=language)

    answers = [form_sign_in(client, user.email, WRONG) for _ in range(20)]

    # Ten failures in a row are told apart from nothing; the eleventh finds the account locked.
    assert [answer.status_code for answer in answers[:10]] == [302] * 10
    assert {answer.status_code for answer in answers[10:]} == {429}
    assert RETRY_FR.search(answers[-1].text)
    assert 'name="username"' in answers[-1].text  # the form, shown again
    assert int(answers[-1].headers["Retry-After"]) <= 15 * 60

    refused = form_sign_in(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert RETRY_FR.search(refused.text)
    assert client.get("/admin/projects/list/").status_code == 302  # still signed out

    move_time(monkeypatch, timedelta(minutes=14))
    assert form_sign_in(client, user.email, PASSWORD).status_code == 429

    move_time(monkeypatch, timedelta(minutes=16))
    assert signed_in(form_sign_in(client, user.email, PASSWORD))
    db.session.expire_all()
    account = db.session.get(AppUser, user.id)
    assert account.fail_login_count == 0
    assert account.locked_until is None

    [notice] = lock_notices()
    assert notice.recipient == user.email
    assert notice.language == language
    assert notice.subject == subject
    assert "10" in notice.body_text
    locked = "est verrouillé jusqu'au" if language == "fr" else "is locked until"
    assert locked in notice.body_text
    assert f'<html lang="{language}">' in notice.body_html
    assert (
        db.session.scalar(select(OutboxMessage.job).where(OutboxMessage.id == notice.outbox_id))
        == "send_account_locked"
    )


def test_a_successful_sign_in_resets_the_failures(client):
    user = UserFactory(role=Role.TEAM)

    for _ in range(9):
        form_sign_in(client, user.email, WRONG)
    assert signed_in(form_sign_in(client, user.email, PASSWORD))
    client.get("/logout/")
    answers = [form_sign_in(client, user.email, WRONG) for _ in range(9)]

    assert {answer.status_code for answer in answers} == {302}
    assert signed_in(form_sign_in(client, user.email, PASSWORD))
    assert lock_notices() == []


def test_failures_spread_over_more_than_the_window_do_not_lock(client, monkeypatch):
    user = UserFactory(role=Role.TEAM)

    first = [form_sign_in(client, user.email, WRONG) for _ in range(9)]
    move_time(monkeypatch, timedelta(minutes=16))
    later = [form_sign_in(client, user.email, WRONG) for _ in range(9)]

    assert {answer.status_code for answer in first + later} == {302}
    assert signed_in(form_sign_in(client, user.email, PASSWORD))
    assert lock_notices() == []


def test_after_a_lock_it_takes_as_many_failures_again(client, monkeypatch):
    user = UserFactory(role=Role.TEAM)
    for _ in range(10):
        form_sign_in(client, user.email, WRONG)
    move_time(monkeypatch, timedelta(minutes=16))

    answers = [form_sign_in(client, user.email, WRONG) for _ in range(10)]

    assert [answer.status_code for answer in answers] == [302] * 10
    assert form_sign_in(client, user.email, PASSWORD).status_code == 429
    assert len(lock_notices()) == 2


def test_the_api_login_locks_and_refuses_alike(client, monkeypatch):
    user = UserFactory(role=Role.TEAM, language="en")

    answers = [api_sign_in(client, user.email, WRONG) for _ in range(20)]

    assert [answer.status_code for answer in answers[:10]] == [401] * 10
    assert {answer.status_code for answer in answers[10:]} == {429}
    refused = api_sign_in(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert RETRY_FR.fullmatch(refused.json["message"])
    assert "access_token" not in refused.json
    assert form_sign_in(client, user.email, PASSWORD).status_code == 429

    move_time(monkeypatch, timedelta(minutes=16))
    accepted = api_sign_in(client, user.email, PASSWORD)
    assert accepted.status_code == 200
    assert accepted.json["access_token"]
    [notice] = lock_notices()
    assert (notice.recipient, notice.language) == (user.email, "en")


def test_the_message_follows_the_interface_language(client):
    user = UserFactory(role=Role.TEAM)
    client.get("/lang/en")

    for _ in range(10):
        form_sign_in(client, user.email, WRONG)
    refused = form_sign_in(client, user.email, PASSWORD)

    assert refused.status_code == 429
    assert RETRY_EN.search(refused.text)


# --- The limits ------------------------------------------------------------------------------


def _message(response) -> str:
    if response.is_json:
        return response.json["message"]
    return RETRY_FR.search(response.text).group(0)


def _without_moment(message: str) -> str:
    return re.sub(r"[0-9/-]+ \d\d:\d\d", "…", message)


def test_an_unknown_account_gets_the_same_answer(limited_client):
    user = UserFactory(role=Role.TEAM)

    known = [form_sign_in(limited_client, user.email, WRONG) for _ in range(20)]
    unknown = [form_sign_in(limited_client, "nobody@example.test", WRONG) for _ in range(20)]

    assert [a.status_code for a in known] == [a.status_code for a in unknown]
    assert [a.status_code for a in known] == [302] * 10 + [429] * 10
    assert _without_moment(_message(known[-1])) == _without_moment(_message(unknown[-1]))
    assert form_sign_in(limited_client, user.email, PASSWORD).status_code == 429
    [notice] = lock_notices()
    assert notice.recipient == user.email


def test_the_api_answers_an_unknown_account_the_same(limited_client):
    user = UserFactory(role=Role.TEAM)

    known = [api_sign_in(limited_client, user.email, WRONG) for _ in range(20)]
    unknown = [api_sign_in(limited_client, "nobody@example.test", WRONG) for _ in range(20)]

    assert [a.status_code for a in known] == [a.status_code for a in unknown]
    assert [a.status_code for a in known] == [401] * 10 + [429] * 10
    assert _without_moment(known[-1].json["message"]) == _without_moment(
        unknown[-1].json["message"]
    )
    assert RETRY_FR.fullmatch(unknown[-1].json["message"])
    assert api_sign_in(limited_client, user.email, PASSWORD).status_code == 429


def test_a_successful_sign_in_clears_the_failures_of_its_name(limited_client):
    user = UserFactory(role=Role.TEAM)

    for attempt in range(3):
        answers = [form_sign_in(limited_client, user.email, WRONG) for _ in range(9)]
        assert {answer.status_code for answer in answers} == {302}, attempt
        assert api_sign_in(limited_client, user.email, PASSWORD).status_code == 200

    assert lock_notices() == []


def test_failures_on_the_form_and_the_api_add_up(limited_client):
    name = "nobody@example.test"

    for _ in range(5):
        form_sign_in(limited_client, name, WRONG)
    for _ in range(5):
        api_sign_in(limited_client, name, WRONG)

    assert form_sign_in(limited_client, name, WRONG).status_code == 429
    assert api_sign_in(limited_client, name, WRONG).status_code == 429


def test_many_successful_sign_ins_from_one_address_are_not_blocked(
    limited_app, limited_client, monkeypatch
):
    # A workshop behind one address, signing in on a Monday morning; the limits made small.
    monkeypatch.setitem(limited_app.config, "SIGN_IN_ADDRESS_LIMIT", "3 per 15 minutes")
    monkeypatch.setitem(limited_app.config, "SIGN_IN_LOCK_AFTER", 3)
    staff = [UserFactory(role=Role.TEAM) for _ in range(5)]

    form_answers = []
    api_answers = []
    for _ in range(3):
        for user in staff:
            form_answers.append(form_sign_in(limited_app.test_client(), user.email, PASSWORD))
            api_answers.append(api_sign_in(limited_client, user.email, PASSWORD))

    assert all(signed_in(answer) for answer in form_answers)
    assert {answer.status_code for answer in api_answers} == {200}


def test_failures_from_one_address_are_limited_whatever_the_account(limited_app, monkeypatch):
    monkeypatch.setitem(limited_app.config, "SIGN_IN_ADDRESS_LIMIT", "3 per 15 minutes")
    user = UserFactory(role=Role.TEAM)
    from_here = limited_app.test_client()
    elsewhere = limited_app.test_client()
    there = {"REMOTE_ADDR": "192.0.2.7"}

    answers = [form_sign_in(from_here, f"guess-{n}@example.test", WRONG) for n in range(3)]
    refused = form_sign_in(from_here, user.email, PASSWORD)
    other = elsewhere.post(
        "/login/", data={"username": user.email, "password": PASSWORD}, environ_base=there
    )

    assert [answer.status_code for answer in answers] == [302] * 3
    assert refused.status_code == 429
    assert RETRY_FR.search(refused.text)
    assert api_sign_in(from_here, user.email, PASSWORD).status_code == 429
    assert signed_in(other)


def test_the_sign_in_settings_come_from_the_environment():
    from config import from_environment

    settings = from_environment(
        {
            "SIGN_IN_LOCK_AFTER": "5",
            "SIGN_IN_LOCK_MINUTES": "30",
            "SIGN_IN_ADDRESS_LIMIT": "20 per hour",
        }
    )

    assert settings["SIGN_IN_LOCK_AFTER"] == 5
    assert settings["SIGN_IN_LOCK_MINUTES"] == 30
    assert settings["SIGN_IN_ADDRESS_LIMIT"] == "20 per hour"
