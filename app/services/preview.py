"""Read uploaded files in the sandbox and keep what was learned: sheets, pictures, viewer data.

A reading runs in a limited child process (:mod:`app.previews.sandbox`), from a job on a queue
of its own, so a slow file never delays an email. Whatever happens to the file, the job ends
normally once the outcome is recorded: a file that cannot be read is recorded once as refused
or failed, never read again by the outbox's retries.
"""

import json
import logging
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import N_, NotFound
from app.extensions import db
from app.models import FilePreview, PreviewOutcome, Project, ProjectFile
from app.models.base import utcnow
from app.previews.pictures import PICTURE, THUMBNAIL
from app.previews.registry import Reader, reader_for
from app.previews.sandbox import Outcome, Reading, run_limited
from app.previews.watermark import WATERMARK, mark_picture
from app.storage import CHUNK_BYTES
from app.uow import blob_added, blob_removed, queue_job, transaction

log = logging.getLogger(__name__)

PREVIEW_QUEUE = "previews"
MAKE_PREVIEW_JOB = "make_preview"

# What a reader may leave for the product to keep, by the column that holds it.
_ASSETS = {PICTURE: "picture_key", THUMBNAIL: "thumbnail_key"}
VIEWER_FILES = {"model.glb": "model/gltf-binary", "toolpath.bin": "application/octet-stream"}
ASSET_TYPES = {"thumbnail": "image/png", "picture": "image/png", "watermark": "image/png"}


def queue_previews(session: Session, files: Iterable[ProjectFile]) -> int:
    """Queue a reading of each file a reader knows, unless its bytes were read already.

    Bytes already read by the reader's present version (whatever the outcome) are not read
    again; the same bytes uploaded twice at once are read once. Return how many were queued.
    Nothing is queued when ``PREVIEWS_ENABLED`` is off.
    """
    if not current_app.config["PREVIEWS_ENABLED"]:
        return 0
    wanted: dict[tuple[str, str], tuple[ProjectFile, Reader]] = {}
    for stored in files:
        reader = reader_for(stored.original_name)
        if reader is not None:
            wanted.setdefault((stored.sha256, reader.name), (stored, reader))
    if not wanted:
        return 0
    read = {
        (sha256, name): version
        for sha256, name, version in session.execute(
            select(FilePreview.sha256, FilePreview.reader, FilePreview.generator_version).where(
                FilePreview.sha256.in_({sha256 for sha256, _ in wanted})
            )
        )
    }
    queued = 0
    for key, (stored, reader) in wanted.items():
        if read.get(key, 0) >= reader.version:
            continue
        queue_job(
            session,
            MAKE_PREVIEW_JOB,
            {"file_id": stored.id},
            queue=PREVIEW_QUEUE,
            project_id=stored.project_id,
        )
        queued += 1
    return queued


def project_by_reference(reference: str) -> int:
    """Return the id of the project with this reference.

    :raise NotFound: when no project has it.
    """
    found = db.session.scalar(select(Project.id).where(Project.reference == reference.strip()))
    if found is None:
        raise NotFound(N_("No project has the reference %(reference)s."), reference=reference)
    return found


def regenerate_previews(project_id: int | None = None, *, everything: bool = False) -> int:
    """Queue a new reading of the files whose preview an older reader made, or is missing.

    :param project_id: only that project's files.
    :param everything: read every file again, even those the present readers read.
    :return: how many readings were queued.
    """
    with transaction() as session:
        query = select(ProjectFile).order_by(ProjectFile.id)
        if project_id is not None:
            query = query.where(ProjectFile.project_id == project_id)
        files = list(session.scalars(query))
        if everything:
            # Version 0 is older than every reader's: each preview is read again.
            forget = FilePreview.__table__.update().values(generator_version=0)
            if project_id is not None:
                forget = forget.where(FilePreview.sha256.in_({f.sha256 for f in files}))
            session.execute(forget)
        return queue_previews(session, files)


def make_preview(file_id: int) -> PreviewOutcome | None:
    """Read one file in the sandbox and record the outcome; None when there was nothing to do.

    Nothing to do: the file is gone, no reader knows its kind, or its bytes were read by the
    reader's present version already (by another file with the same bytes, say).
    """
    session = db.session
    stored = session.get(ProjectFile, file_id)
    reader = reader_for(stored.original_name) if stored is not None else None
    if stored is None or reader is None:
        return None
    done = _preview_of(session, stored.sha256, reader.name)
    if done is not None and done.generator_version >= reader.version:
        return PreviewOutcome(done.outcome)
    storage_key, sha256 = stored.storage_key, stored.sha256
    # No transaction stays open while the file is read, which may take a minute.
    session.rollback()
    with tempfile.TemporaryDirectory(prefix="cnc-preview-") as work:
        source = Path(work) / "source"
        try:
            _copy_blob(storage_key, source)
        except NotFound:
            log.warning("File %s has no bytes in the storage; no preview", file_id)
            return None
        folder = Path(work) / "reading"
        reading = run_limited(reader.function, source, folder, reader.limits)
        outcome = _record(sha256, reader, reading, folder)
    log.info(
        "Preview of file %s by %s v%s: %s in %.2f s (%s)",
        file_id,
        reader.name,
        reader.version,
        outcome.value,
        reading.seconds,
        reading.reason_text or "ok",
    )
    return outcome


def _copy_blob(key: str, target: Path) -> None:
    with current_app.extensions["storage"].open(key) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK_BYTES)


def _preview_of(session: Session, sha256: str, reader: str) -> FilePreview | None:
    return session.scalars(
        select(FilePreview).where(FilePreview.sha256 == sha256, FilePreview.reader == reader)
    ).first()


def _record(sha256: str, reader: Reader, reading: Reading, folder: Path) -> PreviewOutcome:
    """Keep the reading's figures and files; replace what an older reading kept."""
    outcome = PreviewOutcome(reading.outcome.value)
    result = reading.result or {}
    with transaction() as session:
        row = _preview_of(session, sha256, reader.name)
        if row is None:
            row = FilePreview(sha256=sha256, reader=reader.name)
            session.add(row)
        for key in (row.picture_key, row.thumbnail_key, row.watermark_key, row.viewer_key):
            if key:
                blob_removed(session, key)
        row.generator_version = reader.version
        row.outcome = outcome.value
        row.sheet = json.dumps(result.get("sheet")) if outcome is PreviewOutcome.READY else None
        row.reason = reading.reason[:500] if reading.reason else None
        row.reason_params = json.dumps(reading.reason_params) if reading.reason_params else None
        row.seconds = round(reading.seconds, 3)
        row.peak_memory_bytes = reading.peak_memory_bytes
        row.created_at = utcnow()
        row.picture_key = row.thumbnail_key = row.watermark_key = None
        row.viewer_key = row.viewer_name = None
        if reading.outcome is Outcome.READY:
            _keep_files(session, row, result, folder, reader)
    return outcome


def _keep_files(
    session: Session, row: FilePreview, result: dict[str, Any], folder: Path, reader: Reader
) -> None:
    """Store the pictures and viewer data the reader named, and the client's marked picture.

    Only the names a reader may leave are taken, from the reading's own folder.
    """
    storage = current_app.extensions["storage"]
    limit = reader.limits.output_bytes

    def keep(name: str) -> str | None:
        path = folder / name
        if not path.is_file():
            return None
        with path.open("rb") as stream:
            blob = storage.save(stream, limit)
        blob_added(session, blob.key)
        return blob.key

    for name in result.get("images") or ():
        if name in _ASSETS:
            setattr(row, _ASSETS[name], keep(name))
    viewer = result.get("viewer")
    if viewer in VIEWER_FILES:
        row.viewer_key = keep(viewer)
        row.viewer_name = viewer if row.viewer_key else None
    if row.picture_key and mark_picture(folder / PICTURE, folder / WATERMARK):
        row.watermark_key = keep(WATERMARK)


@dataclass(frozen=True)
class PreviewAsset:
    """One of a preview's files, open for reading, and the type to serve it with."""

    stream: BinaryIO
    content_type: str
    name: str


def open_asset(preview: FilePreview | None, asset: str) -> PreviewAsset:
    """Open a ready preview's ``asset``: "thumbnail", "picture", "watermark" or "viewer".

    :raise NotFound: when the preview is not ready or has no such file.
    """
    if preview is None or preview.outcome != PreviewOutcome.READY.value:
        raise NotFound(N_("No preview for this file."))
    if asset == "viewer":
        key, name = preview.viewer_key, preview.viewer_name
        content_type = VIEWER_FILES.get(name or "", "application/octet-stream")
    elif asset in ASSET_TYPES:
        key, name, content_type = getattr(preview, f"{asset}_key"), f"{asset}.png", "image/png"
    else:
        key = None
    if not key:
        raise NotFound(N_("No preview for this file."))
    return PreviewAsset(current_app.extensions["storage"].open(key), content_type, name or asset)


def preview_of_file(session: Session, stored: ProjectFile) -> FilePreview | None:
    """Return the preview of a file's bytes by the reader of its kind, if one was made."""
    reader = reader_for(stored.original_name)
    return _preview_of(session, stored.sha256, reader.name) if reader else None


def previews_of_files(session: Session, files: Sequence[ProjectFile]) -> dict[int, FilePreview]:
    """Return the previews of several files in one query, by file id."""
    keys = {}
    for stored in files:
        reader = reader_for(stored.original_name)
        if reader is not None:
            keys[stored.id] = (stored.sha256, reader.name)
    if not keys:
        return {}
    found = {
        (row.sha256, row.reader): row
        for row in session.scalars(
            select(FilePreview).where(FilePreview.sha256.in_({sha for sha, _ in keys.values()}))
        )
    }
    return {file_id: found[key] for file_id, key in keys.items() if key in found}


def forget_unused_previews() -> int:
    """Delete the previews no file's bytes match any more, with their pictures; return how many."""
    with transaction() as session:
        orphans = list(
            session.scalars(
                select(FilePreview).where(
                    ~select(ProjectFile.id).where(ProjectFile.sha256 == FilePreview.sha256).exists()
                )
            )
        )
        for row in orphans:
            for key in (row.picture_key, row.thumbnail_key, row.watermark_key, row.viewer_key):
                if key:
                    blob_removed(session, key)
            session.delete(row)
    return len(orphans)
