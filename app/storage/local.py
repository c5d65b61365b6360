"""Blobs as files under one directory, and the marker that proves it is the store's directory."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from app.storage.base import (
    CHUNK_BYTES,
    StoredBlob,
    is_key,
    missing,
    new_key,
    too_large,
    unavailable,
    unreadable,
)

log = logging.getLogger(__name__)

# Written in a new, empty store; a directory without it is not taken for the store.
MARKER = ".cnc-pulse-storage"
MARKER_TEXT = (
    "This directory holds the files of CNC Pulse (STORAGE_DIR). Keep this file: without it the\n"
    "application refuses to start here, so that a volume not mounted is never written to.\n"
)


# What a newly formatted volume holds already (ext4): its directory still counts as empty.
NEW_VOLUME = frozenset({"lost+found"})


class StorageSetupError(RuntimeError):
    """The configured store is not usable as it is; the application must not start on it."""


class LocalStorage:
    """Blobs as files under one directory, fanned out by the key's first characters."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not is_key(key):
            raise missing()
        return self.root / key[:2] / key[2:4] / key

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        return self.save_as(new_key(), stream, max_bytes)

    def save_as(self, key: str, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        path = self._path(key)
        partial = path.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        try:
            # An unmounted volume leaves its empty mount point: nothing is written without the
            # store's marker, rather than onto the disk beneath.
            if not (self.root / MARKER).is_file():
                raise FileNotFoundError(f"{self.root / MARKER} is missing")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise too_large(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except OSError as error:
            _forget(partial)
            log.error("Cannot write %s in the file store %s: %s", key, self.root, error)
            raise unavailable() from error
        except BaseException:
            _forget(partial)
            raise
        return StoredBlob(key=key, size_bytes=size, sha256=digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, NotADirectoryError):
            raise missing() from None
        except OSError as error:
            log.error("Cannot read %s in the file store %s: %s", key, self.root, error)
            raise unreadable() from error

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as error:
            log.error("Cannot delete %s in the file store %s: %s", key, self.root, error)
            raise unreadable() from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size_of(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def blobs(self) -> Iterator[tuple[str, datetime]]:
        for path in self.root.glob("??/??/*"):
            if path.is_file() and is_key(path.name):
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def url(self, key: str, filename: str) -> str | None:
        return None

    def describe(self) -> str:
        return f"local directory {self.root}"


def _forget(partial: Path) -> None:
    try:
        partial.unlink(missing_ok=True)
    except OSError:
        # A read-only store could not have written it: nothing to forget.
        log.warning("Cannot remove the partial file %s", partial)


def prepare_root(root: str | os.PathLike[str], stored_keys: Callable[[], list[str]] | None) -> None:
    """Make sure ``root`` is the store's directory before anything is written there.

    A directory with the marker is the store. Without it, the database decides
    (``stored_keys`` returns a few keys of the files it lists):

    - no file listed: the store is new; an empty or missing directory is created and marked;
    - files listed and the directory holds some of them: a store from before the marker, marked;
    - files listed but the directory is missing or empty: a volume not mounted, refused;
    - a directory with other things in it: not the store, refused.

    ``stored_keys`` None (a copy into a new store) creates and marks an empty directory.

    :raise StorageSetupError: with what is wrong and what to do.
    """
    folder = Path(root)
    if (folder / MARKER).is_file():
        return
    empty = not folder.is_dir() or all(p.name in NEW_VOLUME for p in folder.iterdir())
    keys = stored_keys() if stored_keys is not None else []
    if empty and keys:
        state = "empty" if folder.is_dir() else "missing"
        raise StorageSetupError(
            f"The file store {folder} is {state}, but the database lists stored files: is its "
            "volume mounted? Mount it, or set STORAGE_DIR to the directory that holds the files."
        )
    if not empty:
        store = LocalStorage(folder)
        if not keys or not any(store.exists(key) for key in keys):
            raise StorageSetupError(
                f"{folder} is not empty and is not a CNC Pulse file store (it has no {MARKER} "
                "file). Set STORAGE_DIR to the store's directory, or to an empty one for a "
                "new store."
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as error:
        raise StorageSetupError(f"Cannot set up the file store {folder}: {error}") from error
