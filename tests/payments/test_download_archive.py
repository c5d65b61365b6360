"""After payment the client takes every deliverable at once: one zip, each file recorded."""

import html
import io
import zipfile

from sqlalchemy import func, select

from app.extensions import db
from app.models import DownloadRecord, FileKind, Project
from app.services.file import Upload, add_files
from tests.payments.conftest import open_checkout, payable_project, post_event
from tests.payments.stripe_standin import event

DRAWING = b"%PDF-1.7 plan de la bride " + bytes(range(256)) * 40
PROGRAM = b"G21 G90\n" + b"G01 X10.000 Y20.000 F1200\n" * 2000 + b"M30\n"
SECOND_PROGRAM = b"G21 G91\nG00 Z5\nM30\n"


def deliver(cast, project_id: int, *files: tuple[str, bytes]) -> None:
    add_files(
        cast.team,
        project_id,
        FileKind.DELIVERABLE,
        [Upload(name, io.BytesIO(data), None) for name, data in files],
    )


def pay(client, stripe_standin, payable) -> None:
    session_id = open_checkout(client, payable)
    post_event(client, event("checkout.session.completed", stripe_standin.pay(session_id)))


def records() -> list[DownloadRecord]:
    return list(db.session.scalars(select(DownloadRecord).order_by(DownloadRecord.file_name)))


def unzip(response) -> zipfile.ZipFile:
    data = response.get_data()
    response.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_after_payment_the_client_downloads_every_deliverable_as_one_zip(
    cast, client, stripe_standin
):
    payable = payable_project(cast, deliverables=0)
    deliver(
        cast,
        payable.project_id,
        ("plan-bride.pdf", DRAWING),
        ("programme.nc", PROGRAM),
        ("Programme.NC", SECOND_PROGRAM),
    )
    pay(client, stripe_standin, payable)
    reference = db.session.get(Project, payable.project_id).reference

    page = client.get(f"/pay/{payable.token}")
    response = client.get(
        f"/pay/{payable.token}/files.zip",
        headers={"User-Agent": "Navigateur du client"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )

    assert f"/pay/{payable.token}/files.zip" in page.text
    assert "Télécharger tout (zip)" in page.text
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={reference}-livrables.zip"
    )
    assert response.headers["Cache-Control"] == "no-store"
    archive = unzip(response)
    assert archive.testzip() is None
    # Two names that differ only by case would overwrite each other when unpacked.
    assert archive.namelist() == ["plan-bride.pdf", "programme.nc", "Programme (2).NC"]
    assert archive.read("plan-bride.pdf") == DRAWING
    assert archive.read("programme.nc") == PROGRAM
    assert archive.read("Programme (2).NC") == SECOND_PROGRAM
    # A PDF is stored as it is; G-code, plain text, is deflated.
    assert archive.getinfo("plan-bride.pdf").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("programme.nc").compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo("programme.nc").compress_size < len(PROGRAM) / 10
    found = records()
    assert [record.file_name for record in found] == [
        "Programme.NC",
        "plan-bride.pdf",
        "programme.nc",
    ]
    assert {(r.payment_link_id, r.remote_addr, r.user_agent) for r in found} == {
        (payable.link_id, "203.0.113.7", "Navigateur du client")
    }
    assert all(record.file_id for record in found)


def test_the_zip_is_named_in_the_clients_language(cast, client, stripe_standin):
    payable = payable_project(cast, deliverables=0)
    deliver(cast, payable.project_id, ("programme.nc", PROGRAM))
    pay(client, stripe_standin, payable)
    reference = db.session.get(Project, payable.project_id).reference

    page = client.get(f"/pay/{payable.token}?lang=en")
    response = client.get(f"/pay/{payable.token}/files.zip?lang=en")
    response.close()

    assert "Download everything (zip)" in page.text
    assert f"filename={reference}-deliverables.zip" in response.headers["Content-Disposition"]


def test_before_payment_the_zip_is_refused_and_nothing_recorded(cast, client):
    payable = payable_project(cast, deliverables=0)
    deliver(cast, payable.project_id, ("plan-bride.pdf", DRAWING))

    page = client.get(f"/pay/{payable.token}")
    response = client.get(f"/pay/{payable.token}/files.zip")

    assert "files.zip" not in page.text
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"%PDF" not in response.data
    assert db.session.scalar(select(func.count(DownloadRecord.id))) == 0


def test_an_unknown_link_gets_no_zip(cast, client, stripe_standin):
    payable = payable_project(cast, deliverables=0)
    deliver(cast, payable.project_id, ("plan-bride.pdf", DRAWING))
    pay(client, stripe_standin, payable)

    response = client.get(f"/pay/{payable.token[:-2]}xx/files.zip")

    assert response.status_code == 404
    assert b"%PDF" not in response.data
    assert db.session.scalar(select(func.count(DownloadRecord.id))) == 0


def test_a_paid_project_without_deliverables_says_there_is_nothing_to_download(
    cast, client, stripe_standin
):
    payable = payable_project(cast, deliverables=0)
    pay(client, stripe_standin, payable)

    page = client.get(f"/pay/{payable.token}")
    response = client.get(f"/pay/{payable.token}/files.zip")

    assert "files.zip" not in page.text
    assert response.status_code == 422
    assert "Il n'y a pas encore de livrable à télécharger." in html.unescape(response.text)
    assert db.session.scalar(select(func.count(DownloadRecord.id))) == 0
