"""Files shown and served as what they are, on the team's and the portal's faces."""

import io

import pytest
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.views.conftest import login

GCODE = b"G21 G90\nG0 X0 Y0\nM30\n"
STEP = b"ISO-10303-21;\nHEADER;\nENDSEC;\n"


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())


@pytest.fixture
def project_id(member) -> int:
    return ProjectFactory(organisation_id=member.organisation_id, status="IN_REVIEW").id


def stored_before(member, project_id: int) -> dict[str, int]:
    """Store a G-code and a STEP file typed as they used to be: netCDF and unknown bytes."""
    files = add_files(
        viewer(member),
        project_id,
        FileKind.PROJECT,
        [
            Upload("bride.nc", io.BytesIO(GCODE)),
            Upload("bride.step", io.BytesIO(STEP)),
        ],
    )
    ids = {f.original_name: f.id for f in files}
    for stored in db.session.scalars(select(ProjectFile).where(ProjectFile.id.in_(ids.values()))):
        stored.content_type = (
            "application/x-netcdf"
            if stored.original_name.endswith(".nc")
            else "application/octet-stream"
        )
    db.session.commit()
    return ids


def assert_served(response, content_type: str, data: bytes) -> None:
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data() == data
    response.close()


def test_the_team_downloads_gcode_as_text_and_step_as_a_model(client, member, project_id):
    ids = stored_before(member, project_id)
    login(client, UserFactory(role=Role.TEAM).email)

    gcode = client.get(f"/admin/projects/{project_id}/files/{ids['bride.nc']}/download")
    step = client.get(f"/admin/projects/{project_id}/files/{ids['bride.step']}/download")

    assert_served(gcode, "text/plain", GCODE)
    assert_served(step, "model/step", STEP)


def test_the_portal_downloads_gcode_as_text_and_step_as_a_model(client, member, project_id):
    ids = stored_before(member, project_id)
    login(client, member.email)

    gcode = client.get(f"/portal/projects/{project_id}/files/{ids['bride.nc']}")
    step = client.get(f"/portal/projects/{project_id}/files/{ids['bride.step']}")

    assert_served(gcode, "text/plain", GCODE)
    assert_served(step, "model/step", STEP)


def test_the_team_page_names_each_file_kind(client, member, project_id):
    stored_before(member, project_id)
    login(client, UserFactory(role=Role.TEAM).email)

    page = client.get(f"/admin/projects/show/{project_id}").text

    assert '<td class="cnc-file-kind">G-code</td>' in page
    assert '<td class="cnc-file-kind">Modèle STEP</td>' in page
    assert "Type de fichier" in page
    assert "netcdf" not in page


def test_the_portal_page_names_each_file_kind_in_french_and_english(client, member, project_id):
    stored_before(member, project_id)
    login(client, member.email)

    french = client.get(f"/portal/projects/{project_id}").text
    client.get("/lang/en")
    english = client.get(f"/portal/projects/{project_id}").text

    assert '<td class="cnc-file-kind">G-code</td>' in french
    assert '<td class="cnc-file-kind">Modèle STEP</td>' in french
    assert '<td class="cnc-file-kind">STEP model</td>' in english
    assert "netcdf" not in french and "netcdf" not in english
