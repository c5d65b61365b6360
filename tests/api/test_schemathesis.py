"""The API answers as its own OpenAPI document says: fuzzed by Schemathesis, role by role.

Each operation under /api/v1/project and /api/v1/export gets generated requests twice: with
random ids, and with the ids of organisation A's planted project and file (so that successful
answers are checked too). No answer may be a 5xx, use a status code or a content type the document
does not list, or break the response schema it declares.
"""

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for
from tests.security.conftest import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OURS = r"^/api/v1/(project|export)"
EXAMPLES = 12


def _operations(app: Flask, team_token: str) -> list:
    # The document is the team's to read (Swagger UI is for staff); every role is fuzzed from it.
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/_openapi", app, headers={"Authorization": f"Bearer {team_token}"}
    ).include(path_regex=OURS)
    operations = [result.ok() for result in schema.get_all_operations()]
    # What removes rows runs last, so the planted ids serve every other operation first.
    return sorted(operations, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))


@pytest.mark.parametrize("role", ["member_a", "team"])
def test_the_api_keeps_to_its_openapi_document(csrf_app: Flask, world: World, role: str):
    team_token = token_for(csrf_app, world.emails["team"])
    token = team_token if role == "team" else token_for(csrf_app, world.emails[role])
    headers = {"Authorization": f"Bearer {token}"}
    planted = {"pk": world.values["project"], "file_id": world.values["file"]}
    operations = _operations(csrf_app, team_token)
    client = csrf_app.test_client()
    assert len(operations) >= 14, [op.label for op in operations]

    for operation in operations:
        known = {k: v for k, v in planted.items() if "{" + k + "}" in operation.path}
        for path_parameters in ({}, known) if known else ({},):

            @given(case=operation.as_strategy(path_parameters=path_parameters or None))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def answers_as_documented(case) -> None:
                # Sent with our own test client, so that a streamed file is closed after reading.
                with client.open(**case.as_transport_kwargs(headers=headers)) as response:
                    response.get_data()
                    case.validate_response(response, checks=CHECKS)

            answers_as_documented()
