"""What a file is, from its name: the type it is stored and served with, and its kind in words.

G-code (``.nc`` and friends) is plain text: guessing from the name alone would call a ``.nc``
a netCDF data set, so the CNC extensions are known here before any general guess.
Labels are English msgids marked with ``N_``; the web layer translates them at display.
"""

import mimetypes
from enum import StrEnum

from app.domain.errors import N_

OCTET_STREAM = "application/octet-stream"
_MAX_TYPE_LENGTH = 127


class FileFormat(StrEnum):
    """Name what a file holds, as a client would say it."""

    GCODE = "gcode"
    STEP = "step"
    IGES = "iges"
    STL = "stl"
    DXF = "dxf"
    DWG = "dwg"
    THREE_MF = "3mf"
    PDF = "pdf"
    IMAGE = "image"
    ARCHIVE = "archive"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Return the kind in words, as an English msgid to translate."""
        return _LABELS[self]


_LABELS = {
    FileFormat.GCODE: N_("G-code"),
    FileFormat.STEP: N_("STEP model"),
    FileFormat.IGES: N_("IGES model"),
    FileFormat.STL: N_("STL mesh"),
    FileFormat.DXF: N_("DXF drawing"),
    FileFormat.DWG: N_("DWG drawing"),
    FileFormat.THREE_MF: N_("3MF model"),
    FileFormat.PDF: N_("PDF document"),
    FileFormat.IMAGE: N_("Image"),
    FileFormat.ARCHIVE: N_("Archive"),
    FileFormat.OTHER: N_("Other file"),
}

# The CNC formats: their extensions and the one content type each is stored and served with.
_CNC_FORMATS = {
    FileFormat.GCODE: ((".nc", ".ngc", ".tap", ".gcode", ".cnc"), "text/plain"),
    FileFormat.STEP: ((".step", ".stp"), "model/step"),
    FileFormat.IGES: ((".iges", ".igs"), "model/iges"),
    FileFormat.STL: ((".stl",), "model/stl"),
    FileFormat.DXF: ((".dxf",), "image/vnd.dxf"),
    FileFormat.DWG: ((".dwg",), "image/vnd.dwg"),
    FileFormat.THREE_MF: ((".3mf",), "model/3mf"),
}
_BY_EXTENSION = {
    extension: (file_format, content_type)
    for file_format, (extensions, content_type) in _CNC_FORMATS.items()
    for extension in extensions
}
_ARCHIVE_EXTENSIONS = frozenset(
    (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".zst")
)
_ARCHIVE_TYPES = frozenset(
    (
        "application/zip",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
    )
)
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
}
# Types a browser could run as a page or a script: served as bytes to save, whatever the name.
_ACTIVE_TYPES = frozenset(("image/svg+xml",))


def _extension(name: str) -> str:
    stem, dot, extension = (name or "").rpartition(".")
    return f".{extension.lower()}" if dot and stem.strip() else ""


def _guess(name: str) -> str | None:
    guessed, encoding = mimetypes.guess_type(name or "", strict=False)
    if encoding:
        return _COMPRESSED.get(encoding, OCTET_STREAM)
    return guessed


def format_of(name: str) -> FileFormat:
    """Say what a file is from its name; the case of the extension does not matter."""
    extension = _extension(name)
    if not extension:
        return FileFormat.OTHER
    known = _BY_EXTENSION.get(extension)
    if known:
        return known[0]
    if extension == ".pdf":
        return FileFormat.PDF
    if extension in _ARCHIVE_EXTENSIONS:
        return FileFormat.ARCHIVE
    guessed = _guess(f"file{extension}")
    if guessed in _ARCHIVE_TYPES:
        return FileFormat.ARCHIVE
    if guessed and guessed.startswith("image/"):
        return FileFormat.IMAGE
    return FileFormat.OTHER


def label_of(name: str) -> str:
    """Return the kind of a file in words, as an English msgid to translate."""
    return format_of(name).label


def content_type_for(name: str, claimed: str | None = None) -> str:
    """Return the content type to store for an uploaded file.

    A CNC extension decides on its own, whatever the uploader's computer claimed (browsers
    send ``.nc`` as netCDF); otherwise a well-formed claimed type is kept, else the type is
    guessed from the name, else the file is opaque bytes.
    """
    known = _BY_EXTENSION.get(_extension(name))
    if known:
        return known[1]
    if claimed and "/" in claimed and len(claimed) <= _MAX_TYPE_LENGTH and "\n" not in claimed:
        return claimed.split(";")[0].strip().lower() or OCTET_STREAM
    return _guess(name) or OCTET_STREAM


def served_type(name: str) -> str:
    """Return the Content-Type a download is sent with, from the file's name alone.

    Files stored before with a wrong type are served right too. Only the kinds a client
    saves and opens in a CAD, CAM or viewer program get their own type; anything else,
    and anything a browser could run, goes out as opaque bytes.
    """
    file_format = format_of(name)
    if file_format is FileFormat.OTHER:
        return OCTET_STREAM
    known = _BY_EXTENSION.get(_extension(name))
    if known:
        return known[1]
    guessed = _guess(name) or OCTET_STREAM
    return OCTET_STREAM if guessed in _ACTIVE_TYPES else guessed
