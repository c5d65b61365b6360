"""A G-code program read in the sandbox: its sheet, its pictures, within time and memory."""

import math

from PIL import Image

from app.previews.pictures import PICTURE, THUMBNAIL
from app.previews.readers import bounded_lines
from app.previews.sandbox import Outcome, run_limited

READER = "app.previews.readers:read_gcode_file"


def write_program(path, passes: int) -> float:
    """Write a pocket of ``passes`` rounded rectangles; return its cutting time in seconds."""
    lines = ["%", "O2001", "(T1 D=6 FLAT)", "G21 G90 G17", "T1 M6", "S9000 M3"]
    lines += ["G0 X2 Y0 Z1", "G1 Z0 F500", "F1500"]
    for _ in range(passes):
        lines += [
            "X48",
            "G3 X50 Y2 I0 J2",
            "G1 Y18",
            "G3 X48 Y20 I-2 J0",
            "G1 X2",
            "G3 X0 Y18 I0 J-2",
            "G1 Y2",
            "G3 X2 Y0 I2 J0",
            "G1",
        ]
    lines += ["G0 Z5", "M30", "%"]
    path.write_text("\n".join(lines) + "\n")
    perimeter = 2 * 46 + 2 * 16 + 2 * math.pi * 2
    return 1 / 500 * 60 + passes * perimeter / 1500 * 60


def test_a_program_of_200000_lines_is_read_and_drawn_in_the_sandbox(tmp_path):
    source = tmp_path / "poche.nc"
    exact = write_program(source, passes=22_222)
    folder = tmp_path / "preview"

    reading = run_limited(READER, source, folder)

    assert reading.outcome is Outcome.READY, reading.reason
    sheet = reading.result["sheet"]
    assert sheet["lines"] > 200_000
    assert sheet["program_number"] == "2001" and sheet["units"] == "mm"
    assert abs(sheet["cutting_seconds"] - exact) / exact < 0.02
    assert sheet["machined_extent_mm"] == {"x": [0, 50], "y": [0, 20], "z": [0, 1]}
    assert sheet["tools"][0]["comment"] == "T1 D=6 FLAT"
    with Image.open(folder / PICTURE) as picture, Image.open(folder / THUMBNAIL) as thumbnail:
        assert picture.size == (800, 600) and thumbnail.size == (240, 180)
    assert reading.peak_memory_bytes < 300 * 1024**2


def test_one_endless_line_is_cut_not_held_whole(tmp_path):
    source = tmp_path / "une-ligne.nc"
    source.write_bytes(b"G21 G90 G1 X1 F100" + b" X2" * 3_000_000 + b"\nM30\n")

    with source.open("rb") as stream:
        lines = list(bounded_lines(stream))

    assert len(lines) == 2 and len(lines[0]) == 513 and lines[1] == "M30"
    reading = run_limited(READER, source, tmp_path / "preview")
    assert reading.outcome is Outcome.READY
    assert {"code": "line_too_long", "first_line": 1, "count": 1} in reading.result["sheet"][
        "warnings"
    ]
