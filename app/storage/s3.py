"""Blobs as objects in an S3-compatible bucket (AWS, MinIO, Ceph, Garage, Scaleway, OVH…).

Uploads are streamed: a part (``part_bytes``) is filled, then sent; a small file goes in one
request, a larger one as a multipart upload. The size and SHA-256 are taken as the bytes go by; past
the limit, or on any error, the multipart upload is aborted so nothing stays in the bucket.
Downloads are streamed through the application, after its access check (see docs/storage.md).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

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
from app.storage.local import StorageSetupError

log = logging.getLogger(__name__)

# A part is held in memory while it is sent. S3 takes parts of 5 MiB at least (but the last).
PART_BYTES = 8 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60
ATTEMPTS = 3
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Blobs as objects named ``prefix + key`` in one bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        # Self-hosted stores (MinIO, Garage) are most often reached by path, not by subdomain.
        self.addressing_style = addressing_style or ("path" if endpoint_url else "virtual")
        self.part_bytes = part_bytes
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        """Make the store the S3_* settings describe; credentials come from boto3's own chain.

        :raise StorageSetupError: without a bucket.
        """
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise StorageSetupError("STORAGE_BACKEND is s3 but S3_BUCKET is not set.")
        return cls(
            bucket,
            prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            addressing_style=config.get("S3_ADDRESSING_STYLE"),
        )

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use: loading it costs a tenth of a second."""
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": self.addressing_style},
            # Checksums only where the API requires them: several S3-compatible stores refuse
            # the CRC headers newer clients add to every upload by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session()
        return session.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
        )

    def _name(self, key: str) -> str:
        if not is_key(key):
            raise missing()
        return self.prefix + key

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        return self.save_as(new_key(), stream, max_bytes)

    def save_as(self, key: str, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        digest = hashlib.sha256()
        size = 0
        # The chunks of the part being filled, joined once when it is sent: one copy of it.
        pending: list[bytes] = []
        filled = 0
        upload: _Multipart | None = None
        try:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                digest.update(chunk)
                pending.append(chunk)
                filled += len(chunk)
                if filled >= self.part_bytes:
                    upload = upload or _Multipart.start(self.client, self.bucket, name)
                    part = b"".join(pending)
                    pending.clear()
                    while len(part) >= self.part_bytes:
                        upload.send(part[: self.part_bytes])
                        part = part[self.part_bytes :]
                    pending, filled = ([part], len(part)) if part else ([], 0)
            rest = b"".join(pending)
            if upload is None:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=name,
                    Body=rest,
                    ContentType="application/octet-stream",
                )
            else:
                if rest:
                    upload.send(rest)
                upload.complete()
        except (BotoCoreError, ClientError) as error:
            if upload is not None:
                upload.abort()
            log.error("Cannot write %s in bucket %s: %s", name, self.bucket, error)
            raise unavailable() from error
        except BaseException:
            if upload is not None:
                upload.abort()
            raise
        return StoredBlob(key=key, size_bytes=size, sha256=digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                raise missing() from None
            log.error("Cannot read %s in bucket %s: %s", name, self.bucket, error)
            raise unreadable() from error
        except BotoCoreError as error:
            log.error("Cannot read %s in bucket %s: %s", name, self.bucket, error)
            raise unreadable() from error
        return io.BufferedReader(_Body(answer["Body"]), CHUNK_BYTES)

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                return
            log.error("Cannot delete %s in bucket %s: %s", name, self.bucket, error)
            raise unreadable() from error
        except BotoCoreError as error:
            log.error("Cannot delete %s in bucket %s: %s", name, self.bucket, error)
            raise unreadable() from error

    def exists(self, key: str) -> bool:
        return self.size_of(key) is not None

    def size_of(self, key: str) -> int | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                return None
            raise unreadable() from error
        except BotoCoreError as error:
            raise unreadable() from error
        return int(answer["ContentLength"])

    def blobs(self) -> Iterator[tuple[str, datetime]]:
        from botocore.exceptions import BotoCoreError, ClientError

        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix) :]
                    if is_key(key):
                        yield key, item["LastModified"].astimezone(UTC)
        except (BotoCoreError, ClientError) as error:
            raise unreadable() from error

    def url(self, key: str, filename: str) -> str | None:
        # Downloads go through the application: it checks access and records each one.
        return None

    def describe(self) -> str:
        where = self.endpoint_url or "AWS"
        return f"S3 bucket {self.bucket} at {where}, prefix {self.prefix or '(none)'}"


class _Multipart:
    """One multipart upload in progress: its parts sent so far."""

    def __init__(self, client: Any, bucket: str, name: str, upload_id: str) -> None:
        self.client, self.bucket, self.name, self.upload_id = client, bucket, name, upload_id
        self.parts: list[dict[str, Any]] = []

    @classmethod
    def start(cls, client: Any, bucket: str, name: str) -> _Multipart:
        answer = client.create_multipart_upload(
            Bucket=bucket, Key=name, ContentType="application/octet-stream"
        )
        return cls(client, bucket, name, answer["UploadId"])

    def send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.name,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def complete(self) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.name,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        """Drop the parts sent; a store that cannot be told keeps them until its lifecycle rule."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.name, UploadId=self.upload_id
            )
        except (BotoCoreError, ClientError) as error:
            log.warning("Cannot abort the upload of %s: %s", self.name, error)


class _Body(io.RawIOBase):
    """An object's body as a raw stream, so that it reads, closes and buffers like a file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        from botocore.exceptions import BotoCoreError

        try:
            data = self._body.read(len(buffer))
        except BotoCoreError as error:
            log.error("Reading an object stopped: %s", error)
            raise unreadable() from error
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
