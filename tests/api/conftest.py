"""API clients holding a JWT per role, on the security matrix's two organisations of canaries."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD

# The portal's security matrix plants them: the API is held to the same canaries.
from tests.security.conftest import World, csrf_app, world  # noqa: F401


@dataclass
class ApiClient:
    """A test client sending one role's bearer token (none for anonymous) with every call."""

    role: str
    client: FlaskClient
    token: str | None

    def call(self, method: str, url: str, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open(url, method=method, headers=headers, **kwargs)


def token_for(app: Flask, email: str) -> str:
    """Log in through FAB's security API, as any API client does."""
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": email, "password": PASSWORD, "provider": "db"},
    )
    assert response.status_code == 200, response.text
    return response.json["access_token"]


@pytest.fixture
def api_as(csrf_app: Flask, world: World) -> Callable[[str], ApiClient]:  # noqa: F811
    """Return an API client for a role of the world: anonymous, member_a, …, team, admin."""

    def make(role: str) -> ApiClient:
        token = None if role == "anonymous" else token_for(csrf_app, world.emails[role])
        return ApiClient(role, csrf_app.test_client(), token)

    return make
