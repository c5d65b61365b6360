"""Draw a DXF layout with Pillow: black lines on white, fitted to a picture with a margin.

ezdxf's drawing add-on breaks every entity (blocks, dimensions, hatches, text) into lines, paths
and polygons; this back-end only turns them into pixels. It is much lighter than the matplotlib
one on large drawings. Colours and line weights are not kept: a preview shows shapes.
"""

from collections.abc import Iterable

from ezdxf.addons.drawing.backend import Backend, BkPath2d, BkPoints2d, ImageData
from ezdxf.addons.drawing.properties import BackendProperties
from ezdxf.math import Vec2
from PIL import Image, ImageDraw

INK = 0
PAPER = 255
# Curves are cut into chords straying at most this many pixels from them.
FLATTENING_PIXELS = 0.4


class PillowBackend(Backend):
    """Draw onto a grey picture of ``size`` showing the box ``low``–``high`` (drawing units)."""

    def __init__(
        self,
        size: tuple[int, int],
        low: tuple[float, float],
        high: tuple[float, float],
        margin: int,
    ) -> None:
        super().__init__()
        width, height = size
        self.image = Image.new("L", size, PAPER)
        self._canvas = ImageDraw.Draw(self.image)
        span_x = max(high[0] - low[0], 1e-12)
        span_y = max(high[1] - low[1], 1e-12)
        self._scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        # Centred: the unused room is shared on both sides.
        self._left = (width - span_x * self._scale) / 2 - low[0] * self._scale
        self._top = (height + span_y * self._scale) / 2 + low[1] * self._scale
        self._flattening = FLATTENING_PIXELS / self._scale

    def _pixel(self, point: Vec2) -> tuple[float, float]:
        # The picture's y grows downwards.
        return point.x * self._scale + self._left, self._top - point.y * self._scale

    def _pixels(self, points: Iterable[Vec2]) -> list[tuple[float, float]]:
        scale, left, top = self._scale, self._left, self._top
        return [(p.x * scale + left, top - p.y * scale) for p in points]

    def set_background(self, color: str) -> None:
        pass  # always white paper

    def draw_point(self, pos: Vec2, properties: BackendProperties) -> None:
        self._canvas.point(self._pixel(pos), fill=INK)

    def draw_line(self, start: Vec2, end: Vec2, properties: BackendProperties) -> None:
        self._canvas.line([self._pixel(start), self._pixel(end)], fill=INK)

    def draw_solid_lines(
        self, lines: Iterable[tuple[Vec2, Vec2]], properties: BackendProperties
    ) -> None:
        for start, end in lines:
            self._canvas.line([self._pixel(start), self._pixel(end)], fill=INK)

    def draw_path(self, path: BkPath2d, properties: BackendProperties) -> None:
        for part in path.sub_paths() if path.has_sub_paths else (path,):
            if len(part):
                points = self._pixels(part.flattening(self._flattening))
                if len(points) > 1:
                    self._canvas.line(points, fill=INK)

    def draw_filled_paths(self, paths: Iterable[BkPath2d], properties: BackendProperties) -> None:
        for path in paths:
            for part in path.sub_paths() if path.has_sub_paths else (path,):
                points = self._pixels(part.flattening(self._flattening))
                if len(points) > 2:
                    self._canvas.polygon(points, fill=INK)

    def draw_filled_polygon(self, points: BkPoints2d, properties: BackendProperties) -> None:
        pixels = self._pixels(points.vertices())
        if len(pixels) > 2:
            self._canvas.polygon(pixels, fill=INK)

    def draw_image(self, image_data: ImageData, properties: BackendProperties) -> None:
        pass  # raster images are drawn as their frames (ImagePolicy.RECT)

    def clear(self) -> None:
        self._canvas.rectangle([(0, 0), self.image.size], fill=PAPER)

    def finalize(self) -> None:
        pass
