"""Read a PDF document or a raster image: its figures and a picture of it.

A PDF shows its first page only, rendered at a fixed size: a page can hold an image of a billion
pixels, which pdfium then reads at the size it is drawn. An image is refused past a pixel count
before it is decoded.
"""

import math
import warnings
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from app.domain.errors import N_
from app.previews.pictures import BACKGROUND, PICTURE_SIZE, save_pictures
from app.previews.sandbox import Refused

MM_PER_POINT = 25.4 / 72
# Page 1 is rendered this many pixels along its longer side, then fitted into the picture.
RENDER_PIXELS = 1024
# Paper sizes in millimetres, portrait; a page within the tolerance of one is named after it.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
    "A5": (148, 210),
    "A6": (105, 148),
    "B4": (250, 353),
    "B5": (176, 250),
    "Letter": (215.9, 279.4),
    "Legal": (215.9, 355.6),
    "Tabloid": (279.4, 431.8),
    "ANSI C": (431.8, 558.8),
    "ANSI D": (558.8, 863.6),
    "ANSI E": (863.6, 1117.6),
}
PAPER_TOLERANCE_MM = 2.0
# Pages whose sizes differ by less than this (in points) are the same size.
SAME_SIZE_POINTS = 1.0
# Pillow's limit (it warns past it and refuses at twice it): about 90 megapixels, a large photo.
MAX_IMAGE_PIXELS = 90_000_000
_PASSWORD_ERROR = 4  # pdfium's FPDF_ERR_PASSWORD


def read_pdf_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a PDF document: its pages, paper and title, and a picture of its first page."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == _PASSWORD_ERROR:
            raise Refused(N_("The PDF is protected by a password.")) from None
        raise Refused(N_("This file is not a PDF document that can be read.")) from None
    try:
        count = len(document)
        if count == 0:
            raise Refused(N_("The PDF has no pages."))
        first_width, first_height = document.get_page_size(0)
        if not _drawable(first_width, first_height):
            raise Refused(N_("The PDF's first page has no usable size."))
        differ = any(
            abs(width - first_width) > SAME_SIZE_POINTS
            or abs(height - first_height) > SAME_SIZE_POINTS
            for width, height in (document.get_page_size(index) for index in range(1, count))
        )
        title = (document.get_metadata_value("Title") or "").strip() or None
        page = document[0]
        try:
            scale = RENDER_PIXELS / max(first_width, first_height)
            bitmap = page.render(scale=scale, may_draw_forms=False)
            rendered = bitmap.to_pil()
        finally:
            page.close()
    finally:
        document.close()
    width_mm, height_mm = first_width * MM_PER_POINT, first_height * MM_PER_POINT
    sheet = {
        "pages": count,
        "paper": {
            "width_mm": round(width_mm, 1),
            "height_mm": round(height_mm, 1),
            "name": paper_name(width_mm, height_mm),
            "orientation": "landscape" if width_mm > height_mm else "portrait",
        },
        "title": title,
        "page_sizes_differ": differ,
    }
    return {"kind": "pdf", "sheet": sheet, "images": save_pictures(fit(rendered), folder)}


def paper_name(width_mm: float, height_mm: float) -> str | None:
    """Return the name of the paper size ``width_mm`` × ``height_mm`` is, either way round."""
    short, long = sorted((width_mm, height_mm))
    for name, (paper_short, paper_long) in PAPER_SIZES_MM.items():
        if (
            abs(short - paper_short) <= PAPER_TOLERANCE_MM
            and abs(long - paper_long) <= PAPER_TOLERANCE_MM
        ):
            return name
    return None


def _drawable(width: float, height: float) -> bool:
    return all(math.isfinite(side) and side > 0 for side in (width, height))


def read_image_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a raster image: its size in pixels, format, mode and resolution, and a picture."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Past the limit Pillow only warns; a preview refuses.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                figures = {
                    "width_px": width,
                    "height_px": height,
                    "format": image.format,
                    "mode": image.mode,
                    "dpi": _dpi(image.info.get("dpi")),
                }
                # A JPEG decodes at 1/2, 1/4 or 1/8 of its size when that still fills the picture.
                image.draft("RGB", PICTURE_SIZE)
                viewable = _viewable(image)
                # Shrunk before anything else is done to it: a large image is copied once only.
                # The box is square, as a turn by the camera's orientation may follow.
                side = max(PICTURE_SIZE)
                viewable.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
                picture = fit(ImageOps.exif_transpose(viewable))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Refused(
            N_("The image holds %(pixels)s pixels; previews stop at %(limit)s."),
            pixels=_declared_pixels(source),
            limit=MAX_IMAGE_PIXELS,
        ) from None
    except (Image.UnidentifiedImageError, SyntaxError, EOFError):
        raise Refused(N_("This file is not an image that can be read.")) from None
    return {"kind": "image", "sheet": figures, "images": save_pictures(picture, folder)}


def _declared_pixels(source: Path) -> int:
    """Return the pixel count the image's header declares, without decoding it."""
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(source) as image:
            return image.width * image.height
    finally:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def _dpi(value: object) -> list[float] | None:
    try:
        x, y = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(part) and part > 0 for part in (x, y)):
        return None
    return [round(x, 2), round(y, 2)]


def _viewable(image: Image.Image) -> Image.Image:
    """Return ``image`` in colours a screen shows: transparency on white, deep greys scaled."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        grey = image.convert("F")
        low, high = grey.getextrema()
        span = (high - low) or 1.0
        return grey.point(lambda value: (value - low) * 255 / span).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        ground = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        return Image.alpha_composite(ground, rgba).convert("RGB")
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def fit(image: Image.Image, size: tuple[int, int] = PICTURE_SIZE) -> Image.Image:
    """Return ``image`` scaled to fit ``size``, proportions kept, centred on white."""
    image = image.convert("RGB")
    scale = min(size[0] / image.width, size[1] / image.height)
    if scale < 1:
        # Halved by whole steps first, then resampled: a large photo shrinks in a fraction of
        # the time a full-size resampling takes.
        image.thumbnail(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
            Image.Resampling.NEAREST,
        )
    ground = Image.new("RGB", size, BACKGROUND)
    ground.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return ground
