"""Every API endpoint × every role, with tokens: who gets what, and what nobody may read.

The URLs carry organisation A's ids: for member B they are foreign ids, answered 404 as if they did
not exist. A second run gives member A organisation B's ids and checks that no write aimed at
them changed a row. Responses of organisation users are searched for the other organisation's
canaries and for the team's internal note.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import jwt
import pytest
from flask import Flask

from app.extensions import db
from tests.api.conftest import ApiClient
from tests.security.conftest import World, database_state
from tests.security.test_route_matrix import leaked

ROLES = ("anonymous", "member_a", "org_admin_a", "member_b", "team", "admin")
WRITES = frozenset({"POST", "PUT", "DELETE"})
PERIOD = "start=2026-01-01&end=2026-12-31"
#            anonymous member_a org_admin_a member_b team admin
EVERYONE = (401, 200, 200, 200, 200, 200)
ON_A = (401, 200, 200, 404, 200, 200)
CREATED_ON_A = (401, 201, 201, 404, 201, 201)
TEAM_ON_A = (401, 403, 403, 404, 200, 200)
TEAM_ONLY = (401, 403, 403, 403, 200, 200)


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    outcomes: tuple[int, ...]
    json: Mapping[str, object] | None = None
    form: Mapping[str, object] = field(default_factory=dict)

    def expected(self, role: str) -> int:
        return self.outcomes[ROLES.index(role)]


# In the order they run: reads, then writes, then what removes rows.
CALLS = [
    Call("GET", "/api/v1/project/", EVERYONE),
    Call("GET", "/api/v1/project/_info", EVERYONE),
    Call("GET", "/api/v1/project/{project}", ON_A),
    Call("GET", "/api/v1/project/{project}/comments", ON_A),
    Call("GET", "/api/v1/project/{project}/files", ON_A),
    Call("GET", "/api/v1/project/{project}/files/{file}/download", ON_A),
    Call("GET", "/api/v1/export/projects", EVERYONE),
    Call("GET", "/api/v1/export/projects?dialect=excel-fr&status=pending", EVERYONE),
    Call("GET", f"/api/v1/export/journal?{PERIOD}", TEAM_ONLY),
    Call("POST", f"/api/v1/export/journal/batch?{PERIOD}", TEAM_ONLY),
    # The team must name the organisation: refused as invalid, not created elsewhere.
    Call(
        "POST",
        "/api/v1/project/",
        (401, 201, 201, 201, 422, 422),
        json={"client_name": "Client API", "client_email": "api@example.test", "title": "API"},
    ),
    Call("PUT", "/api/v1/project/{project}", ON_A, json={"title": "Renamed by the API"}),
    Call("PUT", "/api/v1/project/{project}", TEAM_ON_A, json={"priority": "HIGH"}),
    Call("PUT", "/api/v1/project/{project}", TEAM_ON_A, json={"estimated_price_cents": 12000}),
    Call("POST", "/api/v1/project/{project}/status", TEAM_ON_A, json={"status": "IN_REVIEW"}),
    Call("POST", "/api/v1/project/{project}/comments", CREATED_ON_A, json={"body": "Par l'API"}),
    Call(
        "POST",
        "/api/v1/project/{project}/comments",
        (401, 403, 403, 403, 201, 201),
        json={"body": "Note interne", "internal": True},
    ),
    Call("POST", "/api/v1/project/{project}/files", CREATED_ON_A, form={"kind": "project"}),
    Call(
        "POST",
        "/api/v1/project/{project}/files",
        (401, 403, 403, 404, 201, 201),
        form={"kind": "deliverable"},
    ),
    Call("DELETE", "/api/v1/project/{project}/files/{file}", ON_A),
    Call("DELETE", "/api/v1/project/{project}", ON_A),
]


def _send(who: ApiClient, call: Call, values: Mapping[str, object]):
    url = call.url.format(**values)
    if call.form:
        data = {**call.form, "files": (io.BytesIO(b"ISO-10303-21; api"), "api.step")}
        return who.call(call.method, url, data=data, content_type="multipart/form-data")
    return who.call(call.method, url, json=call.json)


def run_calls(app: Flask, who: ApiClient, values: Mapping[str, object], as_role: str) -> list[str]:
    problems = []
    for call in CALLS:
        guard = call.method in WRITES and call.expected(as_role) >= 400
        before = _state(app) if guard else None
        with _send(who, call, values) as response:
            body = response.get_data(as_text=True)
        where = f"{who.role:12} {call.method:6} {call.url} {call.json or call.form or ''}"
        if response.status_code != call.expected(as_role):
            problems.append(
                f"{where}: expected {call.expected(as_role)}, got "
                f"{response.status_code} {body[:200]}"
            )
        if response.status_code >= 400 and response.is_json:
            if not (response.json.get("message") or response.json.get("msg")):
                problems.append(f"{where}: a refusal without a message")
        problems += [f"{where}: the response holds {c}" for c in leaked(who.role, body)]
        if before is not None and _state(app) != before:
            problems.append(f"{where}: a refused call changed rows")
    return problems


def _state(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        try:
            return database_state()
        finally:
            db.session.remove()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(csrf_app: Flask, world: World, api_as, role: str):
    problems = run_calls(csrf_app, api_as(role), world.values, role)

    assert not problems, "\n".join(problems)


def test_member_a_with_organisation_b_ids_finds_nothing_and_changes_nothing(
    csrf_app: Flask, world: World, api_as
):
    """Member A aiming at B's project, file and comment gets what member B gets aiming at A's."""
    problems = run_calls(csrf_app, api_as("member_a"), world.foreign_values, "member_b")

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("role", "url", "canaries"),
    [
        ("team", "/api/v1/project/{project}/comments", ("CANARY-A-COMMENT", "CANARY-INTERNAL")),
        ("member_a", "/api/v1/project/", ("CANARY-A-TITLE", "CANARY-A-CLIENT")),
        ("member_a", "/api/v1/project/{project}/files", ("CANARY-A-FILE.step",)),
        ("member_a", "/api/v1/export/projects", ("CANARY-A-TITLE", "CANARY-A-CLIENT")),
        ("member_b", "/api/v1/export/projects", ("CANARY-B-TITLE", "CANARY-B-ORG")),
        ("admin", "/api/v1/project/", ("CANARY-A-TITLE", "CANARY-B-TITLE")),
    ],
)
def test_the_canaries_show_where_they_may(world: World, api_as, role, url, canaries):
    """These calls return the planted strings to those allowed: their absence elsewhere counts."""
    body = api_as(role).call("GET", url.format(**world.values)).get_data(as_text=True)

    assert [canary for canary in canaries if canary not in body] == []


def test_a_forged_or_foreign_token_is_refused_and_scopes_to_nothing(csrf_app: Flask, world: World):
    """A token signed with another key gets 422 from the token check, and no data at all."""
    forged = jwt.encode({"sub": "1", "type": "access", "fresh": False}, "x" * 40, "HS256")
    client = ApiClient("forged", csrf_app.test_client(), forged)

    response = client.call("GET", "/api/v1/project/")

    assert response.status_code in (401, 422)
    assert "CANARY" not in response.get_data(as_text=True)
