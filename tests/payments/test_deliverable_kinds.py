"""The client's page names each deliverable's kind and serves it with its own content type."""

import io

from sqlalchemy import select

from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event

GCODE = b"G21 G90\nG0 X0 Y0\nM30\n"
STEP = b"ISO-10303-21;\nHEADER;\nENDSEC;\n"


def test_the_page_names_gcode_in_french_and_english(cast, client):
    payable = payable_project(cast)  # one deliverable, bride.nc, stored as opaque bytes

    french = client.get(f"/pay/{payable.token}?lang=fr").text
    english = client.get(f"/pay/{payable.token}?lang=en").text

    for page in (french, english):
        assert "bride.nc" in page
        assert '<td class="cnc-muted cnc-file-kind">G-code</td>' in page
        assert "octet-stream" not in page and "netcdf" not in page
    assert "Type de fichier" in french and "File type" in english


def test_the_page_names_a_step_model_in_each_language(cast, client):
    payable = payable_project(cast, deliverables=0)
    add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("bride.STEP", io.BytesIO(STEP))],
    )

    assert "Modèle STEP" in client.get(f"/pay/{payable.token}?lang=fr").text
    assert "STEP model" in client.get(f"/pay/{payable.token}?lang=en").text


def test_paid_deliverables_are_served_as_gcode_text_and_a_step_model(cast, client, stripe_standin):
    payable = payable_project(cast, deliverables=0)
    files = add_files(
        cast.team,
        payable.project_id,
        FileKind.DELIVERABLE,
        [Upload("bride.nc", io.BytesIO(GCODE)), Upload("bride.step", io.BytesIO(STEP))],
    )
    ids = {f.original_name: f.id for f in files}
    # Stored before file kinds were known: the G-code typed as netCDF.
    gcode_row = db.session.scalar(select(ProjectFile).where(ProjectFile.id == ids["bride.nc"]))
    gcode_row.content_type = "application/x-netcdf"
    db.session.commit()
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))

    for name, content_type, data in (
        ("bride.nc", "text/plain", GCODE),
        ("bride.step", "model/step", STEP),
    ):
        response = client.get(f"/pay/{payable.token}/files/{ids[name]}")
        assert response.status_code == 200
        assert response.mimetype == content_type
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data() == data
        response.close()
