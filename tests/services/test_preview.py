"""Previews after upload: read once per bytes, kept with pictures, bad files recorded once."""

import io
import json
import struct

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.domain.errors import NotFound
from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, FilePreview, OutboxMessage, Project, ProjectFile
from app.previews import registry
from app.previews.registry import Reader
from app.previews.sandbox import Limits
from app.services.file import Upload, add_files, open_file_preview, remove_file
from app.services.preview import (
    MAKE_PREVIEW_JOB,
    forget_unused_previews,
    regenerate_previews,
)
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer

# A 100 × 50 mm rectangle cut 1 mm deep with one tool: 6 mm of plunge at 300 mm/min (1.2 s),
# then 300 mm at 1200 mm/min (15 s).
SQUARE = b"""%
O1001 (RECTANGLE)
G21 G90 G17
T1 M6 (FRAISE 6MM)
S10000 M3
G0 X0 Y0 Z5
G1 Z-1 F300
G1 X100 F1200
G1 Y50
G1 X0
G1 Y0
G0 Z5
M30
%
"""


@pytest.fixture
def previews_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "PREVIEWS_ENABLED", True)


@pytest.fixture
def member(app):
    return viewer(UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()))


def upload(member, name: str, data: bytes, project_id: int | None = None) -> ProjectFile:
    if project_id is None:
        project_id = ProjectFactory(organisation_id=member.organisation_id).id
    (stored,) = add_files(member, project_id, FileKind.PROJECT, [Upload(name, io.BytesIO(data))])
    return stored


def preview_rows() -> list[FilePreview]:
    db.session.expire_all()
    return list(db.session.scalars(select(FilePreview)))


def preview_jobs() -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.job == MAKE_PREVIEW_JOB))
    )


def test_an_uploaded_program_gets_its_sheet_pictures_and_toolpath(previews_on, member, storage):
    stored = upload(member, "rectangle.nc", SQUARE)

    (row,) = preview_rows()
    sheet = json.loads(row.sheet)
    assert (row.outcome, row.reader, row.sha256) == ("ready", "gcode", stored.sha256)
    assert sheet["units"] == "mm" and sheet["program_number"] == "1001"
    assert sheet["cutting_seconds"] == pytest.approx(16.2, abs=0.01)
    assert sheet["machined_extent_mm"]["x"] == [0, 100]
    assert sheet["machined_extent_mm"]["y"] == [0, 50]
    assert [tool["comment"] for tool in sheet["tools"]] == ["FRAISE 6MM"]
    for asset, size in (("picture", (800, 600)), ("thumbnail", (240, 180))):
        found = open_file_preview(member, stored.project_id, stored.id, asset)
        with found.stream, Image.open(found.stream) as picture:
            assert found.content_type == "image/png" and picture.size == size
            # Something is drawn on the white ground.
            assert picture.convert("L").getextrema()[0] < 200
    toolpath = open_file_preview(member, stored.project_id, stored.id, "viewer")
    with toolpath.stream:
        data = toolpath.stream.read()
    (count,) = struct.unpack_from("<I", data, 8)
    assert data[:8] == b"CNCPATH1" and count == sheet["viewer_points"] > 0
    assert len(data) == 12 + count * (12 + 2 + 1)
    assert [job.status for job in preview_jobs()] == ["DONE"]


def test_the_same_bytes_are_read_once_whoever_uploads_them(previews_on, member):
    first = upload(member, "rectangle.nc", SQUARE)
    second = upload(member, "copie.ngc", SQUARE)

    assert len(preview_rows()) == 1
    assert len(preview_jobs()) == 1
    # The second file shows the preview the first one's reading made.
    found = open_file_preview(member, second.project_id, second.id, "thumbnail")
    found.stream.close()
    assert first.sha256 == second.sha256


def test_a_file_of_no_known_kind_queues_no_reading(previews_on, member):
    stored = upload(member, "notes.docx", b"PK\x03\x04 not read")

    assert preview_rows() == [] and preview_jobs() == []
    with pytest.raises(NotFound, match="No preview"):
        open_file_preview(member, stored.project_id, stored.id, "thumbnail")


@pytest.mark.parametrize(
    ("function", "outcome", "reason"),
    [
        ("refuse", "refused", "this drawing nests blocks 200000000 entities deep"),
        ("crash", "failed", "the reader stopped on signal SIGSEGV"),
    ],
)
def test_a_file_that_cannot_be_read_is_recorded_once_and_the_job_ends(
    previews_on, member, monkeypatch, function, outcome, reason
):
    hostile = Reader("gcode", f"tests.previews.hostile_readers:{function}", 1, Limits(5, 10))
    monkeypatch.setitem(registry.READERS, registry.FileFormat.GCODE, hostile)

    stored = upload(member, "piege.nc", SQUARE)

    (row,) = preview_rows()
    params = json.loads(row.reason_params or "{}")
    assert row.outcome == outcome
    assert row.reason % params == reason
    assert row.picture_key is None and row.sheet is None
    # Done, not failed: the outbox does not read it again at each retry.
    assert [(job.status, job.attempts) for job in preview_jobs()] == [("DONE", 1)]
    with pytest.raises(NotFound, match="No preview"):
        open_file_preview(member, stored.project_id, stored.id, "picture")


def test_a_newer_reader_reads_again_on_regeneration_and_replaces_the_pictures(
    previews_on, member, monkeypatch, storage
):
    stored = upload(member, "rectangle.nc", SQUARE)
    (old,) = preview_rows()
    old_keys = [old.picture_key, old.thumbnail_key, old.watermark_key, old.viewer_key]
    assert regenerate_previews() == 0  # up to date: nothing to read

    version = registry.READERS[registry.FileFormat.GCODE].version + 1
    newer = Reader("gcode", "app.previews.readers:read_gcode_file", version)
    monkeypatch.setitem(registry.READERS, registry.FileFormat.GCODE, newer)
    assert regenerate_previews(stored.project_id) == 1

    (row,) = preview_rows()
    assert row.generator_version == version and row.outcome == "ready"
    assert not any(storage.exists(key) for key in old_keys)
    assert storage.exists(row.picture_key)
    assert regenerate_previews(everything=True) == 1


def test_previews_of_bytes_no_file_holds_are_forgotten_with_their_pictures(
    previews_on, member, storage
):
    stored = upload(member, "rectangle.nc", SQUARE)
    (row,) = preview_rows()
    keys = [row.picture_key, row.thumbnail_key, row.watermark_key, row.viewer_key]
    assert forget_unused_previews() == 0

    remove_file(member, stored.project_id, stored.id)

    assert forget_unused_previews() == 1
    assert preview_rows() == []
    assert not any(storage.exists(key) for key in keys)


def test_another_organisation_cannot_open_a_preview(previews_on, member):
    stored = upload(member, "rectangle.nc", SQUARE)
    stranger = viewer(UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()))

    with pytest.raises(NotFound, match="Project not found"):
        open_file_preview(stranger, stored.project_id, stored.id, "picture")


def test_without_redis_the_development_server_reads_files_after_answering(app, member, monkeypatch):
    monkeypatch.setitem(app.config, "PREVIEWS_ENABLED", True)
    dispatcher = app.extensions["dispatcher"]
    monkeypatch.setattr(dispatcher, "background_queues", frozenset({"previews"}))

    upload(member, "rectangle.nc", SQUARE)
    dispatcher.wait_for_background()

    assert [row.outcome for row in preview_rows()] == ["ready"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_the_regeneration_command_reads_a_project_again_and_refuses_an_unknown_one(
    app, previews_on, member, monkeypatch
):
    stored = upload(member, "rectangle.nc", SQUARE)
    reference = db.session.get(Project, stored.project_id).reference
    runner = app.test_cli_runner()

    up_to_date = runner.invoke(args=["cnc", "regenerate-previews", "--project", reference])
    everything = runner.invoke(args=["cnc", "regenerate-previews", "--project", reference, "--all"])
    unknown = runner.invoke(args=["cnc", "regenerate-previews", "--project", "CNC-1999-00001"])

    assert up_to_date.exit_code == 0 and "0 reading(s) queued" in up_to_date.output
    assert everything.exit_code == 0 and "1 reading(s) queued" in everything.output
    assert len(preview_jobs()) == 2 and [row.outcome for row in preview_rows()] == ["ready"]
    assert unknown.exit_code == 1
    assert "No project has the reference CNC-1999-00001." in unknown.output
