"""What the sandbox runs on each kind of file: read it, draw it, return its figures.

Each reader is called in a limited child process as ``reader(source, folder)``; it writes its
pictures into ``folder`` and returns a JSON-able dict (see :mod:`app.previews.sandbox`).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from app.previews.gcode import MAX_LINE_CHARACTERS, read_gcode
from app.previews.pictures import PICTURE_SIZE, save_pictures
from app.previews.toolpath_data import TOOLPATH_DATA, write_toolpath_data
from app.previews.toolpath_image import draw_toolpath

_CHUNK = 1024 * 1024


def read_gcode_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a G-code program: its sheet, a picture of its toolpath and a thumbnail."""
    with source.open("rb") as stream:
        sheet = read_gcode(bounded_lines(stream))
    images = save_pictures(draw_toolpath(sheet.toolpath, *PICTURE_SIZE), folder)
    figures = sheet.as_dict()
    figures["viewer_points"] = write_toolpath_data(sheet.toolpath, folder / TOOLPATH_DATA)
    return {
        "kind": "gcode",
        "sheet": figures,
        "images": images,
        "viewer": TOOLPATH_DATA,
    }


def bounded_lines(stream: BinaryIO, longest: int = MAX_LINE_CHARACTERS) -> Iterator[str]:
    """Yield the text lines of ``stream``, each cut a little past ``longest`` characters.

    A file of one endless line is read a chunk at a time, never held whole. Bytes are read as
    Latin-1, which every byte is: a program's comments in another encoding stay readable enough
    and nothing fails to decode.
    """
    while True:
        line = stream.readline(longest + 1)
        if not line:
            return
        if len(line) > longest and not line.endswith(b"\n"):
            # Keep the beginning (the reader sees it is too long), skip to the next line.
            while True:
                rest = stream.readline(_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line.decode("latin-1").rstrip("\r\n")
