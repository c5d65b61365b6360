"""What the product learned from a file's bytes: its sheet, its pictures, its viewer data."""

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime, utcnow


class PreviewOutcome(StrEnum):
    READY = "ready"  # the sheet and pictures are there
    REFUSED = "refused"  # the file asks too much or is not what its name says; ``reason`` says
    FAILED = "failed"  # the reader broke on it; ``reason`` says how


class FilePreview(Model):
    """One reading of one file's bytes by one reader, shared by every file with those bytes.

    Keyed by the bytes' SHA-256 and the reader (the same bytes named ``.nc`` or ``.txt`` are read
    differently), so a file uploaded again is not read again. It belongs to no organisation: it
    is reached only through a file the viewer may read, whose bytes it describes.
    """

    __tablename__ = "file_preview"
    __table_args__ = (UniqueConstraint("sha256", "reader", name="uq_file_preview_sha256_reader"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    reader: Mapped[str] = mapped_column(String(16), nullable=False)
    # The reader's version when it read the file: an older one is read again on regeneration.
    generator_version: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    sheet: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON of the figures
    # An English msgid with ``%(name)s`` placeholders, and their values as JSON.
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reason_params: Mapped[str | None] = mapped_column(Text, nullable=True)
    picture_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # A small picture marked "preview", the only one an end client sees before paying.
    watermark_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    viewer_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    viewer_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    seconds: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
