"""A store that fails half-way: no row without its bytes, no bytes without their row."""

import errno
import io
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse
from sqlalchemy import func, select

from app.domain.errors import StorageUnavailable
from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files, remove_file
from app.services.storage import sweep
from app.storage.s3 import PART_BYTES
from tests.conftest import bucket_names, free_port, stored_files, unfinished_uploads
from tests.factories import ProjectFactory
from tests.services.conftest import upload

REFUSAL = "The files could not be stored, so nothing was saved. Try again later."
real_open = open


class _Answer:
    """The raw body of an answer made up for the client."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object):
        yield self.body


def big(size: int = 2 * PART_BYTES + 1024) -> Upload:
    return Upload(filename="bride.stl", stream=io.BytesIO(os.urandom(size)))


def file_rows() -> int:
    return db.session.scalar(select(func.count(ProjectFile.id)))


def test_an_s3_error_on_the_second_part_leaves_no_row_and_no_object(
    cast, app, make_s3_store, unchanged, monkeypatch
):
    store = make_s3_store()
    monkeypatch.setitem(app.extensions, "storage", store)
    project = ProjectFactory(organisation_id=cast.org_a_id)
    refused_parts = []

    def refuse_the_second_part(request, **_: object):
        # The server's own answer to a part it cannot take: the client sees what S3 sends.
        if "partNumber=2" in request.url:
            refused_parts.append(request.url)
            body = b"<Error><Code>AccessDenied</Code><Message>Quota exceeded</Message></Error>"
            return AWSResponse(request.url, 403, {}, _Answer(body))
        return None

    store.client.meta.events.register("before-send.s3.UploadPart", refuse_the_second_part)

    error = unchanged(
        lambda: add_files(cast.member_a, project.id, FileKind.PROJECT, [upload("a.step"), big()]),
        StorageUnavailable,
    )

    assert str(error) == REFUSAL and error.http_status == 503
    assert refused_parts  # the refusal came where it was meant to
    # The first file, stored whole, went on the rollback; the second's parts were aborted.
    assert bucket_names(store) == [] and unfinished_uploads(store) == []


def test_an_s3_server_that_stopped_refuses_the_upload_within_seconds(cast, app, make_s3_store):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    store = make_s3_store(f"http://127.0.0.1:{port}")
    server.stop()
    app.extensions["storage"], kept = store, app.extensions["storage"]
    project = ProjectFactory(organisation_id=cast.org_a_id)
    started = time.monotonic()
    try:
        with pytest.raises(StorageUnavailable):
            add_files(cast.member_a, project.id, FileKind.PROJECT, [upload("a.step")])
    finally:
        app.extensions["storage"] = kept

    assert time.monotonic() - started < 20
    assert file_rows() == 0


class FillingDisk:
    """A disk with room for so many bytes: a write past them fails as the kernel's does."""

    def __init__(self, room: int) -> None:
        self.room = room

    def open(self, path, mode="r", *args, **kwargs):
        opened = real_open(path, mode, *args, **kwargs)
        return _OnDisk(opened, self) if "w" in mode else opened


class _OnDisk:
    def __init__(self, opened, disk: FillingDisk) -> None:
        self.opened, self.disk = opened, disk

    def write(self, data: bytes) -> int:
        if len(data) > self.disk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.disk.room -= len(data)
        return self.opened.write(data)

    def __getattr__(self, name: str):
        return getattr(self.opened, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.opened.close()


def test_a_disk_full_half_way_through_the_second_file_keeps_neither(
    cast, storage, unchanged, monkeypatch
):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    monkeypatch.setattr("app.storage.local.open", FillingDisk(3 * 1024 * 1024).open, raising=False)
    first = Upload(filename="a.step", stream=io.BytesIO(b"\1" * 2 * 1024 * 1024))
    second = Upload(filename="b.step", stream=io.BytesIO(b"\2" * 2 * 1024 * 1024))

    error = unchanged(
        lambda: add_files(cast.member_a, project.id, FileKind.PROJECT, [first, second]),
        StorageUnavailable,
    )

    assert str(error) == REFUSAL
    # The first file was written whole: the rollback deleted it; the second's partial file too.
    assert stored_files(storage.root) == []


def test_a_read_only_store_keeps_a_removed_files_bytes_until_the_sweep(
    cast, storage, monkeypatch, caplog
):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    gone, kept = add_files(
        cast.member_a, project.id, FileKind.PROJECT, [upload("a.step"), upload("b.step")]
    )
    gone_id, gone_key, kept_key = gone.id, gone.storage_key, kept.storage_key
    unlink = Path.unlink

    def read_only(path: Path, missing_ok: bool = False) -> None:
        if path.is_relative_to(storage.root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    with caplog.at_level(logging.WARNING, logger="app.uow"):
        remove_file(cast.member_a, project.id, gone_id)

    # The removal stands (the row is gone); its bytes wait, named by no row, for the sweep.
    assert db.session.get(ProjectFile, gone_id) is None
    assert storage.exists(gone_key)
    assert f"Blob {gone_key} stays in the store until the next sweep" in caplog.text
    monkeypatch.setattr(Path, "unlink", unlink)
    assert sweep(storage, timedelta(hours=1)) == []  # too recent: it may be an upload going on
    later = datetime.now(UTC) + timedelta(hours=2)
    assert sweep(storage, timedelta(hours=1), now=later) == [gone_key]
    assert not storage.exists(gone_key) and storage.exists(kept_key)
