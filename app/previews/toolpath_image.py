"""Draw a G-code toolpath as a picture: seen from above at an angle, one colour per tool,
cutting moves solid, rapid moves dashed."""

import math
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

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
    points = np.frombuffer(path.points, dtype=np.float32).reshape(-1, 3).astype(np.float64)
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    # An isometric view from the front right, the picture's y growing downwards.
    u = (x - y) * _COS30
    v = -((x + y) * 0.5 + z)
    # Drawn one pixel wide, then widened as a whole: Pillow draws wide lines segment by
    # segment, a hundred times slower on a long program. The widening stays inside the margin.
    thicken = min(width, height) >= 300
    margin = max(4, min(width, height) // 20) + (1 if thicken else 0)
    scale = min(
        (width - 2 * margin) / max(float(u.max() - u.min()), 1e-9),
        (height - 2 * margin) / max(float(v.max() - v.min()), 1e-9),
    )
    u = u * scale + ((width - (u.max() - u.min()) * scale) / 2 - u.min() * scale)
    v = v * scale + ((height - (v.max() - v.min()) * scale) / 2 - v.min() * scale)
    pixels = np.column_stack((u, v))
    canvas = ImageDraw.Draw(image)
    runs = list(_runs(path, pixels))
    # Rapids first, under the cuts they lead to.
    for kind, _tool, run in runs:
        if kind == Segment.RAPID:
            corners = run.tolist()
            for start, end in zip(corners, corners[1:], strict=False):
                _dashed(canvas, start, end, RAPID_COLOUR)
    for kind, tool, run in runs:
        if kind == Segment.CUT:
            canvas.line(run.ravel().tolist(), fill=TOOL_COLOURS[tool % len(TOOL_COLOURS)])
    # On white, each pixel takes its darkest neighbour's value: every line three pixels wide.
    return image.filter(ImageFilter.MinFilter(3)) if thicken else image


def _runs(path: Toolpath, pixels: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield the stretches drawn alike: same kind of move, same tool, no jump in between.

    Each run starts at the point its first move leaves from.
    """
    kinds = np.frombuffer(path.segments, dtype=np.uint8)
    tools = np.frombuffer(path.tools, dtype=np.uint16)
    # A run begins wherever the kind of move or the tool changes.
    starts = np.flatnonzero((np.diff(kinds) != 0) | (np.diff(tools) != 0)) + 1
    bounds = [1, *starts.tolist(), len(kinds)]
    for first, last in zip(bounds, bounds[1:], strict=False):
        if first >= last:
            continue
        kind = int(kinds[first])
        if kind == Segment.JUMP:
            continue
        # From the point the first move leaves, to the last move's end.
        yield kind, int(tools[first]), pixels[first - 1 : last]


def _dashed(
    canvas: ImageDraw.ImageDraw,
    start: list[float],
    end: list[float],
    colour: tuple[int, int, int],
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
        )
