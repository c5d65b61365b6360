"""The team and the organisation take all of a project's files as one zip, as they may one."""

import html
import io
import zipfile

import pytest

from app.domain.policy import Role
from app.models import FileKind
from app.services.file import Upload, add_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.views.conftest import login

PROGRAM = b"G21 G90\n" + b"G01 X10.000 Y20.000 F1200\n" * 500 + b"M30\n"
MODEL = b"ISO-10303-21;\nHEADER;\nENDSEC;\n"


@pytest.fixture
def team(app):
    return UserFactory(role=Role.TEAM)


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())


def project_with_files(team, organisation_id: int, status: str):
    project = ProjectFactory(organisation_id=organisation_id, status=status)
    add_files(
        viewer(team),
        project.id,
        FileKind.PROJECT,
        [Upload("bride.step", io.BytesIO(MODEL)), Upload("bride.step", io.BytesIO(b"v2"))],
    )
    add_files(
        viewer(team), project.id, FileKind.DELIVERABLE, [Upload("bride.nc", io.BytesIO(PROGRAM))]
    )
    return project


def unzip(response) -> zipfile.ZipFile:
    data = response.get_data()
    response.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_team_downloads_deliverables_and_project_files_as_zips(client, team, member):
    project = project_with_files(team, member.organisation_id, "IN_PROGRESS")
    login(client, team.email)

    page = client.get(f"/admin/projects/show/{project.id}").text
    deliverables = client.get(f"/admin/projects/{project.id}/files/archive")
    files = client.get(f"/admin/projects/{project.id}/files/archive?kind=PROJECT")

    assert f"/admin/projects/{project.id}/files/archive?kind=DELIVERABLE" in page
    assert f"/admin/projects/{project.id}/files/archive?kind=PROJECT" in page
    assert deliverables.headers["Content-Disposition"] == (
        f"attachment; filename={project.reference}-livrables.zip"
    )
    assert files.headers["Content-Disposition"] == (
        f"attachment; filename={project.reference}-fichiers.zip"
    )
    assert unzip(deliverables).read("bride.nc") == PROGRAM
    archive = unzip(files)
    assert archive.namelist() == ["bride.step", "bride (2).step"]
    assert archive.read("bride.step") == MODEL
    assert archive.read("bride (2).step") == b"v2"


def test_the_team_is_told_when_there_is_nothing_to_download(client, team, member):
    project = ProjectFactory(organisation_id=member.organisation_id, status="IN_PROGRESS")
    login(client, team.email)

    page = client.get(f"/admin/projects/show/{project.id}").text
    response = client.get(f"/admin/projects/{project.id}/files/archive", follow_redirects=True)

    assert "/files/archive" not in page
    assert response.request.path == f"/admin/projects/show/{project.id}"
    assert "Il n'y a pas encore de livrable à télécharger." in html.unescape(response.text)


def test_the_organisation_downloads_its_completed_projects_deliverables(client, team, member):
    project = project_with_files(team, member.organisation_id, "COMPLETED")
    login(client, member.email)

    page = client.get(f"/portal/projects/{project.id}").text
    deliverables = client.get(f"/portal/projects/{project.id}/files/archive")
    files = client.get(f"/portal/projects/{project.id}/files/archive?kind=PROJECT")

    assert f"/portal/projects/{project.id}/files/archive?kind=DELIVERABLE" in page
    assert unzip(deliverables).namelist() == ["bride.nc"]
    assert f"{project.reference}-fichiers.zip" in files.headers["Content-Disposition"]
    assert unzip(files).namelist() == ["bride.step", "bride (2).step"]


def test_the_organisation_gets_no_deliverables_before_completion(client, team, member):
    project = project_with_files(team, member.organisation_id, "IN_PROGRESS")
    login(client, member.email)

    page = client.get(f"/portal/projects/{project.id}").text
    deliverables = client.get(f"/portal/projects/{project.id}/files/archive")
    files = client.get(f"/portal/projects/{project.id}/files/archive?kind=PROJECT")

    assert "kind=DELIVERABLE" not in page
    assert deliverables.status_code == 404
    assert b"G21" not in deliverables.data
    assert unzip(files).read("bride.step") == MODEL


def test_another_organisation_gets_nothing_of_a_foreign_project(client, team, member):
    project = project_with_files(team, member.organisation_id, "COMPLETED")
    stranger = UserFactory(role=Role.ORG_ADMIN, organisation=OrganisationFactory())
    login(client, stranger.email)

    for kind in ("DELIVERABLE", "PROJECT"):
        response = client.get(f"/portal/projects/{project.id}/files/archive?kind={kind}")
        assert response.status_code == 404, kind
        assert b"G21" not in response.data and b"ISO-10303" not in response.data


def test_an_unknown_kind_is_not_found(client, team, member):
    project = project_with_files(team, member.organisation_id, "COMPLETED")
    login(client, team.email)

    assert client.get(f"/admin/projects/{project.id}/files/archive?kind=ALL").status_code == 404
