"""Look after a store: try it, copy it to another backend, sweep what no row names."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.domain.errors import DomainError, NotFound
from app.extensions import db
from app.models import FilePreview, ProjectFile
from app.storage.base import Storage, file_digest

PREVIEW_KEY_COLUMNS = ("picture_key", "thumbnail_key", "watermark_key", "viewer_key")
PROBE_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProbeResult:
    """What writing, reading and deleting a probe found."""

    store: str
    ok: bool
    steps: list[str]


def probe(storage: Storage, size: int = PROBE_BYTES) -> ProbeResult:
    """Write a probe blob of ``size`` bytes, read it back, delete it, and say how each step went."""
    data = (hashlib.sha256(str(time.time()).encode()).digest() * (size // 32 + 1))[:size]
    steps: list[str] = []
    started = time.perf_counter()
    try:
        blob = storage.save(io.BytesIO(data), len(data))
        steps.append(f"wrote {blob.size_bytes} bytes under {blob.key} ({_since(started)})")
        started = time.perf_counter()
        with storage.open(blob.key) as stream:
            back = stream.read()
        if back != data:
            steps.append(f"read back {len(back)} bytes that differ from those written")
            storage.delete(blob.key)
            return ProbeResult(storage.describe(), False, steps)
        steps.append(f"read them back unchanged ({_since(started)})")
        started = time.perf_counter()
        storage.delete(blob.key)
        if storage.exists(blob.key):
            steps.append("deleted it, yet it is still there")
            return ProbeResult(storage.describe(), False, steps)
        steps.append(f"deleted it ({_since(started)})")
    except DomainError as error:
        cause = error.__cause__
        steps.append(f"failed: {error}" + (f" ({cause})" if cause else ""))
        return ProbeResult(storage.describe(), False, steps)
    return ProbeResult(storage.describe(), True, steps)


@dataclass
class MigrationReport:
    """What a copy did, blob by blob, counted."""

    copied: int = 0
    skipped: int = 0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    copied_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failed


def wanted_blobs() -> Iterator[tuple[str, str | None, int | None]]:
    """Yield each blob a row names: key, SHA-256 and size when the row keeps them."""
    session = db.session
    for key, sha256, size in session.execute(
        select(ProjectFile.storage_key, ProjectFile.sha256, ProjectFile.size_bytes).order_by(
            ProjectFile.id
        )
    ):
        yield key, sha256, size
    for row in session.execute(select(*(getattr(FilePreview, c) for c in PREVIEW_KEY_COLUMNS))):
        for key in row:
            if key:
                yield key, None, None


def migrate(source: Storage, target: Storage, limit_bytes: int) -> MigrationReport:
    """Copy every blob the database names from ``source`` to ``target``, under the same keys.

    A blob already in the target with the expected bytes is skipped, so an interrupted copy
    starts again where it stopped. Each copy is checked against the SHA-256 the row keeps (the
    source's own bytes for previews); a copy that differs is deleted from the target.
    """
    report = MigrationReport()
    for key, sha256, size in wanted_blobs():
        try:
            expected = sha256 or file_digest(source, key)
            if _holds(target, key, expected, size):
                report.skipped += 1
                continue
            # A preview's viewer data may be larger than an upload may (64 MiB written).
            limit = max(limit_bytes, size or source.size_of(key) or 0)
            with source.open(key) as stream:
                blob = target.save_as(key, stream, limit)
        except NotFound:
            report.missing.append(key)
            continue
        except DomainError as error:
            report.failed.append(f"{key}: {error}")
            continue
        if blob.sha256 != expected:
            target.delete(key)
            report.failed.append(f"{key}: its bytes do not match the SHA-256 recorded")
            continue
        report.copied += 1
        report.copied_bytes += blob.size_bytes
    return report


def _holds(target: Storage, key: str, sha256: str, size: int | None) -> bool:
    found = target.size_of(key)
    if found is None or (size is not None and found != size):
        return False
    return file_digest(target, key) == sha256


class SweepRefusedError(RuntimeError):
    """The sweep would delete most of the store: the database is likely not the store's."""


# Past this share of the store, unnamed blobs point at a database that is not the store's own
# (a copy, a staging database on the production bucket) rather than at refused deletions.
SWEEP_MOST = 0.5
SWEEP_FEW = 10


def sweep(
    storage: Storage, older_than: timedelta, now: datetime | None = None, *, force: bool = False
) -> list[str]:
    """Delete the blobs no row names, written longer ago than ``older_than``; return their keys.

    Blobs are written before their row commits: a recent one may belong to a transaction in
    progress, hence the delay. Older ones were left by a store that refused a deletion, or by
    a process that stopped between writing and rolling back.

    :raise SweepRefusedError: when more than half the store (and more than a few blobs) would go,
        unless ``force``.
    """
    named = {key for key, _, _ in wanted_blobs()}
    before = (now or datetime.now(UTC)) - older_than
    stored = list(storage.blobs())
    doomed = [key for key, written in stored if key not in named and written < before]
    if not force and len(doomed) > SWEEP_FEW and len(doomed) > SWEEP_MOST * len(stored):
        raise SweepRefusedError(
            f"{len(doomed)} of the {len(stored)} stored blobs are named by no row: is this the "
            "database of this store? Nothing was deleted."
        )
    for key in doomed:
        storage.delete(key)
    return doomed


def _since(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"
