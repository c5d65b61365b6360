"""Where file bytes live. Keys are generated here; a user's filename never becomes a path."""

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from app.domain.errors import N_, FileTooLarge, NotFound

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size_bytes: int
    sha256: str


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store the stream under a new key.

        :raise FileTooLarge: past ``max_bytes``; nothing is left behind.
        """

    def open(self, key: str) -> BinaryIO:
        """Open a stored blob for reading.

        :raise NotFound: if no blob has that key.
        """

    def delete(self, key: str) -> None:
        """Remove a blob; a missing one is not an error."""

    def url(self, key: str, filename: str) -> str | None:
        """Return a direct download address, or None when the app must stream the bytes."""


def new_key() -> str:
    return secrets.token_hex(20)


class LocalStorage:
    """Blobs as files under one directory, fanned out by the key's first characters."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise NotFound(N_("File not found."))
        return self.root / key[:2] / key[2:4] / key

    def probe(self) -> None:
        """Write, read back and delete a small file at the root, which must exist.

        :raise OSError: when the root is missing, not writable, or gives back other bytes.
        """
        content = secrets.token_bytes(16)
        path = self.root / f".probe-{content.hex()}"
        try:
            path.write_bytes(content)
            if path.read_bytes() != content:
                raise OSError(f"the storage gave back other bytes than written at {path}")
        finally:
            path.unlink(missing_ok=True)

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(
                            N_("A file cannot exceed %(limit)s MB."),
                            limit=max_bytes // (1024 * 1024),
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredBlob(key=key, size_bytes=size, sha256=digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise NotFound(N_("File not found.")) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str, filename: str) -> str | None:
        return None
