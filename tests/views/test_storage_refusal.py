"""A store that cannot write or read: the person is told plainly, never shown a server error."""

import errno
import html
import io
import os

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files
from tests.api.conftest import token_for
from tests.conftest import stored_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.services.test_storage_failures import FillingDisk
from tests.views.conftest import login

REFUSED_FR = (
    "Les fichiers n'ont pas pu être enregistrés : rien n'a été conservé. Réessayez plus tard."
)
real_open = open


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())


@pytest.fixture
def project_id(member) -> int:
    return ProjectFactory(organisation_id=member.organisation_id).id


def test_a_full_disk_refuses_the_portal_upload_in_words_and_keeps_nothing(
    client, member, project_id, storage_dir, monkeypatch
):
    login(client, member.email)
    monkeypatch.setattr("app.storage.local.open", FillingDisk(1024 * 1024).open, raising=False)

    # Encoded here: the test client would spool a body this large to a file of its own.
    boundary, body = encode_multipart(
        MultiDict(
            [
                ("files", FileStorage(io.BytesIO(b"ISO-10303-21;" * 1000), "bride.step")),
                ("files", FileStorage(io.BytesIO(b"\0" * 2 * 1024 * 1024), "plaque.stl")),
            ]
        )
    )

    response = client.post(
        f"/portal/projects/{project_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 302
    page = html.unescape(client.get(response.location).text)
    assert REFUSED_FR in page
    assert db.session.scalar(select(func.count(ProjectFile.id))) == 0
    assert stored_files(storage_dir) == []


def test_a_store_that_cannot_read_answers_a_download_with_503_in_words(
    app, client, member, project_id, monkeypatch
):
    (stored,) = add_files(
        viewer(member),
        project_id,
        FileKind.PROJECT,
        [Upload(filename="bride.step", stream=io.BytesIO(b"ISO-10303-21;"))],
    )
    login(client, member.email)

    def failing_disk(path, mode="r", *args, **kwargs):
        if "r" in mode:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("app.storage.local.open", failing_disk, raising=False)

    response = client.get(f"/portal/projects/{project_id}/files/{stored.id}")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    page = html.unescape(response.text)
    assert "Le stockage des fichiers ne répond pas pour le moment. Réessayez plus tard." in page
    assert "ISO-10303-21" not in page


def test_the_api_answers_503_with_the_reason_when_the_disk_is_full(
    app, client, member, project_id, storage_dir, monkeypatch
):
    headers = {"Authorization": f"Bearer {token_for(app, member.email)}"}
    monkeypatch.setattr("app.storage.local.open", FillingDisk(0).open, raising=False)

    response = client.post(
        f"/api/v1/project/{project_id}/files",
        data={"files": [(io.BytesIO(b"G21 G90\nM30\n"), "bride.nc")]},
        content_type="multipart/form-data",
        headers=headers,
    )

    assert response.status_code == 503
    assert response.json["message"] == REFUSED_FR
    assert db.session.scalar(select(func.count(ProjectFile.id))) == 0
    assert stored_files(storage_dir) == []
