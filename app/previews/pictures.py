"""The pictures every reader leaves beside its findings: one to look at, one for lists."""

from pathlib import Path

from PIL import Image

PICTURE = "picture.png"
THUMBNAIL = "thumbnail.png"
PICTURE_SIZE = (800, 600)
THUMBNAIL_SIZE = (240, 180)
BACKGROUND = (255, 255, 255)


def save_pictures(picture: Image.Image, folder: Path) -> list[str]:
    """Save ``picture`` and a thumbnail of it into ``folder``; return their file names.

    The thumbnail keeps the picture's proportions, centred on a white ground of the thumbnail's
    size, so every list lines its thumbnails up.
    """
    picture = picture.convert("RGB")
    picture.save(folder / PICTURE, optimize=True)
    small = picture.copy()
    small.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    ground = Image.new("RGB", THUMBNAIL_SIZE, BACKGROUND)
    ground.paste(
        small, ((THUMBNAIL_SIZE[0] - small.width) // 2, (THUMBNAIL_SIZE[1] - small.height) // 2)
    )
    ground.save(folder / THUMBNAIL, optimize=True)
    return [PICTURE, THUMBNAIL]
