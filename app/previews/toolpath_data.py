"""The toolpath as the browser's viewer reads it: one compact binary file.

Layout, little-endian: ``CNCPATH1``; the number of points n (uint32); n × 3 float32 positions in
millimetres (x, y, z, machine Z up); n uint16 tool indexes (into the sheet's list of tools); n
uint8 segment kinds of the move ending at each point (0 jump, 1 rapid, 2 cut). Each array
starts on a multiple of its item size, so the browser views them without copying.
"""

import math
import struct
import sys
from array import array
from pathlib import Path

from app.previews.gcode import Segment, Toolpath

TOOLPATH_DATA = "toolpath.bin"
MAGIC = b"CNCPATH1"
# Enough for every move a person can follow, small enough for a phone: about 7.5 MB.
VIEWER_MAX_POINTS = 500_000


def write_toolpath_data(path: Toolpath, target: Path, max_points: int = VIEWER_MAX_POINTS) -> int:
    """Write ``path`` for the viewer, keeping at most ``max_points`` points; return how many.

    A longer path keeps every n-th point, and every point where the kind of move changes, so
    rapids stay rapids and no cut is drawn across a jump.
    """
    count = len(path)
    if count <= max_points:
        points, tools, segments = array("f", path.points), array("H", path.tools), path.segments
    else:
        points, tools, segments = array("f"), array("H"), array("B")
        for index in _kept_indexes(path.segments, count, max_points):
            points.extend(path.points[index * 3 : index * 3 + 3])
            tools.append(path.tools[index])
            segments.append(path.segments[index])
    if sys.byteorder == "big":
        points.byteswap()
        tools.byteswap()
    with target.open("wb") as out:
        out.write(MAGIC)
        out.write(struct.pack("<I", len(segments)))
        out.write(points.tobytes())
        out.write(tools.tobytes())
        out.write(segments.tobytes())
    return len(segments)


def _kept_indexes(segments: array, count: int, max_points: int) -> list[int]:
    # Transitions are kept on top of the stride: leave them room.
    stride = math.ceil(count / (max_points // 2))
    kept = []
    previous = None
    for index in range(count):
        kind = segments[index]
        last_of_run = index + 1 < count and segments[index + 1] != kind
        if index % stride == 0 or kind != previous or last_of_run or kind == Segment.JUMP:
            kept.append(index)
            if len(kept) == max_points:
                break
        previous = kind
    return kept
