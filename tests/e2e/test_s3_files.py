"""Files in an S3 bucket, in a real browser: a deliverable goes up and comes back byte for byte."""

import hashlib
import os
import re
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app.domain.policy import Role
from app.extensions import db
from app.models import ProjectFile
from app.storage.s3 import PART_BYTES, S3Storage
from tests.conftest import bucket_names, clean_database, make_app, stored_files, unfinished_uploads
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def s3_server(base_app, database_url, storage_dir, make_s3_store) -> Iterator[LiveServer]:
    """A live server whose files go to a bucket of the test S3 server, set up as in production."""
    del base_app  # requested so the database is migrated and the roles synced
    bucket = make_s3_store()
    app = make_app(
        database_url,
        storage_dir,
        WTF_CSRF_ENABLED=True,
        STORAGE_BACKEND="s3",
        S3_BUCKET=bucket.bucket,
        S3_PREFIX="cnc-pulse",
        S3_ENDPOINT_URL=bucket.endpoint_url,
        S3_REGION=bucket.region,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="s3-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            clean_database(db.engine)
            db.engine.dispose()


def test_a_deliverable_goes_to_the_bucket_and_downloads_unchanged(
    s3_server, page, tmp_path, storage_dir, artifacts
):
    with s3_server.app.app_context():
        team = UserFactory(role=Role.TEAM, email="claire@cnc-pulse.test")
        project = ProjectFactory(organisation=OrganisationFactory(), status="IN_PROGRESS")
        email, project_id = team.email, project.id
    store = s3_server.app.extensions["storage"]
    on_disk = stored_files(storage_dir)  # other browser tests may have left files there
    assert isinstance(store, S3Storage) and store.prefix == "cnc-pulse/"
    # Past the multipart threshold: the upload goes to the bucket in parts.
    content = os.urandom(PART_BYTES + 3 * 1024 * 1024)
    deliverable = tmp_path / "carter.nc"
    deliverable.write_bytes(content)

    page.goto(s3_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/dashboard/$"))
    page.goto(s3_server(f"/admin/projects/show/{project_id}"))
    form = page.locator("#upload-deliverable")
    form.locator("input[type=file]").set_input_files(str(deliverable))
    form.locator("button[type=submit]").click()
    page.locator(".alert-success").wait_for()
    link = page.locator("#section-deliverables .cnc-file-name a", has_text="carter.nc")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.nc"
    download.value.save_as(saved)
    page.screenshot(path=artifacts / "s3_deliverable.png", full_page=True)

    assert download.value.suggested_filename == "carter.nc"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()
    with s3_server.app.app_context():
        key = db.session.query(ProjectFile.storage_key).one()[0]
    assert bucket_names(store) == [f"cnc-pulse/{key}"] and unfinished_uploads(store) == []
    assert stored_files(storage_dir) == on_disk
