"""Helpers for the view tier: translations compiled, logging in through FAB's real login form,
the SQL a request runs."""

from pathlib import Path
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import event

from app.domain.policy import Role
from app.extensions import db
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def get_with_statements(client: FlaskClient, url: str, **kwargs: Any) -> tuple[list[str], Any]:
    """GET ``url`` (it must answer 200); return the SQL statements it ran, and the response.

    As on a server, the request starts from an empty session and loads its user again: the
    tests' app context would otherwise hand it the user of the previous request.
    """
    db.session.remove()
    g.pop("_login_user", None)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url, **kwargs)
        assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen, response


def statements_of(client: FlaskClient, url: str, **kwargs: Any) -> list[str]:
    """Return the SQL statements one GET of ``url`` runs; see ``get_with_statements``."""
    return get_with_statements(client, url, **kwargs)[0]


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log in through /login/ (the email is the user name) and check that it worked."""
    response = client.post("/login/", data={"username": email, "password": password})
    assert response.status_code == 302, response.text
    assert "/login" not in response.location


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def staff_client(client) -> FlaskClient:
    """A client logged in as a member of the CNC Pulse team."""
    login(client, UserFactory(role=Role.TEAM).email)
    return client
