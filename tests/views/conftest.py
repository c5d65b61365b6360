"""Helpers for the view tier: translations compiled, logging in through FAB's real login form."""

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app.domain.policy import Role
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]


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
