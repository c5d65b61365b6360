"""An app with CSRF on, two organisations full of canaries, and one logged-in client per role."""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder import Model
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import EmailMessage, RequestedService
from tests.conftest import PERMISSION_TABLES, clean_database, empty_storage, make_app
from tests.factories import (
    PASSWORD,
    CommentFactory,
    FileFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)

# Planted in organisation B: none may reach a user of organisation A.
B_CANARIES = (
    "CANARY-B-ORG",
    "CANARY-B-TITLE",
    "CANARY-B-CLIENT",
    "CANARY-B-FILE.step",
    "CANARY-B-COMMENT",
    "CANARY-B-INTERNAL",
    "CANARY-B-EMAIL",
)
# Planted in organisation A: none may reach organisation B.
A_CANARIES = ("CANARY-A-TITLE", "CANARY-A-CLIENT", "CANARY-A-FILE.step", "CANARY-A-COMMENT")
# An internal note on A's project: only Admin and Team may ever read it.
INTERNAL_CANARY = "CANARY-INTERNAL"

# Ids and names no row has: FAB's security views get them for the cells that would write.
MISSING_ID = 987654321
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class World:
    """What the matrix needs to fill URLs: named values, and the users' logins."""

    emails: dict[str, str]
    # Values for URL arguments, with organisation A's project, file and comment.
    values: dict[str, object]
    # The same with organisation B's rows instead: the foreign ids member A aims at.
    foreign_values: dict[str, object]


@dataclass
class RoleClient:
    """A test client logged in (or not) as one role, with its session's CSRF token."""

    role: str
    client: FlaskClient
    csrf_token: str


@pytest.fixture(scope="session")
def csrf_app(base_app, database_url: str, storage_dir: Path) -> Iterator[Flask]:
    """A second app on base_app's migrated database, with CSRF protection on as in production."""
    del base_app  # requested so the database is migrated and the roles synced
    app = make_app(database_url, storage_dir, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(csrf_app: Flask, storage_dir: Path) -> Iterator[World]:
    """Plant organisations A and B with canaries; every row and blob is gone afterwards.

    No app context stays pushed while the tests send requests: each request gets its own
    session, as in production, so nothing loaded here sits in an identity map it could reuse.
    """
    try:
        with csrf_app.app_context():
            planted = _plant(csrf_app)
            db.session.remove()
        yield planted
    finally:
        with csrf_app.app_context():
            db.session.remove()
            clean_database(db.engine)
        empty_storage(storage_dir)


def _plant(app: Flask) -> World:
    org_a = OrganisationFactory(name="Atelier A")
    org_b = OrganisationFactory(name="CANARY-B-ORG")
    users = {
        "member_a": UserFactory(role=Role.ORG_MEMBER, organisation=org_a),
        "org_admin_a": UserFactory(role=Role.ORG_ADMIN, organisation=org_a),
        "member_b": UserFactory(role=Role.ORG_MEMBER, organisation=org_b),
        "team": UserFactory(role=Role.TEAM),
        "admin": UserFactory(role=Role.ADMIN),
    }
    # A user nobody logs in as: FAB's user screens read it, so no logged-in account is touched.
    spare = UserFactory(role=Role.TEAM)
    mine = ProjectFactory(organisation=org_a, title="CANARY-A-TITLE", client_name="CANARY-A-CLIENT")
    theirs = ProjectFactory(
        organisation=org_b, title="CANARY-B-TITLE", client_name="CANARY-B-CLIENT"
    )
    # A service both projects asked for (B's outlives the cells deleting A's): Admin may rename
    # or withdraw it, never delete it.
    service = RequestedService(name="Usinage matrice", position=1)
    mine.services.append(service)
    theirs.services.append(service)
    storage = app.extensions["storage"]
    my_file = FileFactory(
        project_obj=mine,
        original_name="CANARY-A-FILE.step",
        storage_key=storage.save(io.BytesIO(b"ISO-10303-21; A"), 1024).key,
    )
    their_file = FileFactory(
        project_obj=theirs,
        original_name="CANARY-B-FILE.step",
        storage_key=storage.save(io.BytesIO(b"ISO-10303-21; B"), 1024).key,
    )
    my_comment = CommentFactory(project_obj=mine, body="CANARY-A-COMMENT")
    CommentFactory(project_obj=mine, body=INTERNAL_CANARY, is_internal=True)
    their_comment = CommentFactory(project_obj=theirs, body="CANARY-B-COMMENT")
    CommentFactory(project_obj=theirs, body="CANARY-B-INTERNAL", is_internal=True)
    # A failed email about B's project: the team's log shows it, with a way to resend it.
    email = EmailMessage(
        dedupe_key="matrix-email",
        kind="status_changed",
        project_id=theirs.id,
        recipient="client-b@example.test",
        language="fr",
        subject="CANARY-B-EMAIL",
        body_text="CANARY-B-EMAIL",
        body_html="<p>CANARY-B-EMAIL</p>",
        status="FAILED",
    )
    db.session.add(email)
    db.session.commit()
    security = app.appbuilder.sm
    role = security.find_role(Role.TEAM.value)
    permission_view = db.session.scalars(select(security.permissionview_model).limit(1)).one()
    values: dict[str, object] = {
        "project": mine.id,
        "file": my_file.id,
        "comment": my_comment.id,
        "organisation": org_a.id,
        "member": users["member_a"].id,
        "email": email.id,
        "service": service.id,
        "invitation": "no-such-invitation",
        "user": spare.id,
        "role": role.id,
        "permission": permission_view.permission.id,
        "view_menu": permission_view.view_menu.id,
        "permission_view": permission_view.id,
        "missing": MISSING_ID,
        "filename": "matrix.csv",
        "version": "v1",
        "locale": "fr",
        "asset": "thumbnail",
        "group_by": "0",
        "user_action": "resetpasswords",
        "role_action": "copyrole",
        "no_action": "no-such-action",
    }
    foreign = values | {
        "project": theirs.id,
        "file": their_file.id,
        "comment": their_comment.id,
        "organisation": org_b.id,
        "member": users["member_b"].id,
    }
    return World(
        emails={name: user.email for name, user in users.items()},
        values=values,
        foreign_values=foreign,
    )


def csrf_token_of(client: FlaskClient) -> str:
    """Read the CSRF token the login form carries for this client's session."""
    page = client.get("/login/", follow_redirects=True)
    found = _CSRF_FIELD.search(page.text)
    assert found, f"no csrf_token field on {page.request.path}"
    return found[1]


def log_in(csrf_app: Flask, role: str, world: World) -> RoleClient:
    """Return a client for ``role``, logged in through the real /login/ form with its token."""
    client = csrf_app.test_client()
    token = csrf_token_of(client)
    if role != "anonymous":
        response = client.post(
            "/login/",
            data={"username": world.emails[role], "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, response.text
        assert not response.location.startswith("/login"), f"{role} could not log in"
    return RoleClient(role=role, client=client, csrf_token=token)


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table of ours, to show a refused write changed nothing."""
    state = {}
    for table in Model.metadata.sorted_tables:
        if table.name in PERMISSION_TABLES:
            continue
        rows = db.session.execute(select(table)).all()
        state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return state
