"""STEP and IGES parts read through OpenCASCADE: both in millimetres, whatever their own unit."""

import pytest

from app.previews.cad import read_iges_file, read_step_file
from app.previews.sandbox import Outcome, run_limited
from tests.previews.model_files import iges_box, step_boxes, step_sphere
from tests.previews.test_mesh_preview import assert_pictures_and_viewer

STEP_READER = "app.previews.cad:read_step_file"


@pytest.mark.parametrize(
    ("prefix", "scale"), [("MILLI", 1), ("CENTI", 0.1), (None, 0.001)], ids=["mm", "cm", "m"]
)
def test_a_step_box_is_measured_in_millimetres_whatever_its_unit(tmp_path, prefix, scale):
    source = tmp_path / "boite.step"
    box = ((5 * scale, -3 * scale, 2 * scale), (40 * scale, 20 * scale, 10 * scale))
    source.write_text(step_boxes([box], prefix))

    result = read_step_file(source, tmp_path)

    sheet = result["sheet"]
    assert sheet["format"] == "step" and sheet["units"] == "mm"
    assert sheet["units_assumed"] is False
    assert sheet["extent_mm"] == {"x": [5, 45], "y": [-3, 17], "z": [2, 12]}
    assert sheet["size_mm"] == [40, 20, 10]
    assert sheet["volume_mm3"] == 8000 and sheet["surface_mm2"] == 2800
    assert sheet["closed"] is True and sheet["bodies"] == 1
    assert result["viewer"] == "model.glb"
    assert_pictures_and_viewer(tmp_path, (40, 20, 10))


def test_two_solids_in_a_step_file_are_two_bodies(tmp_path):
    source = tmp_path / "deux.stp"
    source.write_text(step_boxes([((0, 0, 0), (40, 20, 10)), ((100, 0, 0), (10, 10, 10))]))

    sheet = read_step_file(source, tmp_path)["sheet"]

    assert sheet["bodies"] == 2 and sheet["volume_mm3"] == 9000
    assert sheet["extent_mm"]["x"] == [0, 110]


def test_a_step_sphere_is_meshed_close_to_its_true_volume(tmp_path):
    source = tmp_path / "bille.step"
    source.write_text(step_sphere(25))

    sheet = read_step_file(source, tmp_path)["sheet"]

    assert sheet["closed"] is True
    assert sheet["volume_mm3"] == pytest.approx(4 / 3 * 3.141592653589793 * 25**3, rel=0.01)
    assert sheet["extent_mm"]["z"] == [-25, 25]


@pytest.mark.parametrize(("flag", "unit", "scale"), [(2, "MM", 1), (1, "INCH", 25.4)])
def test_an_iges_box_is_measured_in_millimetres(tmp_path, flag, unit, scale):
    source = tmp_path / "boite.igs"
    source.write_text(iges_box((40, 20, 10), flag, unit))

    result = read_iges_file(source, tmp_path)

    sheet = result["sheet"]
    assert sheet["format"] == "iges" and sheet["units"] == "mm"
    assert sheet["size_mm"] == pytest.approx([40 * scale, 20 * scale, 10 * scale], rel=1e-6)
    assert sheet["extent_mm"]["x"] == pytest.approx([0, 40 * scale], rel=1e-6)
    assert sheet["volume_mm3"] == pytest.approx(8000 * scale**3, rel=1e-6)
    assert sheet["closed"] is True and sheet["bodies"] == 1
    assert_pictures_and_viewer(tmp_path, (40 * scale, 20 * scale, 10 * scale))


def test_a_100_metre_sphere_is_meshed_at_its_own_scale_within_the_limits(tmp_path):
    # At an absolute tolerance of 0.05 mm, OpenCASCADE crashed on this one.
    source = tmp_path / "grande-bille.step"
    source.write_text(step_sphere(100_000))

    reading = run_limited(STEP_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.READY, reading.reason_text
    sheet = reading.result["sheet"]
    assert sheet["extent_mm"]["x"] == pytest.approx([-100_000, 100_000], rel=1e-3)
    assert sheet["triangles"] < 100_000
    assert reading.peak_memory_bytes < 800 * 1024**2


def test_a_file_that_is_not_step_is_refused_with_a_reason(tmp_path):
    source = tmp_path / "faux.step"
    source.write_text("ISO-10303-21;\nthis is not a part\n")

    reading = run_limited(STEP_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "This file could not be read as a STEP part."
