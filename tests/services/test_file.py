"""Project files and deliverables: who may add, remove and read them, and what is stored."""

import hashlib
import io

import pytest
from sqlalchemy import select

from app.domain.errors import FileTooLarge, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.models import FileKind, OutboxMessage, ProjectEvent, ProjectFile
from app.services.file import Upload, add_files, open_file, remove_file, safe_display_name
from tests.conftest import stored_files
from tests.factories import ProjectFactory
from tests.services.conftest import upload


def stored_blobs(storage) -> list:
    return stored_files(storage.root)


def test_member_adds_several_project_files_stored_under_generated_keys(cast, storage):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    data = b"G21 G90\nG0 X0 Y0\n"
    files = add_files(
        cast.member_a,
        project.id,
        FileKind.PROJECT,
        [upload("../../etc/passwd", data, "text/plain"), upload("bride.nc", b"M30")],
    )
    first = db.session.get(ProjectFile, files[0].id)
    assert first.original_name == "passwd"
    assert first.size_bytes == len(data) and first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.content_type == "text/plain" and first.uploaded_by_id == cast.member_a.user_id
    assert "passwd" not in first.storage_key and len(stored_blobs(storage)) == 2
    assert all(p.name in {f.storage_key for f in files} for p in stored_blobs(storage))
    assert db.session.scalars(select(ProjectEvent.kind)).all() == ["FILE_ADDED", "FILE_ADDED"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("C:\\Users\\marc\\plan.pdf", "plan.pdf"),
        ("nul\x00.step", "_nul.step"),
        ("pl\x00an.step", "plan.step"),
        ("CON.txt", "_CON.txt"),
        ("...", "fichier"),
        ("a" * 300 + ".step", "a" * 250 + ".step"),
        ("pièce é.dxf", "pièce é.dxf"),
    ],
)
def test_user_filenames_are_made_harmless(given, shown):
    assert safe_display_name(given) == shown


def test_one_file_over_50_mb_refuses_the_upload_and_stores_nothing(cast, storage, unchanged, app):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    too_big = io.BytesIO(b"\0" * (app.config["MAX_FILE_BYTES"] + 1))
    error = unchanged(
        lambda: add_files(
            cast.member_a,
            project.id,
            FileKind.PROJECT,
            [upload("ok.step"), Upload(filename="gros.stl", stream=too_big)],
        ),
        FileTooLarge,
    )
    assert str(error) == "A file cannot exceed 50 MB."
    assert stored_blobs(storage) == []


def test_exactly_50_mb_is_accepted(cast, app):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    size = app.config["MAX_FILE_BYTES"]
    files = add_files(cast.team, project.id, FileKind.PROJECT, [upload("max.stl", b"\1" * size)])
    assert files[0].size_bytes == size


def test_no_file_is_refused(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    unchanged(lambda: add_files(cast.member_a, project.id, FileKind.PROJECT, []), Invalid)


def test_deliverables_are_team_only_and_notify(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_PROGRESS")
    error = unchanged(
        lambda: add_files(cast.member_a, project.id, FileKind.DELIVERABLE, [upload()]),
        PermissionDenied,
    )
    assert str(error) == "Only the team can add or remove deliverables."
    add_files(cast.team, project.id, FileKind.DELIVERABLE, [upload("bride.nc")])
    assert '"deliverables_uploaded"' in db.session.scalars(select(OutboxMessage.payload)).one()


def test_team_removes_deliverables_even_after_payment(cast, storage):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="PAID")
    [file] = add_files(cast.team, project.id, FileKind.DELIVERABLE, [upload("v1.nc")])
    remove_file(cast.team, project.id, file.id)
    assert db.session.get(ProjectFile, file.id) is None
    assert stored_blobs(storage) == []


def test_cancelled_project_files_stay_readable_but_frozen(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    [file] = add_files(
        cast.member_a, project.id, FileKind.PROJECT, [upload("plan.pdf", b"%PDF-1.7")]
    )
    project.status = "CANCELLED"
    db.session.commit()
    unchanged(lambda: remove_file(cast.member_a, project.id, file.id), PermissionDenied)
    unchanged(
        lambda: add_files(cast.team, project.id, FileKind.PROJECT, [upload()]), PermissionDenied
    )
    record, stream = open_file(cast.member_a, project.id, file.id)
    with stream:
        assert stream.read() == b"%PDF-1.7"


def test_members_read_deliverables_only_from_completed_on(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_PROGRESS")
    [file] = add_files(cast.team, project.id, FileKind.DELIVERABLE, [upload("final.nc", b"M30")])
    with pytest.raises(NotFound):
        open_file(cast.member_a, project.id, file.id)
    unchanged(lambda: remove_file(cast.member_a, project.id, file.id), NotFound)
    project.status = "COMPLETED"
    db.session.commit()
    record, stream = open_file(cast.member_a, project.id, file.id)
    stream.close()
    assert record.original_name == "final.nc"
    unchanged(lambda: remove_file(cast.member_a, project.id, file.id), PermissionDenied)


def test_foreign_ids_find_nothing(cast, unchanged):
    mine = ProjectFactory(organisation_id=cast.org_a_id)
    theirs = ProjectFactory(organisation_id=cast.org_b_id)
    [their_file] = add_files(cast.member_b, theirs.id, FileKind.PROJECT, [upload("secret.step")])
    unchanged(lambda: remove_file(cast.member_a, theirs.id, their_file.id), NotFound)
    # Their file id under my project id: not one of my project's files.
    unchanged(lambda: remove_file(cast.member_a, mine.id, their_file.id), NotFound)
    with pytest.raises(NotFound):
        open_file(cast.member_a, mine.id, their_file.id)


def test_an_uploaded_gcode_file_is_stored_as_text_whatever_the_browser_claimed(cast, storage):
    project = ProjectFactory(organisation_id=cast.org_a_id)

    files = add_files(
        cast.member_a,
        project.id,
        FileKind.PROJECT,
        [
            upload("piece.nc", b"G21\nM30\n", "application/x-netcdf"),
            upload("PIECE.NC", b"M30\n"),
            upload("bride.stp", b"ISO-10303-21;", "application/octet-stream"),
        ],
    )

    stored = [db.session.get(ProjectFile, f.id).content_type for f in files]
    assert stored == ["text/plain", "text/plain", "model/step"]
