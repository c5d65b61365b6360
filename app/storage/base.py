"""What every store promises, and the words it refuses with."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from app.domain.errors import N_, FileTooLarge, NotFound, StorageUnavailable

CHUNK_BYTES = 1024 * 1024
# Generated keys: 40 hexadecimal digits. Anything else is no key of ours.
KEY_DIGITS = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size_bytes: int
    sha256: str


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store the stream under a new key.

        :raise FileTooLarge: past ``max_bytes``; nothing is left behind.
        :raise StorageUnavailable: the store is full, read-only or not answering; nothing is
            left behind.
        """

    def save_as(self, key: str, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store the stream under a key given (copies between stores keep their keys)."""

    def open(self, key: str) -> BinaryIO:
        """Open a stored blob for reading.

        :raise NotFound: if no blob has that key.
        :raise StorageUnavailable: the store does not answer.
        """

    def delete(self, key: str) -> None:
        """Remove a blob; a missing one is not an error.

        :raise StorageUnavailable: the store refused (read-only, not answering).
        """

    def exists(self, key: str) -> bool:
        """Tell whether a blob has that key."""

    def size_of(self, key: str) -> int | None:
        """Return a blob's size in bytes, or None when there is no such blob."""

    def blobs(self) -> Iterator[tuple[str, datetime]]:
        """Yield every stored key with the time it was written (UTC)."""

    def url(self, key: str, filename: str) -> str | None:
        """Return a direct download address, or None when the app must stream the bytes."""

    def describe(self) -> str:
        """Say where the bytes go, for a person reading a command's output."""


def new_key() -> str:
    return secrets.token_hex(20)


def is_key(key: str) -> bool:
    """Tell whether ``key`` has the shape of a key this module generates."""
    return len(key) >= 8 and all(c in KEY_DIGITS for c in key)


def too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(N_("A file cannot exceed %(limit)s MB."), limit=max_bytes // (1024 * 1024))


def unavailable() -> StorageUnavailable:
    """Return the refusal shown when the store cannot take the files."""
    return StorageUnavailable(
        N_("The files could not be stored, so nothing was saved. Try again later.")
    )


def unreadable() -> StorageUnavailable:
    """Return the refusal shown when the store cannot give a file back."""
    return StorageUnavailable(N_("The file store does not answer right now. Try again later."))


def missing() -> NotFound:
    return NotFound(N_("File not found."))


def file_digest(storage: Storage, key: str) -> str:
    """Return the SHA-256 of a stored blob, read a chunk at a time."""
    digest = hashlib.sha256()
    with storage.open(key) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
