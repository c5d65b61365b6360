"""Which reader reads which kind of file, its version, and what one reading may use.

A reader's version goes up whenever what it finds or draws changes; ``flask cnc previews
regenerate`` then reads again every file whose preview an older version made.
"""

from dataclasses import dataclass, field

from app.domain.file_kinds import FileFormat, format_of
from app.previews.sandbox import Limits


@dataclass(frozen=True)
class Reader:
    """A reader of one kind of file: the function the sandbox calls, and its version."""

    name: str
    function: str  # "module:function", imported by the child process only
    version: int
    limits: Limits = field(default_factory=Limits)


READERS: dict[FileFormat, Reader] = {
    # 2: a peck-drilling cycle's own rapids back into the hole are no longer warned about;
    # lines drawn three pixels wide, the thumbnail made from the picture.
    FileFormat.GCODE: Reader("gcode", "app.previews.readers:read_gcode_file", 2),
    FileFormat.STL: Reader("stl", "app.previews.mesh:read_stl_file", 1),
    FileFormat.THREE_MF: Reader("3mf", "app.previews.mesh:read_3mf_file", 1),
    FileFormat.STEP: Reader("step", "app.previews.cad:read_step_file", 1),
    FileFormat.IGES: Reader("iges", "app.previews.cad:read_iges_file", 1),
    FileFormat.DXF: Reader("dxf", "app.previews.drawing:read_dxf_file", 1),
    FileFormat.PDF: Reader("pdf", "app.previews.document:read_pdf_file", 1),
    FileFormat.IMAGE: Reader("image", "app.previews.document:read_image_file", 1),
}

# Pictures Pillow reads; a vector image (SVG) is a document a browser could run, not read here.
_RASTER_EXTENSIONS = frozenset((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"))


def reader_for(file_name: str) -> Reader | None:
    """Return the reader of a file, from its name; None when no reader knows its kind."""
    kind = format_of(file_name)
    if kind is FileFormat.IMAGE and not file_name.lower().endswith(tuple(_RASTER_EXTENSIONS)):
        return None
    return READERS.get(kind)


def reader_named(name: str) -> Reader | None:
    """Return the reader called ``name``, if there is one."""
    return next((reader for reader in READERS.values() if reader.name == name), None)
