"""PDF documents and raster images read in the sandbox: paper, pages, title, pixels, a picture."""

import json

import pypdf
import pytest
from PIL import Image, ImageOps

from app.previews.document import MAX_IMAGE_PIXELS, paper_name, read_image_file, read_pdf_file
from app.previews.pictures import PICTURE, THUMBNAIL
from app.previews.sandbox import Outcome, run_limited
from bench.previews_drawings import (
    A3_MM,
    A4_MM,
    drawing_page,
    huge_image_pdf,
    huge_png,
    write_pdf,
)

PDF_READER = "app.previews.document:read_pdf_file"
IMAGE_READER = "app.previews.document:read_image_file"


def ink_box(path) -> tuple[int, int, int, int] | None:
    """Return the box of the picture's dark pixels."""
    with Image.open(path) as picture:
        return ImageOps.invert(picture.convert("L")).point(lambda v: 255 if v > 64 else 0).getbbox()


def test_an_a4_portrait_pdf_gives_its_paper_title_and_first_page(tmp_path):
    source = tmp_path / "plan.pdf"
    write_pdf(source, [drawing_page(*A4_MM, "Bride")], title="Bride Ø40 – rév. B")

    result = read_pdf_file(source, tmp_path)

    assert result["sheet"] == {
        "pages": 1,
        "paper": {"width_mm": 210.0, "height_mm": 297.0, "name": "A4", "orientation": "portrait"},
        "title": "Bride Ø40 – rév. B",
        "page_sizes_differ": False,
    }
    json.dumps(result, allow_nan=False)
    with Image.open(tmp_path / PICTURE) as picture, Image.open(tmp_path / THUMBNAIL) as small:
        assert picture.size == (800, 600) and small.size == (240, 180)
    # The page is 600 pixels high; its frame, 28 points in from each edge, 560 by 384.
    left, top, right, bottom = ink_box(tmp_path / PICTURE)
    assert abs((bottom - top) - 560) <= 3 and abs((right - left) - 384) <= 3
    assert abs((left + right) / 2 - 400) <= 2
    assert ink_box(tmp_path / THUMBNAIL) is not None


def test_a3_landscape_sheets_followed_by_an_a4_page_are_told_apart(tmp_path):
    source = tmp_path / "liasse.pdf"
    pages = [drawing_page(A3_MM[1], A3_MM[0], f"Folio {n}") for n in range(3)]
    write_pdf(source, [*pages, drawing_page(*A4_MM, "Nomenclature")])

    reading = run_limited(PDF_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.READY, reading.reason_text
    assert reading.result["sheet"] == {
        "pages": 4,
        "paper": {"width_mm": 420.0, "height_mm": 297.0, "name": "A3", "orientation": "landscape"},
        "title": None,
        "page_sizes_differ": True,
    }


@pytest.mark.parametrize(
    ("size", "name"),
    [
        ((297, 210), "A4"),
        ((215.9, 279.4), "Letter"),
        ((279.4, 431.8), "Tabloid"),
        ((100, 100), None),
    ],
)
def test_paper_is_named_either_way_round_or_not_at_all(size, name):
    assert paper_name(*size) == name


def test_a_pdf_locked_by_a_password_is_refused_with_that_reason(tmp_path):
    plain = tmp_path / "plan.pdf"
    write_pdf(plain, [drawing_page(*A4_MM)])
    locked = pypdf.PdfWriter(clone_from=plain)
    locked.encrypt("secret", algorithm="RC4-128")
    source = tmp_path / "verrouille.pdf"
    locked.write(source)

    reading = run_limited(PDF_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "The PDF is protected by a password."


def test_a_page_holding_a_30000_pixel_square_image_is_drawn_within_limits(tmp_path):
    source = tmp_path / "image.pdf"
    huge_image_pdf(source, side=30_000)
    assert source.stat().st_size < 2 * 1024**2

    reading = run_limited(PDF_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.READY, reading.reason_text
    assert reading.peak_memory_bytes < 1024**3
    # The black square, 500 points wide on a 595-point page drawn 424 pixels wide.
    left, top, right, bottom = ink_box(tmp_path / "preview" / PICTURE)
    assert abs((right - left) - 357) <= 3 and abs((bottom - top) - 357) <= 3


def test_a_png_and_a_jpeg_give_their_pixels_format_mode_and_resolution(tmp_path):
    png = tmp_path / "croquis.png"
    drawing = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    drawing.paste((200, 0, 0, 255), (160, 120, 480, 360))
    drawing.save(png, dpi=(300, 300))
    jpeg = tmp_path / "photo.jpg"
    Image.new("RGB", (4000, 3000), (20, 90, 200)).save(jpeg, quality=90, dpi=(72, 72))

    png_result = read_image_file(png, tmp_path)
    with Image.open(tmp_path / PICTURE) as picture:
        # Transparency is shown on white; the red square keeps its place, scaled by 1.25.
        assert picture.size == (800, 600)
        assert picture.getpixel((10, 10)) == (255, 255, 255)
        assert picture.getpixel((400, 300)) == (200, 0, 0)
        assert ink_box(tmp_path / PICTURE) == (200, 150, 600, 450)
    jpeg_result = read_image_file(jpeg, tmp_path)

    assert png_result["sheet"] == {
        "width_px": 640,
        "height_px": 480,
        "format": "PNG",
        "mode": "RGBA",
        "dpi": [300.0, 300.0],
    }
    assert jpeg_result["sheet"] == {
        "width_px": 4000,
        "height_px": 3000,
        "format": "JPEG",
        "mode": "RGB",
        "dpi": [72.0, 72.0],
    }
    with Image.open(tmp_path / PICTURE) as picture, Image.open(tmp_path / THUMBNAIL) as small:
        assert picture.size == (800, 600) and small.size == (240, 180)
        red, green, blue = picture.getpixel((400, 300))
        assert abs(red - 20) + abs(green - 90) + abs(blue - 200) < 12
        assert small.getpixel((5, 5)) != (255, 255, 255)


def test_a_photo_taken_turned_is_shown_upright(tmp_path):
    source = tmp_path / "debout.jpg"
    photo = Image.new("RGB", (400, 200), (255, 255, 255))
    photo.paste((0, 0, 0), (0, 0, 100, 200))  # the left quarter dark, as stored
    orientation = Image.Exif()
    orientation[0x0112] = 6  # to be turned a quarter clockwise to be seen
    photo.save(source, exif=orientation)

    sheet = read_image_file(source, tmp_path)["sheet"]

    assert (sheet["width_px"], sheet["height_px"]) == (400, 200)
    # Upright, 200 × 400 shown 300 × 600: the dark quarter is now the top one.
    assert ink_box(tmp_path / PICTURE) == (250, 0, 550, 150)


def test_a_png_declaring_60000_pixels_square_is_refused_before_decoding(tmp_path):
    source = tmp_path / "bombe.png"
    huge_png(source, side=60_000)
    assert source.stat().st_size < 1024**2

    reading = run_limited(IMAGE_READER, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_params == {"pixels": 3_600_000_000, "limit": MAX_IMAGE_PIXELS}
    assert "3600000000 pixels" in reading.reason_text


@pytest.mark.parametrize(
    ("reader", "name", "reason"),
    [
        (PDF_READER, "notice.pdf", "This file is not a PDF document that can be read."),
        (IMAGE_READER, "photo.jpg", "This file is not an image that can be read."),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path, reader, name, reason):
    source = tmp_path / name
    source.write_text("G21 G90\nG0 X10 Y10\nM30\n")

    reading = run_limited(reader, source, tmp_path / "preview")

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == reason
