"""A file's page and thumbnails, as the team and the organisation reach them."""

import io

import pytest

from app.domain.policy import Role
from app.models import FileKind
from app.services.file import Upload, add_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.services.test_preview import SQUARE
from tests.views.conftest import login


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory(name="Atelier A"))


def upload(member, name: str, data: bytes) -> tuple[int, int]:
    project = ProjectFactory(organisation_id=member.organisation_id)
    (stored,) = add_files(
        viewer(member), project.id, FileKind.PROJECT, [Upload(name, io.BytesIO(data))]
    )
    return project.id, stored.id


def test_the_project_page_links_each_file_to_its_sheet_with_a_thumbnail(
    app, client, member, monkeypatch
):
    monkeypatch.setitem(app.config, "PREVIEWS_ENABLED", True)
    project_id, file_id = upload(member, "rectangle.nc", SQUARE)
    login(client, member.email)

    page = client.get(f"/portal/projects/{project_id}").get_data(as_text=True)
    sheet = client.get(f"/portal/projects/{project_id}/files/{file_id}/view")
    thumbnail = client.get(f"/portal/projects/{project_id}/files/{file_id}/preview/thumbnail")

    assert f'href="/portal/projects/{project_id}/files/{file_id}/view"' in page
    assert f'src="/portal/projects/{project_id}/files/{file_id}/preview/thumbnail"' in page
    assert "16\u00a0s estimés" in page
    assert sheet.status_code == 200
    text = sheet.get_data(as_text=True)
    assert (
        "Temps de cycle estimé" in text and "FRAISE 6MM" in text and 'data-kind="toolpath"' in text
    )
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/png"
    assert thumbnail.headers["X-Content-Type-Options"] == "nosniff"
    assert thumbnail.headers["Cache-Control"] == "no-store"
    thumbnail.close()


def test_a_file_not_read_yet_says_so_and_a_kind_never_read_says_what_is_known(client, member):
    waiting_project, waiting = upload(member, "rectangle.nc", SQUARE)
    other_project, other = upload(member, "offre.docx", b"PK\x03\x04 a document")
    login(client, member.email)

    pending = client.get(f"/portal/projects/{waiting_project}/files/{waiting}/view")
    unknown = client.get(f"/portal/projects/{other_project}/files/{other}/view")

    assert "L'aperçu est en préparation" in pending.get_data(as_text=True)
    text = unknown.get_data(as_text=True)
    assert "ne fait pas d'aperçu de ce type de fichier" in text
    assert "Empreinte SHA-256" in text and "offre.docx" in text
    missing = client.get(f"/portal/projects/{waiting_project}/files/{waiting}/preview/picture")
    assert missing.status_code == 404
    missing.close()


def test_another_organisation_finds_no_file_page_and_the_team_is_sent_to_its_own(
    app, client, member
):
    project_id, file_id = upload(member, "rectangle.nc", SQUARE)
    stranger = UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()).email
    team = UserFactory(role=Role.TEAM).email

    login(client, stranger)
    foreign = client.get(f"/portal/projects/{project_id}/files/{file_id}/view")
    client.get("/logout/")
    login(client, team)
    redirected = client.get(f"/portal/projects/{project_id}/files/{file_id}/view")
    own = client.get(f"/admin/projects/{project_id}/files/{file_id}/view")

    assert foreign.status_code == 404 and "rectangle.nc" not in foreign.get_data(as_text=True)
    assert redirected.status_code == 302
    assert redirected.location.endswith(f"/admin/projects/{project_id}/files/{file_id}/view")
    assert own.status_code == 200 and "rectangle.nc" in own.get_data(as_text=True)
