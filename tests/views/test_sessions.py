"""Sign-in sessions kept on the server: logout, limits, password changes and API tokens.

Each request here starts as on a server, from an empty database session and no user loaded:
the tests' app context would otherwise hand a request the user of the one before.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import event, select

from app.domain.policy import Role
from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow
from app.services.account import set_password
from tests.factories import PASSWORD, UserFactory
from tests.views.conftest import login

NEW_PASSWORD = "un-tout-nouveau-secret"
PAGE = "/admin/projects/list/"


def fresh(client: FlaskClient, method: str, url: str, **kwargs):
    db.session.remove()
    for name in ("_login_user", "user", *(n for n in vars(g) if n.startswith("_jwt_extended"))):
        g.pop(name, None)
    return client.open(url, method=method, **kwargs)


def signed_in(client: FlaskClient, url: str = PAGE) -> bool:
    response = fresh(client, "GET", url)
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert "/login/" in response.location
    return False


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


class Clock:
    """Moves the time the session rules go by."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        monkeypatch.setattr("app.services.sessions.utcnow", lambda: utcnow() + self.offset)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@dataclass(frozen=True)
class Account:
    id: int
    email: str


@pytest.fixture
def team_user(app) -> Account:
    user = UserFactory(role=Role.TEAM, email="equipe.session@cnc-pulse.fr")
    return Account(user.id, user.email)


def api_login(client: FlaskClient, email: str, refresh: bool = True) -> dict:
    response = fresh(
        client,
        "POST",
        "/api/v1/security/login",
        json={"username": email, "password": PASSWORD, "provider": "db", "refresh": refresh},
    )
    assert response.status_code == 200, response.text
    return response.json


def api_get(client: FlaskClient, token: str):
    return fresh(client, "GET", "/api/v1/project/", headers={"Authorization": f"Bearer {token}"})


def api_refresh(client: FlaskClient, token: str):
    return fresh(
        client, "POST", "/api/v1/security/refresh", headers={"Authorization": f"Bearer {token}"}
    )


# Browsers


def test_a_cookie_copied_before_logout_is_signed_out_after_it(app, client, team_user):
    login(client, team_user.email)
    copy = copy_of(app, client)
    assert signed_in(copy)

    fresh(client, "GET", "/logout/")

    assert not signed_in(copy)
    assert not signed_in(client)
    page = fresh(copy, "GET", "/login/").text
    assert "Votre session a pris fin : veuillez vous reconnecter." in page


def test_a_cookie_without_a_session_on_the_server_signs_no_one_in(app, client, team_user):
    login(client, team_user.email)
    with client.session_transaction() as cookie:
        cookie.pop("cnc_session")

    assert not signed_in(client)


def test_a_session_unused_past_the_idle_limit_ends(app, client, team_user, clock):
    login(client, team_user.email)
    clock.advance(minutes=29)
    assert signed_in(client)

    clock.advance(minutes=29)  # used a minute ago: the idle time starts again
    assert signed_in(client)

    clock.advance(minutes=30)
    assert not signed_in(client)
    ended = db.session.scalars(select(UserSession)).one()
    assert ended.end_reason == "idle"


def test_a_session_in_constant_use_ends_at_its_absolute_lifetime(app, client, team_user, clock):
    login(client, team_user.email)
    for _ in range(11 * 4):
        clock.advance(minutes=15)
        assert signed_in(client)

    clock.advance(hours=1)

    assert not signed_in(client)
    assert db.session.scalars(select(UserSession)).one().end_reason == "expired"


def test_the_limits_are_settings(app, client, team_user, clock):
    app.config["SESSION_IDLE_MINUTES"] = 5
    try:
        login(client, team_user.email)
        clock.advance(minutes=6)
        assert not signed_in(client)
    finally:
        app.config["SESSION_IDLE_MINUTES"] = 30


def test_last_seen_is_written_at_most_once_a_minute(app, client, team_user, clock):
    login(client, team_user.email)
    first = db.session.scalars(select(UserSession)).one().last_seen_at

    writes = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.startswith("UPDATE user_session"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            clock.advance(seconds=5)
            assert signed_in(client)
        assert writes == []
        clock.advance(seconds=40)
        assert signed_in(client)
        assert len(writes) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    db.session.remove()
    assert db.session.scalars(select(UserSession)).one().last_seen_at > first


# Passwords


def test_changing_ones_password_ends_every_other_session_and_token(app, client, team_user):
    login(client, team_user.email)
    elsewhere = app.test_client()
    login(elsewhere, team_user.email)
    api = app.test_client()
    tokens = api_login(api, team_user.email)
    assert api_get(api, tokens["access_token"]).status_code == 200

    response = fresh(
        client,
        "POST",
        "/resetmypassword/form",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302

    assert signed_in(client), "the browser that changed the password stays signed in"
    assert not signed_in(elsewhere)
    assert api_get(api, tokens["access_token"]).status_code == 401
    assert api_refresh(api, tokens["refresh_token"]).status_code == 401


def test_an_admin_setting_a_password_ends_all_the_users_sessions(app, client, team_user):
    login(client, team_user.email)
    tokens = api_login(app.test_client(), team_user.email)

    set_password(team_user.id, NEW_PASSWORD)

    assert not signed_in(client)
    assert api_get(app.test_client(), tokens["access_token"]).status_code == 401
    login(client, team_user.email, NEW_PASSWORD)
    assert signed_in(client)


# API tokens


def test_a_refresh_token_works_once_and_is_replaced(app, team_user):
    api = app.test_client()
    first = api_login(api, team_user.email)

    refreshed = api_refresh(api, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json
    assert set(second) == {"access_token", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert api_get(api, second["access_token"]).status_code == 200

    again = api_refresh(api, second["refresh_token"])
    assert again.status_code == 200, again.text


def test_a_refresh_token_used_twice_ends_its_whole_session(app, team_user):
    api = app.test_client()
    first = api_login(api, team_user.email)
    second = api_refresh(api, first["refresh_token"]).json

    replayed = api_refresh(api, first["refresh_token"])

    assert replayed.status_code == 401
    # The thief or the owner: whoever holds the newer tokens loses them too.
    assert api_get(api, second["access_token"]).status_code == 401
    assert api_refresh(api, second["refresh_token"]).status_code == 401
    ended = db.session.scalars(select(UserSession)).one()
    assert ended.end_reason == "refresh_reused"


def test_other_sessions_survive_a_replayed_refresh_token(app, client, team_user):
    login(client, team_user.email)
    api = app.test_client()
    first = api_login(api, team_user.email)
    api_refresh(api, first["refresh_token"])

    api_refresh(api, first["refresh_token"])

    assert signed_in(client)


def test_an_api_session_ends_when_idle(app, team_user, clock):
    api = app.test_client()
    tokens = api_login(api, team_user.email)

    clock.advance(minutes=31)

    assert api_refresh(api, tokens["refresh_token"]).status_code == 401


def test_a_token_without_a_session_is_refused(app, team_user):
    from flask_jwt_extended import create_access_token

    token = create_access_token(identity=str(team_user.id), fresh=True)

    assert api_get(app.test_client(), token).status_code == 401


def test_a_login_without_refresh_gives_no_refresh_token(app, team_user):
    tokens = api_login(app.test_client(), team_user.email, refresh=False)

    assert set(tokens) == {"access_token"}
