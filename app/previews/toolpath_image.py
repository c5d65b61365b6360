"""Draw a G-code toolpath as a picture: seen from above at an angle, one colour per tool,
cutting moves solid, rapid moves dashed."""

import math
from collections.abc import Iterator

from PIL import Image, ImageDraw

from app.previews.gcode import Segment, Toolpath

# Colours that stay apart for people with the common colour-vision deficiencies (Okabe and Ito).
TOOL_COLOURS = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (240, 228, 66),
    (0, 0, 0),
)
RAPID_COLOUR = (150, 150, 150)
BACKGROUND = (255, 255, 255)
DASH_PIXELS = 6

_COS30 = math.cos(math.radians(30))


def draw_toolpath(path: Toolpath, width: int = 800, height: int = 600) -> Image.Image:
    """Return the toolpath drawn to fit ``width`` × ``height`` pixels, with a margin."""
    image = Image.new("RGB", (width, height), BACKGROUND)
    count = len(path)
    if count == 0:
        return image
    points = path.points
    # An isometric view from the front right, the picture's y growing downwards.
    flat = [
        ((x - y) * _COS30, -((x + y) * 0.5 + z))
        for x, y, z in zip(points[0::3], points[1::3], points[2::3], strict=True)
    ]
    us = [u for u, _ in flat]
    vs = [v for _, v in flat]
    low_u, high_u, low_v, high_v = min(us), max(us), min(vs), max(vs)
    margin = max(4, min(width, height) // 20)
    scale = min(
        (width - 2 * margin) / max(high_u - low_u, 1e-9),
        (height - 2 * margin) / max(high_v - low_v, 1e-9),
    )
    offset_u = (width - (high_u - low_u) * scale) / 2 - low_u * scale
    offset_v = (height - (high_v - low_v) * scale) / 2 - low_v * scale
    pixels = [(u * scale + offset_u, v * scale + offset_v) for u, v in flat]
    line_width = max(1, round(min(width, height) / 300))
    canvas = ImageDraw.Draw(image)
    runs = list(_runs(path, pixels))
    # Rapids first, under the cuts they lead to.
    for kind, _tool, run in runs:
        if kind == Segment.RAPID:
            for start, end in zip(run, run[1:], strict=False):
                _dashed(canvas, start, end, RAPID_COLOUR, line_width)
    for kind, tool, run in runs:
        if kind == Segment.CUT:
            canvas.line(run, fill=TOOL_COLOURS[tool % len(TOOL_COLOURS)], width=line_width)
    return image


def _runs(
    path: Toolpath, pixels: list[tuple[float, float]]
) -> Iterator[tuple[int, int, list[tuple[float, float]]]]:
    """Yield the stretches drawn alike: same kind of move, same tool, no jump in between.

    Each run starts at the point its first move leaves from.
    """
    segments, tools = path.segments, path.tools
    run: list[tuple[float, float]] = []
    kind, tool = int(Segment.JUMP), -1
    for index in range(1, len(segments)):
        # Plain integers here: this runs once per point.
        this_kind, this_tool = segments[index], tools[index]
        if this_kind == Segment.JUMP:
            if len(run) > 1:
                yield kind, tool, run
            run, kind = [], int(Segment.JUMP)
            continue
        if this_kind != kind or this_tool != tool:
            if len(run) > 1:
                yield kind, tool, run
            run = [pixels[index - 1]]
            kind, tool = this_kind, this_tool
        run.append(pixels[index])
    if len(run) > 1:
        yield kind, tool, run


def _dashed(
    canvas: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    colour: tuple[int, int, int],
    width: int,
) -> None:
    length = math.dist(start, end)
    if length == 0:
        return
    steps = max(1, int(length // DASH_PIXELS))
    for step in range(0, steps, 2):
        a = step / steps
        b = min(1.0, (step + 1) / steps)
        canvas.line(
            [
                (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a),
                (start[0] + (end[0] - start[0]) * b, start[1] + (end[1] - start[1]) * b),
            ],
            fill=colour,
            width=width,
        )
