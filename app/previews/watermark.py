"""The picture an end client sees before paying: small, and marked across as a preview."""

from pathlib import Path

import font_source_sans_pro
from PIL import Image, ImageDraw, ImageFont

from app.previews.pictures import PICTURE_SIZE

WATERMARK = "watermark.png"
WATERMARK_SIZE = (400, 300)
# Both languages the product speaks: the same picture serves every client.
MARK = "APERÇU · PREVIEW"
_FONT = Path(font_source_sans_pro.font_directory) / "SourceSansPro-Bold.ttf"
_INK = (90, 90, 90, 110)


def mark_picture(picture: Path, target: Path) -> bool:
    """Write a low-resolution copy of ``picture`` marked as a preview; False if it is not ours.

    Only a picture of the size readers draw is marked: anything else was not made by a reader.
    """
    with Image.open(picture) as opened:
        if opened.size != PICTURE_SIZE:
            return False
        small = opened.convert("RGB").resize(WATERMARK_SIZE, Image.Resampling.BILINEAR)
    font = ImageFont.truetype(str(_FONT), 26)
    # Drawn on a larger square, turned, then cropped, so the marks run corner to corner.
    side = int((WATERMARK_SIZE[0] ** 2 + WATERMARK_SIZE[1] ** 2) ** 0.5)
    marks = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(marks)
    width = draw.textlength(MARK, font=font) + 40
    for row, y in enumerate(range(0, side, 60)):
        offset = (row % 2) * width / 2
        x = -offset
        while x < side:
            draw.text((x, y), MARK, font=font, fill=_INK)
            x += width
    marks = marks.rotate(30, resample=Image.Resampling.BICUBIC)
    left = (side - WATERMARK_SIZE[0]) // 2
    top = (side - WATERMARK_SIZE[1]) // 2
    marks = marks.crop((left, top, left + WATERMARK_SIZE[0], top + WATERMARK_SIZE[1]))
    marked = Image.alpha_composite(small.convert("RGBA"), marks).convert("RGB")
    marked.save(target, optimize=True)
    return True
