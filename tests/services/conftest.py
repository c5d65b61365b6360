"""People and organisations most service tests need, and a way to show a refusal changed nothing."""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask_appbuilder import Model
from sqlalchemy import select

from app.domain.policy import Role, Viewer
from app.extensions import db
from app.services.file import Upload
from tests.conftest import PERMISSION_TABLES
from tests.factories import OrganisationFactory, UserFactory, viewer


@dataclass
class Cast:
    admin: Viewer
    team: Viewer
    org_admin_a: Viewer
    member_a: Viewer
    member_b: Viewer
    org_a_id: int
    org_b_id: int


@pytest.fixture
def cast(app) -> Cast:
    org_a = OrganisationFactory(name="Atelier Dupont")
    org_b = OrganisationFactory(name="Mécanique Lefèvre")
    return Cast(
        admin=viewer(UserFactory(role=Role.ADMIN, first_name="Alice", last_name="Admin")),
        team=viewer(UserFactory(role=Role.TEAM, first_name="Théo", last_name="Équipe")),
        org_admin_a=viewer(UserFactory(role=Role.ORG_ADMIN, organisation=org_a)),
        member_a=viewer(
            UserFactory(
                role=Role.ORG_MEMBER, organisation=org_a, first_name="Lucas", last_name="Martin"
            )
        ),
        member_b=viewer(UserFactory(role=Role.ORG_MEMBER, organisation=org_b)),
        org_a_id=org_a.id,
        org_b_id=org_b.id,
    )


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table of ours, to compare before and after a refused use case."""
    db.session.expire_all()
    state = {}
    for table in Model.metadata.sorted_tables:
        if table.name in PERMISSION_TABLES:
            continue
        rows = db.session.execute(select(table)).all()
        state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return state


@pytest.fixture
def unchanged() -> Callable:
    """Run a callable that must fail, and check it left every table as it found it."""

    def check(call: Callable, error: type[Exception]) -> Exception:
        before = database_state()
        with pytest.raises(error) as raised:
            call()
        assert database_state() == before
        return raised.value

    return check


def upload(
    name: str = "piece.step", data: bytes = b"ISO-10303-21;", content_type: str | None = None
) -> Upload:
    return Upload(filename=name, stream=io.BytesIO(data), content_type=content_type)
