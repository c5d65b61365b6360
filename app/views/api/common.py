"""What every endpoint of the API shares: the caller, JSON input, refusals as JSON messages.

Each endpoint parses its input, calls one service as the caller, and maps the service's refusal
to a status code and a message in the caller's language: 404 for what the caller may not see,
403 for what they may see but not do, 409 for a refused move, 422 for invalid input.
"""

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request
from flask_appbuilder.api import BaseApi
from marshmallow import Schema, ValidationError

from app.domain.errors import N_, DomainError, Invalid, NotFound, PermissionDenied
from app.domain.policy import Viewer
from app.request_scope import scope_to
from app.security import current_viewer
from app.views.errors import message_of

# Ids are 32-bit integers in the database; a larger one names no row.
MAX_ID = 2**31 - 1


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
            }
        },
    }


RESPONSES = {**BaseApi.responses, "409": _error("Conflict: the move or change is refused")}


class ApiMixin:
    """Give an API class the caller, its JSON body and its refusals."""

    responses = RESPONSES
    # Tokens only: a browser's session cookie would let another site post on the user's behalf.
    allow_browser_login = False

    def caller(self) -> Viewer:
        """Return the caller, with the session scoped to what they may see.

        The token is checked by FAB inside the endpoint; scoping again here keeps the tenant rule
        independent of the order the request hooks ran in.

        :raise PermissionDenied: for an account without a role of ours.
        """
        viewer = current_viewer()
        if viewer is None:
            raise PermissionDenied(N_("Your account has no role in CNC Pulse."))
        scope_to(viewer)
        return viewer

    def refused(self, error: DomainError) -> Response:
        return self.response(error.http_status, message=message_of(error))  # type: ignore[attr-defined]


def answers_refusals(f: Callable[..., Response]) -> Callable[..., Response]:
    """Map a service's refusal to a JSON answer with its status code and message."""

    @functools.wraps(f)
    def wrapper(self: ApiMixin, *args: Any, **kwargs: Any) -> Response:
        for name in ("pk", "file_id"):
            if name in kwargs and not 0 < kwargs[name] <= MAX_ID:
                return self.refused(NotFound(N_("Project not found.")))
        try:
            return f(self, *args, **kwargs)
        except DomainError as error:
            return self.refused(error)

    return wrapper


def json_body(schema: Schema) -> dict[str, Any]:
    """Read and check the request's JSON object.

    :raise Invalid: for a body that is not a JSON object, or fields missing, unknown or
        malformed, naming them.
    """
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise Invalid(N_("Send a JSON object (Content-Type: application/json)."))
    try:
        return schema.load(data)
    except ValidationError as error:
        raise Invalid(
            N_("These fields are missing, unknown or malformed: %(fields)s."),
            fields=", ".join(sorted(str(name) for name in error.messages)),
        ) from None
