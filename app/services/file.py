"""Add, remove and open project files and deliverables."""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.archive import ArchiveEntry, stream_zip, unique_names
from app.domain import policy
from app.domain.errors import N_, Invalid, NotFound, PermissionDenied
from app.domain.file_kinds import content_type_for
from app.domain.notifications import Event
from app.domain.policy import Viewer
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import EventKind, FileKind, Project, ProjectFile
from app.models.base import utcnow
from app.services.common import load_project, record_event
from app.services.notification import notify
from app.services.preview import PreviewAsset, open_asset, preview_of_file, queue_previews
from app.uow import blob_added, blob_removed, transaction

MAX_NAME_LENGTH = 255
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


@dataclass
class Upload:
    """One file as received: its name as the user's computer called it, and its bytes."""

    filename: str
    stream: BinaryIO
    content_type: str | None = None


def add_files(
    viewer: Viewer, project_id: int, kind: FileKind, uploads: Sequence[Upload]
) -> list[ProjectFile]:
    """Store several files on a project; one file too large refuses the whole upload.

    :raise PermissionDenied: if the viewer may not add this kind of file now.
    :raise FileTooLarge: past the size limit per file; nothing is stored.
    :raise Invalid: when no file is given.
    """
    if not uploads:
        raise Invalid(N_("Choose at least one file."))
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        files = store_uploads(session, viewer, project, kind, uploads)
        if kind is FileKind.DELIVERABLE:
            # Who is told, and what they can do with the files, is decided by the status at upload,
            # not by the status when a worker gets round to the email.
            notify(
                session,
                Event.DELIVERABLES_UPLOADED,
                project.id,
                file_ids=[f.id for f in files],
                status=project.status,
            )
        project.updated_at = utcnow()
    return files


def store_uploads(
    session: Session, viewer: Viewer, project: Project, kind: FileKind, uploads: Sequence[Upload]
) -> list[ProjectFile]:
    """Write the bytes, then the rows, inside the caller's transaction."""
    if uploads:
        _require_may_add(viewer, project, kind)
    storage = current_app.extensions["storage"]
    max_bytes = current_app.config["MAX_FILE_BYTES"]
    files = []
    for upload in uploads:
        name = safe_display_name(upload.filename)
        blob = storage.save(upload.stream, max_bytes)
        blob_added(session, blob.key)
        stored = ProjectFile(
            project_id=project.id,
            organisation_id=project.organisation_id,
            kind=kind.value,
            storage_key=blob.key,
            original_name=name,
            size_bytes=blob.size_bytes,
            content_type=content_type_for(name, upload.content_type),
            sha256=blob.sha256,
            uploaded_by_id=viewer.user_id,
            uploaded_at=utcnow(),
        )
        session.add(stored)
        files.append(stored)
    session.flush()
    queue_previews(session, files)
    for stored in files:
        record_event(
            session,
            project,
            viewer,
            EventKind.FILE_ADDED,
            details={"file": stored.original_name, "kind": stored.kind, "size": stored.size_bytes},
        )
    return files


def remove_file(viewer: Viewer, project_id: int, file_id: int) -> None:
    """Remove a file; its bytes leave the storage as soon as the change commits.

    :raise NotFound: if the file is not one of this project's (or not visible to the viewer).
    :raise PermissionDenied: if the viewer may not remove this kind of file now.
    """
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        stored = _file_of(session, project, file_id)
        kind = FileKind(stored.kind)
        status = project.status_enum
        if kind is FileKind.PROJECT:
            allowed = policy.can_remove_project_file(viewer, project.organisation_id, status)
        else:
            allowed = policy.can_remove_deliverable(viewer, status)
        if not allowed:
            if kind is FileKind.DELIVERABLE and not policy.can_read_deliverables(
                viewer, project.organisation_id, status
            ):
                raise NotFound(N_("File not found."))
            raise PermissionDenied(_refusal(kind, status))
        blob_removed(session, stored.storage_key)
        record_event(
            session,
            project,
            viewer,
            EventKind.FILE_REMOVED,
            details={"file": stored.original_name, "kind": stored.kind},
        )
        session.delete(stored)
        project.updated_at = utcnow()


def open_file(viewer: Viewer, project_id: int, file_id: int) -> tuple[ProjectFile, BinaryIO]:
    """Return a file's record and an open stream of its bytes, after the access check.

    :raise NotFound: if the file does not exist or the viewer may not read it.
    """
    stored = readable_file(db.session, viewer, project_id, file_id)
    return stored, current_app.extensions["storage"].open(stored.storage_key)


def readable_file(session: Session, viewer: Viewer, project_id: int, file_id: int) -> ProjectFile:
    """Return a file of the project that the viewer may read.

    :raise NotFound: if the file does not exist or the viewer may not read it.
    """
    project = load_project(session, viewer, project_id)
    stored = _file_of(session, project, file_id)
    if stored.kind == FileKind.DELIVERABLE.value:
        readable = policy.can_read_deliverables(
            viewer, project.organisation_id, project.status_enum
        )
    else:
        readable = policy.can_read_project_files(viewer, project.organisation_id)
    if not readable:
        raise NotFound(N_("File not found."))
    return stored


@dataclass(frozen=True)
class FilesArchive:
    """A project's files of one kind, ready to stream as one zip."""

    reference: str
    kind: FileKind
    entries: list[ArchiveEntry]

    def stream(self) -> Iterator[bytes]:
        """Yield the zip's bytes; the files are read only as the download goes."""
        return stream_zip(current_app.extensions["storage"], self.entries)


NOTHING_TO_DOWNLOAD = {
    FileKind.DELIVERABLE: N_("There is no deliverable to download yet."),
    FileKind.PROJECT: N_("This project has no file to download."),
}


def files_archive(viewer: Viewer, project_id: int, kind: FileKind) -> FilesArchive:
    """Gather a project's files of one kind into a zip, with the access check of one file.

    :raise NotFound: if the viewer cannot see the project or may not read this kind of file.
    :raise Invalid: if there is no such file to download.
    """
    session = db.session
    project = load_project(session, viewer, project_id)
    if kind is FileKind.DELIVERABLE:
        readable = policy.can_read_deliverables(
            viewer, project.organisation_id, project.status_enum
        )
    else:
        readable = policy.can_read_project_files(viewer, project.organisation_id)
    if not readable:
        raise NotFound(N_("File not found."))
    return archive_of(project, kind, list_files(session, project, kind))


def list_files(session: Session, project: Project, kind: FileKind) -> list[ProjectFile]:
    """Return the project's files of one kind, oldest first."""
    return list(
        session.scalars(
            select(ProjectFile)
            .where(ProjectFile.project_id == project.id, ProjectFile.kind == kind.value)
            .order_by(ProjectFile.uploaded_at, ProjectFile.id)
        )
    )


def archive_of(project: Project, kind: FileKind, files: Sequence[ProjectFile]) -> FilesArchive:
    """Describe the zip of ``files``: one entry each, under a name no other entry has.

    :raise Invalid: when there is no file.
    """
    if not files:
        raise Invalid(NOTHING_TO_DOWNLOAD[kind])
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    names = unique_names(stored.original_name for stored in files)
    entries = [
        ArchiveEntry(
            storage_key=stored.storage_key,
            name=name,
            size_bytes=stored.size_bytes,
            modified=stored.uploaded_at.astimezone(zone),
        )
        for stored, name in zip(files, names, strict=True)
    ]
    return FilesArchive(project.reference, kind, entries)


def files_for(viewer: Viewer, project_id: int) -> list[ProjectFile]:
    """Return the project's files the viewer may read, oldest first.

    Deliverables are left out for an organisation user until the project is COMPLETED.

    :raise NotFound: if the viewer cannot see the project.
    """
    session = db.session
    project = load_project(session, viewer, project_id)
    statement = select(ProjectFile).where(ProjectFile.project_id == project.id)
    if not policy.can_read_deliverables(viewer, project.organisation_id, project.status_enum):
        statement = statement.where(ProjectFile.kind == FileKind.PROJECT.value)
    return list(session.scalars(statement.order_by(ProjectFile.uploaded_at, ProjectFile.id)))


def safe_display_name(filename: str | None) -> str:
    """Keep a filename fit for display and for a download header; it is never used as a path."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if _WINDOWS_DEVICES.match(name):
        name = f"_{name}"
    if not name:
        name = "fichier"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _file_of(session: Session, project: Project, file_id: int) -> ProjectFile:
    stored = session.scalars(
        select(ProjectFile).where(ProjectFile.id == file_id, ProjectFile.project_id == project.id)
    ).first()
    if stored is None:
        raise NotFound(N_("File not found."))
    return stored


def _require_may_add(viewer: Viewer, project: Project, kind: FileKind) -> None:
    status = project.status_enum
    if kind is FileKind.PROJECT:
        allowed = policy.can_add_project_file(viewer, project.organisation_id, status)
    else:
        allowed = policy.can_add_deliverable(viewer, status)
    if not allowed:
        raise PermissionDenied(_refusal(kind, status))


def _refusal(kind: FileKind, status: ProjectStatus) -> str:
    if status is ProjectStatus.CANCELLED:
        return N_("A cancelled project can no longer be changed.")
    if kind is FileKind.DELIVERABLE:
        return N_("Only the team can add or remove deliverables.")
    return N_("You cannot change the files of this project.")


def open_file_preview(viewer: Viewer, project_id: int, file_id: int, asset: str) -> PreviewAsset:
    """Open one of a file's preview files, with the access check of the file itself.

    :raise NotFound: if the viewer may not read the file, or its preview has no such file.
    """
    stored = readable_file(db.session, viewer, project_id, file_id)
    return open_asset(preview_of_file(db.session, stored), asset)
