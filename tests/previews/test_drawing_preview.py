"""DXF drawings read in the sandbox: units, true extent, layers, entities, a picture."""

import json

import ezdxf
import pytest
from PIL import Image, ImageOps

from app.previews.drawing import MAX_EXPANDED_ENTITIES, read_dxf_file
from app.previews.pictures import PICTURE, THUMBNAIL
from app.previews.sandbox import Outcome, run_limited
from bench.previews_drawings import minsert_dxf, nested_blocks_dxf

READER = "app.previews.drawing:read_dxf_file"
INSUNITS = {"unitless": 0, "inch": 1, "mm": 4}


def plate_drawing(path, units: str) -> None:
    """Write a 120 × 80 frame on layer CUT and two holes on HOLES, one sticking 10 out on the right.

    The header's extent is left stale (a 1,000-unit square), as drawings saved by some programs are.
    """
    document = ezdxf.new("R2018")
    document.header["$INSUNITS"] = INSUNITS[units]
    document.header["$EXTMIN"] = (-500, -500, 0)
    document.header["$EXTMAX"] = (500, 500, 0)
    model = document.modelspace()
    corners = [(0, 0), (120, 0), (120, 80), (0, 80)]
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        model.add_line(start, end, dxfattribs={"layer": "CUT"})
    model.add_circle((60, 40), 20, dxfattribs={"layer": "HOLES"})
    model.add_circle((120, 40), 10, dxfattribs={"layer": "HOLES"})
    document.saveas(path)


def ink_box(path) -> tuple[int, int, int, int] | None:
    """Return the box of the picture's dark pixels."""
    with Image.open(path) as picture:
        return ImageOps.invert(picture.convert("L")).point(lambda v: 255 if v > 64 else 0).getbbox()


@pytest.mark.parametrize(
    ("units", "factor", "named", "extent_units"),
    [("mm", 1.0, "mm", "mm"), ("inch", 25.4, "inch", "mm"), ("unitless", 1.0, None, "drawing")],
)
def test_a_drawing_gives_its_true_extent_in_millimetres_its_layers_and_entities(
    tmp_path, units, factor, named, extent_units
):
    source = tmp_path / "platine.dxf"
    plate_drawing(source, units)

    result = read_dxf_file(source, tmp_path)

    sheet = result["sheet"]
    assert sheet["units"] == named and sheet["extent_units"] == extent_units
    assert sheet["extent_mm"] == {
        "x": [0, round(130 * factor, 4)],
        "y": [0, round(80 * factor, 4)],
    }
    assert sheet["size_mm"] == [round(130 * factor, 4), round(80 * factor, 4)]
    assert sheet["layers"] == [{"name": "CUT", "entities": 4}, {"name": "HOLES", "entities": 2}]
    assert sheet["entities"] == {"CIRCLE": 2, "LINE": 4} and sheet["entity_total"] == 6
    assert sheet["dxf_version"] == "AC1032"
    json.dumps(result, allow_nan=False)
    with Image.open(tmp_path / PICTURE) as picture, Image.open(tmp_path / THUMBNAIL) as small:
        assert picture.size == (800, 600) and small.size == (240, 180)
    # 130 × 80 fitted into 760 × 560 (a 20-pixel margin): the full width, 468 pixels high.
    left, top, right, bottom = ink_box(tmp_path / PICTURE)
    assert abs((right - left) - 761) <= 2 and abs((bottom - top) - 468) <= 2
    assert ink_box(tmp_path / THUMBNAIL) is not None


def test_blocks_count_once_per_insert_with_their_grid_and_their_inserting_layer(tmp_path):
    document = ezdxf.new("R2018")
    document.units = 4
    bolt = document.blocks.new("BOLT")  # a cross in a circle, ±5 mm, on layer 0
    bolt.add_circle((0, 0), 3)
    bolt.add_line((-5, 0), (5, 0))
    bolt.add_line((0, -5), (0, 5))
    plate = document.blocks.new("PLATE")  # a bar with a bolt at each end
    plate.add_line((0, 0), (100, 0), dxfattribs={"layer": "PLATE"})
    plate.add_blockref("BOLT", (10, 0))
    plate.add_blockref("BOLT", (90, 0))
    model = document.modelspace()
    for x in (0, 20, 40):
        model.add_blockref("BOLT", (x, 0), dxfattribs={"layer": "FIXINGS"})
    model.add_blockref("BOLT", (0, 30), dxfattribs={"layer": "FIXINGS"}).grid(
        size=(2, 3), spacing=(10, 20)
    )
    for y in (-50, -70):
        model.add_blockref("PLATE", (0, y), dxfattribs={"layer": "ASSEMBLY"})
    source = tmp_path / "montage.dxf"
    document.saveas(source)

    sheet = read_dxf_file(source, tmp_path)["sheet"]

    # 9 bolts in model space and 4 in the plates, 3 entities each; a bar per plate.
    assert sheet["entities"] == {"CIRCLE": 13, "LINE": 28} and sheet["entity_total"] == 41
    assert sheet["layers"] == [
        {"name": "ASSEMBLY", "entities": 12},
        {"name": "FIXINGS", "entities": 27},
        {"name": "PLATE", "entities": 2},
    ]
    assert sheet["extent_mm"] == {"x": [-5, 100], "y": [-75, 45]}


@pytest.mark.parametrize(
    ("make", "count"),
    [(nested_blocks_dxf, 2 * 10**9), (minsert_dxf, 40_000 * 40_000)],
    ids=["nested-blocks-9x10", "minsert-40000x40000"],
)
def test_a_small_file_standing_for_billions_of_entities_is_refused_at_once(tmp_path, make, count):
    source = tmp_path / "bombe.dxf"
    assert make(source) == count
    assert source.stat().st_size < 64 * 1024

    reading = run_limited(READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_params == {"count": count, "limit": MAX_EXPANDED_ENTITIES}
    assert f"{count} entities" in reading.reason_text
    assert not (tmp_path / "preview" / PICTURE).exists()


def test_a_block_inserting_itself_is_refused(tmp_path):
    document = ezdxf.new("R2018")
    loop = document.blocks.new("LOOP")
    loop.add_line((0, 0), (1, 1))
    loop.add_blockref("LOOP", (2, 0))
    document.modelspace().add_blockref("LOOP", (0, 0))
    source = tmp_path / "boucle.dxf"
    document.saveas(source)

    reading = run_limited(READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "The drawing's block LOOP inserts itself."


def test_a_file_that_is_no_drawing_is_refused(tmp_path):
    source = tmp_path / "piece.dxf"
    source.write_bytes(b"AC1032\x00 a DWG file renamed, not a DXF one\n" * 10)

    reading = run_limited(READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "This file is not a DXF drawing that can be read."


def test_coordinates_beyond_what_a_number_holds_in_millimetres_are_refused(tmp_path):
    document = ezdxf.new("R2018")
    document.header["$INSUNITS"] = INSUNITS["inch"]
    document.modelspace().add_line((-1e307, 0), (1e307, 1))
    source = tmp_path / "loin.dxf"
    document.saveas(source)

    reading = run_limited(READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "The drawing's coordinates are too large to measure."
