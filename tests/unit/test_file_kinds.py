"""What a file is, from its name: its content type and its kind in words."""

import pytest

from app.domain.file_kinds import (
    OCTET_STREAM,
    FileFormat,
    content_type_for,
    format_of,
    label_of,
    served_type,
)

CNC = [
    ("piece.nc", FileFormat.GCODE, "text/plain", "G-code"),
    ("piece.ngc", FileFormat.GCODE, "text/plain", "G-code"),
    ("piece.tap", FileFormat.GCODE, "text/plain", "G-code"),
    ("piece.gcode", FileFormat.GCODE, "text/plain", "G-code"),
    ("piece.cnc", FileFormat.GCODE, "text/plain", "G-code"),
    ("bride.step", FileFormat.STEP, "model/step", "STEP model"),
    ("bride.stp", FileFormat.STEP, "model/step", "STEP model"),
    ("bride.iges", FileFormat.IGES, "model/iges", "IGES model"),
    ("bride.igs", FileFormat.IGES, "model/iges", "IGES model"),
    ("bride.stl", FileFormat.STL, "model/stl", "STL mesh"),
    ("plan.dxf", FileFormat.DXF, "image/vnd.dxf", "DXF drawing"),
    ("plan.dwg", FileFormat.DWG, "image/vnd.dwg", "DWG drawing"),
    ("bride.3mf", FileFormat.THREE_MF, "model/3mf", "3MF model"),
]


@pytest.mark.parametrize(("name", "file_format", "content_type", "label"), CNC)
def test_each_cnc_extension_has_its_kind_and_one_content_type(
    name, file_format, content_type, label
):
    assert format_of(name) is file_format
    assert label_of(name) == label
    assert content_type_for(name) == content_type
    assert served_type(name) == content_type


@pytest.mark.parametrize(("name", "file_format", "content_type", "label"), CNC)
def test_upper_case_extensions_are_the_same_kind(name, file_format, content_type, label):
    shouted = name.upper()

    assert format_of(shouted) is file_format
    assert content_type_for(shouted) == content_type
    assert served_type(shouted) == content_type


def test_a_cnc_extension_wins_over_what_the_browser_claimed():
    # Browsers take a .nc for a netCDF data set.
    assert content_type_for("bride.nc", "application/x-netcdf") == "text/plain"
    assert content_type_for("Bride.STEP", "application/octet-stream") == "model/step"


@pytest.mark.parametrize(
    ("name", "file_format", "served"),
    [
        ("plan.pdf", FileFormat.PDF, "application/pdf"),
        ("PLAN.PDF", FileFormat.PDF, "application/pdf"),
        ("photo.jpg", FileFormat.IMAGE, "image/jpeg"),
        ("photo.PNG", FileFormat.IMAGE, "image/png"),
        ("lot.zip", FileFormat.ARCHIVE, "application/zip"),
        ("lot.7z", FileFormat.ARCHIVE, "application/x-7z-compressed"),
        ("lot.tar.gz", FileFormat.ARCHIVE, "application/gzip"),
    ],
)
def test_documents_images_and_archives(name, file_format, served):
    assert format_of(name) is file_format
    assert served_type(name) == served


@pytest.mark.parametrize(
    "name", ["notes.zzqq", "README", "archive.", ".nc", "page.html", "", "piece.nc.exe"]
)
def test_unknown_names_are_other_files_served_as_bytes(name):
    assert format_of(name) is FileFormat.OTHER
    assert label_of(name) == "Other file"
    assert served_type(name) == OCTET_STREAM


def test_an_image_a_browser_could_run_is_still_served_as_bytes():
    assert format_of("logo.svg") is FileFormat.IMAGE
    assert served_type("logo.svg") == OCTET_STREAM


def test_outside_the_cnc_formats_the_claimed_type_is_kept_else_guessed_else_bytes():
    assert content_type_for("plan.pdf", "application/pdf; charset=binary") == "application/pdf"
    assert content_type_for("plan.pdf") == "application/pdf"
    assert content_type_for("notes.zzqq") == OCTET_STREAM
    assert content_type_for("notes.zzqq", "not a type") == OCTET_STREAM


def test_every_kind_has_a_label():
    assert all(file_format.label for file_format in FileFormat)
