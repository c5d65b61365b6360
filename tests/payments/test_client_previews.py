"""The client's page shows a marked picture of each deliverable before payment, never the file."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import FileKind, FilePreview, ProjectFile
from app.services.file import Upload, add_files
from app.services.workflow import change_status
from tests.factories import ProjectFactory
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event
from tests.services.test_preview import SQUARE


@pytest.fixture
def previews_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "PREVIEWS_ENABLED", True)


def with_program(cast):
    payable = payable_project(cast, deliverables=0)
    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("bride-op10.nc", io.BytesIO(SQUARE))],
    )
    file_id = db.session.scalar(
        select(ProjectFile.id).where(ProjectFile.project_id == payable.project_id)
    )
    return payable, file_id


def test_before_payment_only_the_marked_picture_is_served(previews_on, cast, client):
    payable, file_id = with_program(cast)
    base = f"/pay/{payable.token}/files/{file_id}"

    page = client.get(f"/pay/{payable.token}")
    marked = client.get(f"{base}/preview/watermark")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"{base}/preview/watermark" in html
    # One line of figures: the estimated time of the 16.2 s program.
    assert "16\u00a0s estimé" in html or "16\u00a0s" in html
    for hidden in (f"{base}/preview/picture", f"{base}/preview/thumbnail", f"{base}/view"):
        assert hidden not in html
    assert f'href="{base}"' not in html
    assert marked.status_code == 200 and marked.mimetype == "image/png"
    assert marked.headers["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(marked.data)) as picture:
        assert picture.size == (400, 300)
    marked.close()
    for refused in ("picture", "thumbnail", "viewer"):
        assert client.get(f"{base}/preview/{refused}").status_code == 404
    assert client.get(f"{base}/view").status_code == 404
    download = client.get(base)
    assert download.status_code == 404 and b"G1 X100" not in download.data


def test_after_payment_the_client_reads_the_sheet_and_its_viewer_data(
    previews_on, cast, client, stripe_standin
):
    payable, file_id = with_program(cast)
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))
    base = f"/pay/{payable.token}/files/{file_id}"

    page = client.get(f"/pay/{payable.token}")
    sheet = client.get(f"{base}/view")
    toolpath = client.get(f"{base}/preview/viewer")

    assert f"{base}/view" in page.get_data(as_text=True)
    assert sheet.status_code == 200
    text = sheet.get_data(as_text=True)
    assert "bride-op10.nc" in text and "FRAISE 6MM" in text
    assert "Temps de cycle estimé" in text
    assert toolpath.status_code == 200 and toolpath.data[:8] == b"CNCPATH1"
    toolpath.close()
    picture = client.get(f"{base}/preview/picture")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    picture.close()


def test_a_preview_of_another_projects_file_is_not_found(previews_on, cast, client):
    payable, _ = with_program(cast)
    other, other_file = with_program(cast)
    assert db.session.scalar(select(FilePreview.id)) is not None

    answer = client.get(f"/pay/{payable.token}/files/{other_file}/preview/watermark")

    assert answer.status_code == 404
    assert answer.mimetype == "text/html"


def test_the_payment_request_lists_each_deliverable_with_its_figures(previews_on, cast, smtp):
    project = ProjectFactory(
        organisation_id=cast.org_a_id,
        status="IN_PROGRESS",
        final_price_cents=18000,
        client_email="client.final@example.test",
    )
    add_files(
        cast.team,
        project.id,
        FileKind.DELIVERABLE,
        [Upload("bride-op10.nc", io.BytesIO(SQUARE))],
    )

    change_status(cast.team, project.id, "COMPLETED")

    (email,) = smtp.to("client.final@example.test")
    text = email.get_body(("plain",)).get_content().replace("\r\n", "\n")
    figures = "16\u00a0s estimés · 1 outil(s) · 100\u00a0×\u00a050\u00a0×\u00a06\u00a0mm"
    assert f"Livrables :\n\n- bride-op10.nc ({figures})" in text
