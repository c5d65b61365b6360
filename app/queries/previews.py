"""What pages show of files' previews: their state, figures, and which pictures exist."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from app.domain.policy import Viewer
from app.extensions import db
from app.models import FilePreview, PreviewOutcome, Project, ProjectFile
from app.previews.registry import reader_for
from app.services.file import readable_file
from app.services.preview import previews_of_files


class PreviewState(StrEnum):
    READY = "ready"
    REFUSED = "refused"
    FAILED = "failed"
    PENDING = "pending"  # a reader knows the kind; the reading is queued or running
    NONE = "none"  # no reader knows this kind of file


# What the browser's viewer shows, by the reader's viewer file.
_VIEWER_KINDS = {"model.glb": "model", "toolpath.bin": "toolpath"}


@dataclass(frozen=True)
class PreviewCard:
    """One file's preview as a page shows it."""

    file_id: int
    state: PreviewState
    reader: str | None = None
    sheet: dict[str, Any] = field(default_factory=dict)
    # Why it was refused or failed: an English msgid and the values of its placeholders.
    reason: str | None = None
    reason_params: dict[str, Any] = field(default_factory=dict)
    has_thumbnail: bool = False
    has_picture: bool = False
    has_watermark: bool = False
    viewer: str | None = None  # "model" or "toolpath"
    seconds: float | None = None


def preview_cards(session: Session, files: Sequence[ProjectFile]) -> dict[int, PreviewCard]:
    """Return the preview card of each file, by file id, in one query."""
    found = previews_of_files(session, files)
    return {stored.id: _card(stored, found.get(stored.id)) for stored in files}


def _card(stored: ProjectFile, preview: FilePreview | None) -> PreviewCard:
    reader = reader_for(stored.original_name)
    if reader is None:
        return PreviewCard(stored.id, PreviewState.NONE)
    if preview is None:
        return PreviewCard(stored.id, PreviewState.PENDING, reader.name)
    if preview.outcome != PreviewOutcome.READY.value:
        return PreviewCard(
            stored.id,
            PreviewState(preview.outcome),
            reader.name,
            reason=preview.reason,
            reason_params=json.loads(preview.reason_params or "{}"),
            seconds=preview.seconds,
        )
    return PreviewCard(
        stored.id,
        PreviewState.READY,
        reader.name,
        sheet=json.loads(preview.sheet or "{}"),
        has_thumbnail=bool(preview.thumbnail_key),
        has_picture=bool(preview.picture_key),
        has_watermark=bool(preview.watermark_key),
        viewer=_VIEWER_KINDS.get(preview.viewer_name or ""),
        seconds=preview.seconds,
    )


@dataclass(frozen=True)
class FilePage:
    """A file's own page: the project it belongs to, the file, and its preview."""

    project: Project
    file: ProjectFile
    card: PreviewCard


def file_page(viewer: Viewer, project_id: int, file_id: int) -> FilePage:
    """Gather a file's page for a viewer who may read the file.

    :raise NotFound: if the file does not exist or the viewer may not read it.
    """
    session = db.session
    stored = readable_file(session, viewer, project_id, file_id)
    project = session.get(Project, stored.project_id)
    return FilePage(project, stored, preview_cards(session, [stored])[stored.id])
