"""`flask cnc storage-check`, `storage-migrate` and `storage-sweep`, as an operator runs them."""

import hashlib
import io
import os
import time

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, FilePreview
from app.services.file import Upload, add_files, open_file
from app.storage import MARKER, LocalStorage, file_digest
from tests.conftest import bucket_names, free_port
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["cnc", *args])


@pytest.fixture
def stored(app):
    """Two project files (one past the multipart threshold) and a preview's picture, on disk."""
    member = viewer(UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()))
    project_id = ProjectFactory(organisation_id=member.organisation_id).id
    contents = [os.urandom(1000), os.urandom(9 * 1024 * 1024)]
    uploads = [Upload(filename=f"f{n}.stl", stream=io.BytesIO(c)) for n, c in enumerate(contents)]
    files = add_files(member, project_id, FileKind.PROJECT, uploads)
    picture = app.extensions["storage"].save(io.BytesIO(b"\x89PNG picture"), 1024)
    db.session.add(
        FilePreview(
            sha256=files[0].sha256,
            reader="mesh",
            generator_version=1,
            outcome="READY",
            picture_key=picture.key,
        )
    )
    db.session.commit()
    return member, project_id, files, contents, picture.key


@pytest.fixture
def s3_settings(app, make_s3_store, monkeypatch):
    """Point the S3 settings at an empty bucket of the test server; return its store."""
    store = make_s3_store()
    for name, value in {
        "S3_BUCKET": store.bucket,
        "S3_PREFIX": store.prefix,
        "S3_ENDPOINT_URL": store.endpoint_url,
        "S3_REGION": store.region,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return store


def test_storage_check_writes_reads_and_deletes_a_probe(app, storage):
    result = run(app, "storage-check")

    assert result.exit_code == 0, result.output
    assert f"File store: local directory {storage.root}" in result.output
    assert "read them back unchanged" in result.output and "deleted it" in result.output
    assert list(storage.blobs()) == []


def test_storage_check_says_what_failed_on_a_store_that_does_not_answer(app, monkeypatch):
    from app.storage.s3 import S3Storage

    port = free_port()
    silent = S3Storage("cnc-nowhere", endpoint_url=f"http://127.0.0.1:{port}", region="eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.setitem(app.extensions, "storage", silent)

    result = run(app, "storage-check")

    assert result.exit_code == 1
    assert f"S3 bucket cnc-nowhere at http://127.0.0.1:{port}" in result.output
    assert "failed: The files could not be stored, so nothing was saved." in result.output
    assert "Could not connect to the endpoint URL" in result.output
    assert "The file store does not work" in result.output


def test_files_and_pictures_move_to_s3_checked_and_the_copy_resumes(
    app, stored, s3_settings, monkeypatch
):
    member, project_id, files, contents, picture_key = stored
    # Copies are not uploads: what was stored is copied whatever the upload limit says now.
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 8)

    first = run(app, "storage-migrate", "--to", "s3")

    assert first.exit_code == 0, first.output
    assert "3 file(s) copied (9.0 MB), 0 already there, 0 missing" in first.output
    names = {s3_settings.prefix + key for key in [f.storage_key for f in files] + [picture_key]}
    assert set(bucket_names(s3_settings)) == names
    again = run(app, "storage-migrate", "--to", "s3")
    assert "0 file(s) copied (0.0 MB), 3 already there" in again.output
    # The application on the bucket serves the same bytes.
    monkeypatch.setitem(app.extensions, "storage", s3_settings)
    for stored_file, content in zip(files, contents, strict=True):
        _, stream = open_file(member, project_id, stored_file.id)
        with stream:
            assert stream.read() == content


def test_a_copy_that_differs_from_its_recorded_sha256_is_refused_and_removed(
    app, stored, s3_settings, storage
):
    _, _, files, _, _ = stored
    altered = files[0].storage_key
    path = storage.root / altered[:2] / altered[2:4] / altered
    path.write_bytes(b"bit rot" + path.read_bytes()[7:])

    result = run(app, "storage-migrate", "--to", "s3")

    assert result.exit_code == 1
    assert "2 file(s) copied" in result.output and "1 failed" in result.output
    assert f"failed: {altered}: its bytes do not match the SHA-256 recorded" in result.output
    assert s3_settings.prefix + altered not in bucket_names(s3_settings)


def test_files_come_back_from_s3_into_a_new_directory(app, stored, s3_settings, tmp_path):
    _, _, files, contents, picture_key = stored
    assert run(app, "storage-migrate", "--to", "s3").exit_code == 0
    app.config["STORAGE_BACKEND"] = "s3"
    app.config["STORAGE_DIR"], kept_dir = str(tmp_path / "new"), app.config["STORAGE_DIR"]
    app.extensions["storage"], kept = s3_settings, app.extensions["storage"]
    try:
        result = run(app, "storage-migrate", "--to", "local")
    finally:
        app.config["STORAGE_BACKEND"], app.config["STORAGE_DIR"] = "local", kept_dir
        app.extensions["storage"] = kept

    assert result.exit_code == 0, result.output
    assert "3 file(s) copied" in result.output
    back = LocalStorage(tmp_path / "new")
    assert (back.root / MARKER).is_file()
    for stored_file, content in zip(files, contents, strict=True):
        assert file_digest(back, stored_file.storage_key) == hashlib.sha256(content).hexdigest()
    assert back.exists(picture_key)


def test_migrating_to_the_store_in_use_is_refused(app):
    result = run(app, "storage-migrate", "--to", "local")

    assert result.exit_code == 1
    assert "The files are already in the local store." in result.output


def test_storage_sweep_deletes_old_blobs_no_row_names_and_keeps_the_rest(app, stored, storage):
    _, _, files, _, picture_key = stored
    orphans = [storage.save(io.BytesIO(b"left behind"), 100).key for _ in range(2)]
    old = orphans[0]
    day_ago = time.time() - 25 * 3600
    for key in [old, picture_key, *(f.storage_key for f in files)]:
        os.utime(storage.root / key[:2] / key[2:4] / key, (day_ago, day_ago))

    result = run(app, "storage-sweep")

    assert result.exit_code == 0, result.output
    assert "1 blob(s) no row names deleted." in result.output
    assert not storage.exists(old)
    # Too recent to tell from an upload going on; the named ones are never touched.
    assert storage.exists(orphans[1]) and storage.exists(picture_key)
    assert all(storage.exists(f.storage_key) for f in files)


def test_storage_sweep_refuses_to_empty_a_store_its_database_does_not_know(app, storage):
    # A database that names nothing of a full store is another store's (a staging copy, say).
    strays = [storage.save(io.BytesIO(b"someone else's"), 100).key for _ in range(12)]
    day_ago = time.time() - 25 * 3600
    for key in strays:
        os.utime(storage.root / key[:2] / key[2:4] / key, (day_ago, day_ago))

    refused = run(app, "storage-sweep")

    assert refused.exit_code == 1
    assert "12 of the 12 stored blobs are named by no row" in refused.output
    assert all(storage.exists(key) for key in strays)
    forced = run(app, "storage-sweep", "--force")
    assert "12 blob(s) no row names deleted." in forced.output
    assert list(storage.blobs()) == []
