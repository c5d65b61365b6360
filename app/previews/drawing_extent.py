"""Measure the true extent of a DXF layout, from its entities rather than from its header.

$EXTMIN and $EXTMAX are only as fresh as the last program that wrote them. ezdxf's bounding box
is exact but costs about a tenth of a millisecond per entity, so the entities a cut part is made
of (lines, circles, arcs, light polylines with their bulges, points) are measured here by hand,
and everything else (blocks, text, splines, ellipses, hatches, dimensions) is left to ezdxf.
"""

import math
from collections.abc import Iterable
from typing import Any

_PLAIN = frozenset({"LINE", "POINT", "CIRCLE", "ARC", "LWPOLYLINE"})
_QUARTERS = (0.0, math.pi / 2, math.pi, 3 * math.pi / 2)


class Extent:
    """The smallest box holding every point added, in drawing units (x and y only)."""

    def __init__(self) -> None:
        self.low_x = self.low_y = math.inf
        self.high_x = self.high_y = -math.inf

    @property
    def empty(self) -> bool:
        return self.low_x > self.high_x

    def add(self, x: float, y: float) -> None:
        if x < self.low_x:
            self.low_x = x
        if x > self.high_x:
            self.high_x = x
        if y < self.low_y:
            self.low_y = y
        if y > self.high_y:
            self.high_y = y

    def add_arc(self, cx: float, cy: float, radius: float, start: float, end: float) -> None:
        """Add the arc turning anticlockwise from ``start`` to ``end`` (radians)."""
        radius = abs(radius)
        self.add(cx + radius * math.cos(start), cy + radius * math.sin(start))
        self.add(cx + radius * math.cos(end), cy + radius * math.sin(end))
        sweep = (end - start) % math.tau
        for quarter in _QUARTERS:
            # The arc reaches its left, right, top or bottom where it passes that angle.
            if (quarter - start) % math.tau <= sweep:
                self.add(cx + radius * math.cos(quarter), cy + radius * math.sin(quarter))


def measure(entities: Iterable[Any]) -> Extent:
    """Return the extent of ``entities`` (a layout), blocks and all."""
    from ezdxf import bbox

    extent = Extent()
    others = []
    for entity in entities:
        kind = entity.dxftype()
        if kind in _PLAIN and _flat(entity):
            _add_plain(extent, kind, entity)
        else:
            others.append(entity)
    if others:
        box = bbox.extents(others)
        if box.has_data:
            extent.add(box.extmin.x, box.extmin.y)
            extent.add(box.extmax.x, box.extmax.y)
    return extent


def _flat(entity: Any) -> bool:
    """Tell whether the entity's own coordinates are world coordinates (it lies in XY)."""
    extrusion = entity.dxf.get("extrusion")
    return extrusion is None or (
        extrusion[2] > 0 and math.isclose(extrusion[0], 0) and math.isclose(extrusion[1], 0)
    )


def _add_plain(extent: Extent, kind: str, entity: Any) -> None:
    dxf = entity.dxf
    if kind == "LINE":
        extent.add(dxf.start.x, dxf.start.y)
        extent.add(dxf.end.x, dxf.end.y)
    elif kind == "POINT":
        extent.add(dxf.location.x, dxf.location.y)
    elif kind == "CIRCLE":
        centre, radius = dxf.center, abs(dxf.radius)
        extent.add(centre.x - radius, centre.y - radius)
        extent.add(centre.x + radius, centre.y + radius)
    elif kind == "ARC":
        centre = dxf.center
        extent.add_arc(
            centre.x,
            centre.y,
            dxf.radius,
            math.radians(dxf.start_angle),
            math.radians(dxf.end_angle),
        )
    else:
        _add_polyline(extent, entity)


def _add_polyline(extent: Extent, polyline: Any) -> None:
    from ezdxf.math import Vec2, bulge_to_arc

    # x, y, start width, end width, bulge per vertex; read as plain numbers, which is faster.
    points = [(float(x), float(y), float(bulge)) for x, y, _, _, bulge in polyline.lwpoints.values]
    if not points:
        return
    for x, y, _ in points:
        extent.add(x, y)
    pairs = list(zip(points, points[1:], strict=False))
    if polyline.closed and len(points) > 1:
        pairs.append((points[-1], points[0]))
    for (x1, y1, bulge), (x2, y2, _) in pairs:
        if bulge and (x1, y1) != (x2, y2):
            centre, start, end, radius = bulge_to_arc(Vec2(x1, y1), Vec2(x2, y2), bulge)
            extent.add_arc(centre.x, centre.y, radius, start, end)
