"""The application on a bucket: previews read and keep their pictures there, zips read from it."""

import io
import zipfile

import pytest
from PIL import Image

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, FilePreview
from app.services.file import Upload, add_files, files_archive, open_file_preview, remove_file
from app.services.preview import forget_unused_previews
from tests.conftest import bucket_names, stored_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.services.test_preview import SQUARE


@pytest.fixture
def on_s3(app, make_s3_store, monkeypatch):
    """The application's store is a bucket of the test server, with the previews on."""
    store = make_s3_store()
    monkeypatch.setitem(app.extensions, "storage", store)
    monkeypatch.setitem(app.config, "PREVIEWS_ENABLED", True)
    return store


@pytest.fixture
def member(app):
    return viewer(UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()))


def test_a_program_on_s3_gets_its_pictures_kept_in_the_bucket(on_s3, member, storage_dir):
    project_id = ProjectFactory(organisation_id=member.organisation_id).id
    (stored,) = add_files(
        member, project_id, FileKind.PROJECT, [Upload("rectangle.nc", io.BytesIO(SQUARE))]
    )

    row = db.session.query(FilePreview).one()
    keys = [row.picture_key, row.thumbnail_key, row.watermark_key, row.viewer_key]
    assert row.outcome == "ready" and all(keys)
    assert set(bucket_names(on_s3)) == {f"cnc/{k}" for k in [stored.storage_key, *keys]}
    found = open_file_preview(member, project_id, stored.id, "thumbnail")
    with found.stream, Image.open(found.stream) as picture:
        assert picture.size == (240, 180)
    assert stored_files(storage_dir) == []

    remove_file(member, project_id, stored.id)
    assert forget_unused_previews() == 1
    assert bucket_names(on_s3) == []


def test_a_zip_of_files_on_s3_holds_each_file_whole(on_s3, member):
    project_id = ProjectFactory(organisation_id=member.organisation_id).id
    contents = {"a.step": b"ISO-10303-21;" * 5000, "b.nc": SQUARE}
    add_files(
        member,
        project_id,
        FileKind.PROJECT,
        [Upload(name, io.BytesIO(data)) for name, data in contents.items()],
    )

    archive = files_archive(member, project_id, FileKind.PROJECT)
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.stream()))) as unpacked:
        assert {name: unpacked.read(name) for name in unpacked.namelist()} == contents
