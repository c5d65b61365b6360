"""What every store promises, checked on both: a local directory and an S3 bucket (moto)."""

import hashlib
import io
import os
import re
from pathlib import Path

import pytest

from app.domain.errors import FileTooLarge, NotFound
from app.storage import CHUNK_BYTES, MARKER, LocalStorage, new_key
from app.storage.local import prepare_root
from app.storage.s3 import PART_BYTES, S3Storage
from tests.conftest import bucket_names, unfinished_uploads

MEBIBYTE = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path, make_s3_store):
    if request.param == "local":
        root = tmp_path / "store"
        prepare_root(root, None)
        return LocalStorage(root)
    return make_s3_store()


class Generated(io.RawIOBase):
    """A file of ``size`` bytes made as it is read, with how far it was read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.position)
        # Bytes that differ along the file, so a part sent twice or out of order would show.
        block = (self.position.to_bytes(8, "big") * (count // 8 + 1))[:count]
        buffer[:count] = block
        self.digest.update(block)
        self.position += count
        return count


def leftovers(store) -> list[str]:
    """Return what the store holds in any form: files (partial ones too), objects, uploads."""
    if isinstance(store, S3Storage):
        return bucket_names(store) + unfinished_uploads(store)
    return sorted(str(p) for p in store.root.rglob("*") if p.is_file() and p.name != MARKER)


def read_all(store, key: str) -> bytes:
    with store.open(key) as stream:
        return stream.read()


def test_a_saved_file_reads_back_whole_then_is_deleted(store):
    data = os.urandom(300 * 1024)

    blob = store.save(io.BytesIO(data), MEBIBYTE)

    assert (blob.size_bytes, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert read_all(store, blob.key) == data
    assert store.exists(blob.key) and store.size_of(blob.key) == len(data)
    assert [key for key, _ in store.blobs()] == [blob.key]
    store.delete(blob.key)
    assert not store.exists(blob.key)
    with pytest.raises(NotFound):
        store.open(blob.key)
    assert leftovers(store) == []


def test_keys_are_generated_plain_hexadecimal_and_never_reused(store):
    keys = {store.save(io.BytesIO(b"same bytes"), 100).key for _ in range(3)}

    assert len(keys) == 3
    assert all(re.fullmatch("[0-9a-f]{40}", key) and key.isascii() for key in keys)


def test_an_empty_file_is_stored_as_such(store):
    blob = store.save(io.BytesIO(b""), 100)

    assert blob.size_bytes == 0 and read_all(store, blob.key) == b""


def test_a_file_past_the_multipart_threshold_is_streamed_in_parts(store):
    size = 2 * PART_BYTES + 3 * MEBIBYTE + 5
    source = Generated(size)

    blob = store.save(io.BufferedReader(source, CHUNK_BYTES), 50 * MEBIBYTE)

    assert blob.size_bytes == size and blob.sha256 == source.digest.hexdigest()
    digest, total = hashlib.sha256(), 0
    with store.open(blob.key) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            assert len(chunk) <= CHUNK_BYTES
            digest.update(chunk)
            total += len(chunk)
    assert (total, digest.hexdigest()) == (size, blob.sha256)
    if isinstance(store, S3Storage):
        head = store.client.head_object(Bucket=store.bucket, Key=store.prefix + blob.key)
        # A multipart object's ETag ends with its number of parts.
        assert head["ETag"].strip('"').endswith("-3")
        assert unfinished_uploads(store) == []


def test_past_the_limit_the_upload_stops_mid_stream_and_leaves_nothing(store):
    limit = PART_BYTES + 2 * MEBIBYTE
    source = Generated(4 * PART_BYTES)

    with pytest.raises(FileTooLarge) as refused:
        store.save(io.BufferedReader(source, CHUNK_BYTES), limit)

    assert str(refused.value) == "A file cannot exceed 10 MB."
    # Stopped as soon as the limit was passed, not after reading the whole 32 MiB.
    assert source.position <= limit + 2 * CHUNK_BYTES
    assert leftovers(store) == []


def test_a_missing_key_is_not_found_and_deleting_it_is_no_error(store):
    key = new_key()

    with pytest.raises(NotFound):
        store.open(key)
    store.delete(key)
    assert store.size_of(key) is None and not store.exists(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABCDEF0123456789", "été0123456789", "ab"])
def test_a_key_the_store_did_not_generate_reaches_nothing(store, key):
    with pytest.raises(NotFound):
        store.open(key)
