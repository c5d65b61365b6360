"""STL and 3MF models read in the sandbox: figures in millimetres, pictures, a viewer model."""

import struct

import numpy as np
import pytest
import trimesh
from PIL import Image

from app.previews.mesh import read_3mf_file, read_stl_file
from app.previews.pictures import PICTURE, THUMBNAIL
from app.previews.sandbox import Outcome, run_limited
from bench.previews_fixtures import big_stl, write_binary_stl
from tests.previews.model_files import box_triangles, write_3mf, write_ascii_stl, write_zip_bomb

STL_READER = "app.previews.mesh:read_stl_file"
THREEMF_READER = "app.previews.mesh:read_3mf_file"
BOX = box_triangles((5, -3, 2), (40, 20, 10))


def assert_pictures_and_viewer(folder, size_mm):
    """The pictures show something, and the viewer model is the part, Y up, lightened."""
    with Image.open(folder / PICTURE) as picture, Image.open(folder / THUMBNAIL) as thumbnail:
        assert picture.size == (800, 600) and thumbnail.size == (240, 180)
        for image in (picture, thumbnail):
            assert image.convert("L").getextrema()[0] < 200  # the part, darker than the ground
    model = trimesh.load(folder / "model.glb", file_type="glb").to_geometry()
    assert 0 < len(model.faces) <= 200_000
    # glTF is Y up: the part's height (Z) is the model's Y, its depth (Y) the model's Z.
    dx, dy, dz = size_mm
    assert np.allclose(model.extents, (dx, dz, dy), rtol=1e-3)


@pytest.mark.parametrize("writer", ["binary", "ascii"])
def test_a_box_in_stl_gives_its_exact_figures_in_assumed_millimetres(tmp_path, writer):
    source = tmp_path / "boite.stl"
    if writer == "binary":
        write_binary_stl(source, BOX)
    else:
        write_ascii_stl(source, BOX)

    result = read_stl_file(source, tmp_path)

    sheet = result["sheet"]
    assert sheet["format"] == "stl" and sheet["units"] == "mm" and sheet["units_assumed"] is True
    assert sheet["triangles"] == 12
    assert sheet["extent_mm"] == {"x": [5, 45], "y": [-3, 17], "z": [2, 12]}
    assert sheet["size_mm"] == [40, 20, 10]
    assert sheet["volume_mm3"] == 8000 and sheet["surface_mm2"] == 2800
    assert sheet["closed"] is True and sheet["bodies"] == 1
    assert result["viewer"] == "model.glb" and sheet["viewer_triangles"] == 12
    assert result["images"] == [PICTURE, THUMBNAIL]
    assert_pictures_and_viewer(tmp_path, (40, 20, 10))


def test_an_open_mesh_has_no_volume(tmp_path):
    source = tmp_path / "sans-couvercle.stl"
    write_binary_stl(source, BOX[:10])  # the last two triangles close the +x side

    sheet = read_stl_file(source, tmp_path)["sheet"]

    assert sheet["closed"] is False and sheet["volume_mm3"] is None
    assert sheet["surface_mm2"] == 2800 - 200


def test_two_separate_boxes_are_two_bodies(tmp_path):
    source = tmp_path / "deux.stl"
    write_binary_stl(source, np.concatenate([BOX, box_triangles((100, 0, 0), (10, 10, 10))]))

    sheet = read_stl_file(source, tmp_path)["sheet"]

    assert sheet["bodies"] == 2 and sheet["closed"] is True
    assert sheet["volume_mm3"] == 9000
    assert sheet["extent_mm"]["x"] == [5, 110]


def test_a_3mf_in_inches_is_converted_to_millimetres(tmp_path):
    source = tmp_path / "pouces.3mf"
    # A 1 × 2 × 0.5 inch block, moved 1 inch along x by its build item.
    write_3mf(source, box_triangles((0, 0, 0), (1, 2, 0.5)), "inch", "1 0 0 0 1 0 0 0 1 1 0 0")

    result = read_3mf_file(source, tmp_path)

    sheet = result["sheet"]
    assert sheet["format"] == "3mf" and sheet["units"] == "mm" and sheet["units_assumed"] is False
    assert sheet["extent_mm"] == {"x": [25.4, 50.8], "y": [0, 50.8], "z": [0, 12.7]}
    assert sheet["volume_mm3"] == pytest.approx(25.4**3, rel=1e-9)
    assert sheet["closed"] is True and sheet["bodies"] == 1
    assert_pictures_and_viewer(tmp_path, (25.4, 50.8, 12.7))


def test_a_3mf_without_unit_is_in_millimetres(tmp_path):
    source = tmp_path / "mm.3mf"
    write_3mf(source, BOX, None)

    sheet = read_3mf_file(source, tmp_path)["sheet"]

    assert sheet["size_mm"] == [40, 20, 10] and sheet["volume_mm3"] == 8000


def test_an_stl_header_claiming_four_billion_triangles_is_refused_before_loading(tmp_path):
    source = tmp_path / "menteur.stl"
    write_binary_stl(source, BOX)
    data = bytearray(source.read_bytes())
    data[80:84] = struct.pack("<I", 4_294_967_295)
    source.write_bytes(bytes(data))

    reading = run_limited(STL_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert "4294967295 triangles" in reading.reason_text and "holds 12" in reading.reason_text


def test_a_3mf_declaring_two_gibibytes_is_refused_from_its_directory(tmp_path):
    source = tmp_path / "bombe.3mf"
    write_zip_bomb(source, inflated=2047 * 1024**2, declared=2047 * 1024**2)

    reading = run_limited(THREEMF_READER, source, tmp_path / "preview")

    assert source.stat().st_size < 4 * 1024**2
    assert reading.outcome is Outcome.REFUSED
    assert "2047 MiB" in reading.reason_text


def test_a_3mf_whose_directory_lies_is_refused_on_its_checksum_without_inflating(tmp_path):
    source = tmp_path / "bombe-menteuse.3mf"
    write_zip_bomb(source, inflated=2047 * 1024**2, declared=1000)

    reading = run_limited(THREEMF_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert "damaged" in reading.reason_text and "CRC" in reading.reason_text
    assert reading.peak_memory_bytes < 300 * 1024**2


def test_a_500000_triangle_stl_is_read_within_memory(tmp_path):
    source = tmp_path / "tore.stl"
    triangles = big_stl(source, 500_000)

    reading = run_limited(STL_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.READY, reading.reason_text
    sheet = reading.result["sheet"]
    assert sheet["triangles"] == triangles and sheet["closed"] is True and sheet["bodies"] == 1
    assert sheet["viewer_triangles"] <= 200_000
    assert reading.peak_memory_bytes < 800 * 1024**2
    assert_pictures_and_viewer(tmp_path / "preview", sheet["size_mm"])
