"""Organisation A's portal never shows nor changes anything of B's, nor internal notes."""

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_appbuilder import Model
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import Project
from app.services.file import Upload, add_files
from tests.conftest import PERMISSION_TABLES, stored_files
from tests.factories import (
    CommentFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
    viewer,
)
from tests.views.conftest import login

CANARIES = (
    "CANARY-B-TITLE",
    "CANARY-B-CLIENT",
    "CANARY-B-FILE",
    "CANARY-B-COMMENT",
    "CANARY-B-DESCRIPTION",
    "CANARY-A-INTERNAL",
)


@dataclass(frozen=True)
class World:
    mine: int
    my_file: int
    theirs: int
    their_file: int
    org_b: int
    email_a: str
    admin_a: str


@pytest.fixture
def world(app) -> World:
    org_a, org_b = OrganisationFactory(name="Atelier A"), OrganisationFactory(name="Atelier B")
    member_a = UserFactory(role=Role.ORG_MEMBER, organisation=org_a)
    admin_a = UserFactory(role=Role.ORG_ADMIN, organisation=org_a)
    member_b = UserFactory(role=Role.ORG_MEMBER, organisation=org_b)
    mine = ProjectFactory(organisation=org_a, title="Projet A", status="COMPLETED")
    CommentFactory(project_obj=mine, body="CANARY-A-INTERNAL note", is_internal=True)
    theirs = ProjectFactory(
        organisation=org_b,
        title="CANARY-B-TITLE",
        client_name="CANARY-B-CLIENT",
        description="CANARY-B-DESCRIPTION",
        status="COMPLETED",
    )
    CommentFactory(project_obj=theirs, body="CANARY-B-COMMENT")
    ids = (mine.id, theirs.id, org_b.id, member_a.email, admin_a.email)
    (my_file,) = add_files(viewer(member_a), ids[0], _kind(), [_upload("plan-a.step")])
    (their_file,) = add_files(viewer(member_b), ids[1], _kind(), [_upload("CANARY-B-FILE.step")])
    return World(ids[0], my_file.id, ids[1], their_file.id, ids[2], ids[3], ids[4])


def _kind():
    from app.models import FileKind

    return FileKind.PROJECT


def _upload(name: str) -> Upload:
    return Upload(filename=name, stream=io.BytesIO(b"ISO-10303-21; " + name.encode()))


def database_state() -> dict[str, list[tuple]]:
    db.session.expire_all()
    return {
        table.name: sorted(tuple(map(repr, row)) for row in db.session.execute(select(table)))
        for table in Model.metadata.sorted_tables
        if table.name not in PERMISSION_TABLES
    }


def stored_blobs(storage_dir: Path) -> list[Path]:
    return stored_files(storage_dir)


@pytest.fixture(params=[Role.ORG_MEMBER, Role.ORG_ADMIN])
def client_a(request, app, world):
    client = app.test_client()
    login(client, world.email_a if request.param is Role.ORG_MEMBER else world.admin_a)
    return client


def readable_urls(world: World) -> list[str]:
    return [
        "/",
        "/portal/",
        "/portal/projects/",
        "/portal/projects/?q=CANARY",
        "/portal/projects/?q=canary&status=awaiting_payment",
        "/portal/projects/?status=COMPLETED&psize=100",
        f"/portal/projects/{world.mine}",
        f"/portal/projects/{world.mine}/edit",
        f"/portal/projects/{world.mine}/delete",
        f"/portal/projects/{world.mine}/files/{world.my_file}",
        "/account/",
    ]


def test_no_portal_page_shows_a_canary(client_a, world):
    for url in readable_urls(world):
        response = client_a.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        response.close()
        for canary in CANARIES:
            assert canary.lower() not in body.lower(), (url, canary)


def test_the_search_does_not_count_foreign_projects(client_a):
    page = client_a.get("/portal/projects/?q=CANARY").text

    assert "Aucun projet ne correspond." in page


def foreign_requests(world: World) -> list[tuple[str, str, dict]]:
    b, f = world.theirs, world.their_file
    edit = {"client_name": "pirate", "client_email": "p@example.test", "title": "pirate"}
    return [
        ("GET", f"/portal/projects/{b}", {}),
        ("GET", f"/portal/projects/{b}/edit", {}),
        ("POST", f"/portal/projects/{b}/edit", edit),
        ("GET", f"/portal/projects/{b}/delete", {}),
        ("POST", f"/portal/projects/{b}/delete", {"confirm": "yes"}),
        ("POST", f"/portal/projects/{b}/comments", {"body": "pirate"}),
        ("POST", f"/portal/projects/{b}/files", {"files": (io.BytesIO(b"x"), "pirate.step")}),
        ("GET", f"/portal/projects/{b}/files/{f}", {}),
        ("POST", f"/portal/projects/{b}/files/{f}/remove", {}),
        # Mixing ids: a foreign file under one's own project, one's own file under a foreign one.
        ("GET", f"/portal/projects/{world.mine}/files/{f}", {}),
        ("POST", f"/portal/projects/{world.mine}/files/{f}/remove", {}),
        ("GET", f"/portal/projects/{b}/files/{world.my_file}", {}),
        ("POST", f"/portal/projects/{b}/files/{world.my_file}/remove", {}),
    ]


def test_every_portal_url_with_foreign_ids_is_not_found_and_changes_nothing(
    client_a, world, storage_dir
):
    before, blobs = database_state(), stored_blobs(storage_dir)

    for method, url, data in foreign_requests(world):
        response = client_a.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url)
        body = response.get_data(as_text=True)
        response.close()
        assert not any(canary in body for canary in CANARIES), (method, url)

    assert database_state() == before
    assert stored_blobs(storage_dir) == blobs


def test_create_for_another_organisation_lands_in_ones_own(client_a, world):
    response = client_a.post(
        "/portal/projects/new",
        data={
            "client_name": "Client",
            "client_email": "client@example.test",
            "title": "Nouveau",
            "organisation_id": str(world.org_b),
            "organisation": str(world.org_b),
        },
    )

    assert response.status_code == 302
    created = db.session.scalars(select(Project).where(Project.title == "Nouveau")).one()
    assert created.organisation_id != world.org_b
    assert created.organisation.name == "Atelier A"
