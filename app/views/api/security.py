"""FAB's token API, with tokens tied to a session kept on the server, slowed down for anyone
guessing passwords (see :mod:`app.views.sign_in`).

A login opens an API session; its access and refresh tokens carry the session's id (``sid``).
A refresh token works once: the refresh answers a new access token and a new refresh token,
and a refresh token presented a second time ends the session, every token of it included.
"""

from uuid import uuid4

from flask import Response, request
from flask_appbuilder.api import safe
from flask_appbuilder.const import (
    API_SECURITY_ACCESS_TOKEN_KEY,
    API_SECURITY_PROVIDER_DB,
    API_SECURITY_PROVIDER_LDAP,
    API_SECURITY_REFRESH_TOKEN_KEY,
)
from flask_appbuilder.security.api import SecurityApi as FabSecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.views import expose
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, jwt_required
from marshmallow import ValidationError

from app.domain.sessions import SessionKind
from app.services.sessions import rotate_refresh_token, start_session
from app.views.sign_in import (
    api_over_limit,
    failed_sign_in_limits,
    submitted_name,
    too_many_attempts_json,
)

SESSION_CLAIM = "sid"


def _tokens(identity: str, session_id: str, refresh_jti: str | None, fresh: bool) -> dict:
    claims = {SESSION_CLAIM: session_id}
    tokens = {
        API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(
            identity=identity, fresh=fresh, additional_claims=claims
        )
    }
    if refresh_jti is not None:
        tokens[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(
            identity=identity, additional_claims={**claims, "jti": refresh_jti}
        )
    return tokens


class SecurityApi(FabSecurityApi):
    """Log in and refresh as FAB does, under FAB's name, each token bound to its session; locked
    accounts and over-limit guessing are refused."""

    @expose("/login", methods=["POST"])
    @failed_sign_in_limits(api_over_limit)
    @safe
    def login(self) -> Response:
        """Authenticate; answer an access token, and a refresh token when asked.
        ---
        post:
          description: >-
            Authenticate and get a JWT access token, and a single-use refresh token when asked
            (each refresh answers a new one). Failed attempts are counted per
            account name and per address; over the limit, or for an account locked after repeated
            failures, the answer is 429 with the moment to try again.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username:
                      description: The username for authentication
                      example: admin
                      type: string
                    password:
                      description: The password for authentication
                      example: complex-password
                      type: string
                    provider:
                      description: Choose an authentication provider
                      example: db
                      type: string
                      enum:
                      - db
                      - ldap
                    refresh:
                      description: If true a refresh token is provided also
                      example: true
                      type: boolean
          responses:
            200:
              description: Authentication Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            429:
              description: Too many failed attempts; try again after the moment given
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            500:
              $ref: '#/components/responses/500'
        """
        until = self.appbuilder.sm.lock_of(submitted_name())
        if until is not None:
            return too_many_attempts_json(until)
        if not request.is_json:
            return self.response_400(message="Request payload is not JSON")
        try:
            payload = login_post.load(request.json)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        security = self.appbuilder.sm
        user = None
        if payload["provider"] == API_SECURITY_PROVIDER_DB:
            user = security.auth_user_db(payload["username"], payload["password"])
        elif payload["provider"] == API_SECURITY_PROVIDER_LDAP:
            user = security.auth_user_ldap(payload["username"], payload["password"])
        if not user:
            return self.response_401()
        refresh_jti = str(uuid4()) if payload.get("refresh") else None
        session_id = start_session(
            user.id,
            SessionKind.API,
            user_agent=request.user_agent.string,
            address=request.remote_addr or "",
            refresh_jti=refresh_jti,
        )
        return self.response(200, **_tokens(str(user.id), session_id, refresh_jti, fresh=True))

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self) -> Response:
        """Trade a refresh token, once, for a new access token and a new refresh token.
        ---
        post:
          description: >-
            Use the refresh token to get a new access token and a new refresh token; the
            refresh token used stops working, and using it again ends its session
          responses:
            200:
              description: Refresh Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            401:
              $ref: '#/components/responses/401'
            500:
              $ref: '#/components/responses/500'
          security:
            - jwt_refresh: []
        """
        claims = get_jwt()
        session_id = claims.get(SESSION_CLAIM)
        new_jti = str(uuid4())
        if not session_id or not rotate_refresh_token(session_id, claims["jti"], new_jti):
            return self.response_401()
        return self.response(200, **_tokens(claims["sub"], session_id, new_jti, fresh=False))
