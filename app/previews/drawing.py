"""Read a DXF drawing: its units, extent, layers and entities, and a picture of its model space.

Before anything is drawn or measured, the entities model space expands to through its blocks are
counted from the block table: a few kilobytes of nested blocks or one MINSERT grid can stand for
billions of entities, which no preview should try to draw.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.errors import N_
from app.previews.pictures import PICTURE_SIZE, save_pictures
from app.previews.sandbox import Refused

# More entities than this (after expanding blocks) and the drawing is not read.
MAX_EXPANDED_ENTITIES = 2_000_000
# Blocks within blocks deeper than this are refused (counting them recurses, as drawing does).
MAX_BLOCK_DEPTH = 100
PICTURE_MARGIN_PIXELS = 20

# $INSUNITS codes: the unit's name and its length in millimetres. 0 (unitless) is not here.
UNITS: dict[int, tuple[str, float]] = {
    1: ("inch", 25.4),
    2: ("foot", 304.8),
    3: ("mile", 1_609_344.0),
    4: ("mm", 1.0),
    5: ("cm", 10.0),
    6: ("m", 1_000.0),
    7: ("km", 1_000_000.0),
    8: ("microinch", 25.4e-6),
    9: ("mil", 0.0254),
    10: ("yard", 914.4),
    11: ("angstrom", 1e-7),
    12: ("nm", 1e-6),
    13: ("µm", 1e-3),
    14: ("dm", 100.0),
    15: ("dam", 10_000.0),
    16: ("hm", 100_000.0),
    17: ("Gm", 1e12),
    18: ("au", 1.495978707e14),
    19: ("light-year", 9.4607304725808e18),
    20: ("parsec", 3.0856775814913673e19),
    21: ("US survey foot", 1_200_000 / 3937),
}
# Entities drawn through a block of their own besides their own lines.
_BLOCK_BACKED = frozenset({"DIMENSION", "ARC_DIMENSION", "LARGE_RADIAL_DIMENSION", "ACAD_TABLE"})


@dataclass
class Expansion:
    """What a block or a layout stands for once every block it inserts is expanded."""

    types: Counter[str] = field(default_factory=Counter)
    # Per layer; None for entities on layer "0" inside a block, which take the inserting layer.
    layers: Counter[str | None] = field(default_factory=Counter)
    # Everything the drawing add-on would draw, the blocks of dimensions and tables included.
    work: int = 0

    def add(self, other: "Expansion", times: int, layer: str | None) -> None:
        for name, count in other.types.items():
            self.types[name] += count * times
        for name, count in other.layers.items():
            self.layers[layer if name is None else name] += count * times
        self.work += other.work * times


def read_dxf_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a DXF drawing: its sheet, a picture of its model space and a thumbnail."""
    import ezdxf

    from app.previews.drawing_extent import measure

    try:
        document = ezdxf.readfile(source)
    except (OSError, UnicodeError, ValueError, ezdxf.DXFError):
        raise Refused(N_("This file is not a DXF drawing that can be read.")) from None
    model = document.modelspace()
    expansion = BlockCounter(document).layout(model)
    if expansion.work > MAX_EXPANDED_ENTITIES:
        raise Refused(
            N_("The drawing would expand to %(count)s entities; previews stop at %(limit)s."),
            count=expansion.work,
            limit=MAX_EXPANDED_ENTITIES,
        )
    unit = UNITS.get(document.header.get("$INSUNITS", 0))
    box = measure(model)
    sheet: dict[str, Any] = {
        "units": unit[0] if unit else None,
        "extent_units": "mm" if unit else "drawing",
        "extent_mm": None,
        "size_mm": None,
        "layers": [
            {"name": name, "entities": count}
            for name, count in sorted(expansion.layers.items(), key=lambda item: str(item[0]))
            if count
        ],
        "entities": dict(sorted(expansion.types.items())),
        "entity_total": sum(expansion.types.values()),
        "dxf_version": document.dxfversion,
    }
    if not box.empty:
        factor = unit[1] if unit else 1.0
        low, high = (box.low_x, box.low_y), (box.high_x, box.high_y)
        x_low, y_low, x_high, y_high = (round(value * factor, 4) for value in (*low, *high))
        size = [round(x_high - x_low, 4), round(y_high - y_low, 4)]
        if not all(math.isfinite(value) for value in (x_low, y_low, *size)):
            raise Refused(N_("The drawing's coordinates are too large to measure."))
        sheet["extent_mm"] = {"x": [x_low, x_high], "y": [y_low, y_high]}
        sheet["size_mm"] = size
        picture = draw_model_space(document, low, high)
    else:
        from PIL import Image

        picture = Image.new("L", PICTURE_SIZE, 255)
    return {"kind": "dxf", "sheet": sheet, "images": save_pictures(picture, folder)}


class BlockCounter:
    """Count what layouts and blocks expand to, each block once, refusing blocks in a cycle."""

    def __init__(self, document: Any) -> None:
        self._blocks = document.blocks
        self._done: dict[str, Expansion] = {}
        self._open: set[str] = set()

    def layout(self, entities: Any, in_block: bool = False) -> Expansion:
        """Return what ``entities`` expand to; inside a block, layer "0" is left to the insert."""
        total = Expansion()
        for entity in entities:
            kind = entity.dxftype()
            layer = entity.dxf.get("layer", "0")
            if in_block and layer == "0":
                layer = None
            if kind in ("INSERT", "MINSERT"):
                inner = self.block(entity.dxf.get("name", ""))
                if inner is not None:
                    # Every grid position counts, even the ones a zero spacing piles up.
                    times = max(1, entity.dxf.get("row_count", 1)) * max(
                        1, entity.dxf.get("column_count", 1)
                    )
                    total.add(inner, times, layer)
                for attribute in entity.attribs:
                    attribute_layer = attribute.dxf.get("layer", "0")
                    total.types["ATTRIB"] += 1
                    total.layers[
                        None if in_block and attribute_layer == "0" else attribute_layer
                    ] += 1
                    total.work += 1
                continue
            if in_block and kind == "ATTDEF":
                continue  # a template for the inserts' attributes, not drawn with the block
            total.types[kind] += 1
            total.layers[layer] += 1
            total.work += 1
            if kind in _BLOCK_BACKED:
                name = next(
                    (
                        entity.dxf.get(key)
                        for key in ("geometry", "block_name")
                        if entity.dxf.is_supported(key) and entity.dxf.get(key)
                    ),
                    None,
                )
                inner = self.block(name) if name else None
                if inner is not None:
                    total.work += inner.work
        return total

    def block(self, name: str) -> Expansion | None:
        """Return what the block ``name`` expands to, or None when there is no such block."""
        key = name.lower()  # block names ignore case
        if key in self._done:
            return self._done[key]
        if key in self._open:
            raise Refused(N_("The drawing's block %(name)s inserts itself."), name=name)
        definition = self._blocks.get(name)
        if definition is None:
            return None
        if len(self._open) >= MAX_BLOCK_DEPTH:
            raise Refused(
                N_("The drawing nests blocks more than %(depth)s deep."), depth=MAX_BLOCK_DEPTH
            )
        self._open.add(key)
        found = self.layout(definition, in_block=True)
        self._open.discard(key)
        self._done[key] = found
        return found


def draw_model_space(document: Any, low: tuple[float, float], high: tuple[float, float]) -> Any:
    """Return model space in black on white, the box ``low``–``high`` fitted in the picture."""
    from ezdxf.addons.drawing import Frontend, RenderContext
    from ezdxf.addons.drawing.config import (
        BackgroundPolicy,
        ColorPolicy,
        Configuration,
        HatchPolicy,
        ImagePolicy,
        LinePolicy,
        ProxyGraphicPolicy,
        TextPolicy,
    )

    from app.previews.drawing_image import PillowBackend

    config = Configuration(
        background_policy=BackgroundPolicy.WHITE,
        color_policy=ColorPolicy.BLACK,
        # Dash patterns and hatch patterns can multiply a few entities into millions of strokes.
        line_policy=LinePolicy.SOLID,
        hatch_policy=HatchPolicy.SHOW_OUTLINE,
        text_policy=TextPolicy.REPLACE_RECT,
        image_policy=ImagePolicy.RECT,
        proxy_graphic_policy=ProxyGraphicPolicy.SHOW,
    )
    backend = PillowBackend(PICTURE_SIZE, low, high, PICTURE_MARGIN_PIXELS)
    Frontend(RenderContext(document), backend, config=config).draw_layout(
        document.modelspace(), finalize=True
    )
    return backend.image
