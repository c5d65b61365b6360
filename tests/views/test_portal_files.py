"""The portal's files: upload, download as attachments, removal, and names and sizes that attack."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files
from tests.conftest import stored_files
from tests.factories import FileFactory, OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.views.conftest import login


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())


@pytest.fixture
def member_client(client, member):
    login(client, member.email)
    return client


@pytest.fixture
def project_id(member) -> int:
    return ProjectFactory(organisation_id=member.organisation_id).id


def stored(storage_dir: Path) -> list[Path]:
    return stored_files(storage_dir)


def file_count() -> int:
    return db.session.scalar(select(func.count(ProjectFile.id)))


def upload(client, project_id: int, *files: tuple[bytes, str]):
    return client.post(
        f"/portal/projects/{project_id}/files",
        data={"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def test_upload_several_files_then_download_one_as_an_attachment(member_client, project_id):
    response = upload(member_client, project_id, (b"<html>x</html>", "page.html"), (b"b", "b.nc"))
    assert response.status_code == 302
    first = db.session.scalars(select(ProjectFile).order_by(ProjectFile.id)).first()
    file_id, name = first.id, first.original_name

    download = member_client.get(f"/portal/projects/{project_id}/files/{file_id}")

    assert download.status_code == 200
    assert download.data == b"<html>x</html>"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert name in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/octet-stream"
    download.close()
    assert file_count() == 2


def test_remove_a_file_deletes_it_from_storage(member_client, project_id, storage_dir):
    upload(member_client, project_id, (b"abc", "piece.step"))
    file_id = db.session.scalar(select(ProjectFile.id))
    assert len(stored(storage_dir)) == 1

    response = member_client.post(f"/portal/projects/{project_id}/files/{file_id}/remove")

    assert response.status_code == 302
    assert file_count() == 0
    assert stored(storage_dir) == []


def test_a_cancelled_project_keeps_its_files_readable_but_frozen(member, member_client):
    project = ProjectFactory(organisation_id=member.organisation_id, status="CANCELLED")
    FileFactory(project_obj=project, original_name="kept.step")
    pid = project.id

    page = member_client.get(f"/portal/projects/{pid}").text
    refused = upload(member_client, pid, (b"x", "x.step"))

    assert "kept.step" in page
    assert "Ajouter des fichiers" not in page
    assert refused.status_code == 302
    assert "annulé" in member_client.get(refused.location).text
    assert file_count() == 1


def test_a_file_one_byte_over_the_limit_is_refused_and_nothing_is_stored(
    app, member_client, project_id, storage_dir
):
    limit = app.config["MAX_FILE_BYTES"]
    # Encoded in memory: the test client would spool so large a body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict({"files": FileStorage(io.BytesIO(b"0" * (limit + 1)), "big.step")})
    )

    response = member_client.post(
        f"/portal/projects/{project_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 302
    assert file_count() == 0
    assert stored(storage_dir) == []
    page = member_client.get(response.location).text
    assert "Un fichier ne peut pas dépasser 50 Mo" in page


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("evil\x00.step", "evil.step"),
        ("CON.txt", "_CON.txt"),
        ("<img src=x onerror=alert(1)>.step", "&lt;img src=x onerror=alert(1)&gt;.step"),
        ("a" * 400 + ".step", "a" * 250 + ".step"),
    ],
)
def test_hostile_names_are_stored_under_a_generated_key_and_shown_escaped(
    member_client, project_id, storage_dir, given, shown
):
    response = upload(member_client, project_id, (b"data", given))

    assert response.status_code == 302
    (path,) = stored(storage_dir)
    assert path.name == db.session.scalar(select(ProjectFile.storage_key))
    assert path.is_relative_to(storage_dir)
    page = member_client.get(f"/portal/projects/{project_id}").text
    assert shown in page
    assert "<img src=x" not in page


def test_fabs_generic_download_routes_are_not_there_to_serve_our_files(
    app, member, project_id, storage_dir, monkeypatch
):
    # The worst case: FAB's upload folder pointed at our storage. FAB's ModelView download route
    # is not registered on any view, so no name reaches a file.
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", f"{storage_dir}/")
    (blob,) = add_files(viewer(member), project_id, FileKind.PROJECT, [_upload()])
    key = blob.storage_key
    admin = app.test_client()
    login(admin, UserFactory(role=Role.ADMIN).email)
    routes = [r.rule for r in app.url_map.iter_rules() if "<string:filename>" in r.rule]

    assert routes == []
    for view in ("users", "roles", "permissions", "projectadminview"):
        for name in (key, f"{key}_sep_piece.step", f"{key[:2]}_sep_{key[2:4]}"):
            response = admin.get(f"/{view}/download/{name}")
            assert response.status_code == 404, (view, name)
            assert b"ISO-10303-21" not in response.get_data()


def _upload() -> Upload:
    return Upload(filename="piece.step", stream=io.BytesIO(b"ISO-10303-21; secret"))
