"""Draw a triangle mesh as a picture without a graphics card: a numpy z-buffer, flat shading.

The view is the one of :mod:`app.previews.toolpath_image` (x to the right and away, y to the
left and away, z up), so a part and its toolpath are seen alike. Each triangle is lit by a light
from the viewer's upper left; both sides of a face are lit, so open meshes read too.
"""

import numpy as np
from PIL import Image

from app.previews.pictures import BACKGROUND

PART_COLOUR = np.array((86, 140, 190), dtype=np.float64)
_COS30 = float(np.cos(np.radians(30)))
# Screen axes of the view (right, up) and the direction towards the viewer, all unit length.
_RIGHT = np.array((_COS30, -_COS30, 0.0)) / np.sqrt(1.5)
_UP = np.array((0.5, 0.5, 1.0)) / np.sqrt(1.5)
_TOWARDS_VIEWER = np.cross(_RIGHT, _UP)
_LIGHT = _TOWARDS_VIEWER + 0.6 * _UP - 0.5 * _RIGHT
_LIGHT /= np.linalg.norm(_LIGHT)
# Candidate pixels tested at once: bounds the memory of one batch (about 40 bytes each).
_BATCH_PIXELS = 2_000_000


def draw_mesh(
    vertices: np.ndarray, faces: np.ndarray, width: int, height: int, two_sided: bool = True
) -> Image.Image:
    """Return the mesh drawn to fit ``width`` × ``height`` pixels, with a margin, on white.

    ``two_sided=False`` skips the triangles turned away from the viewer: for a closed surface
    wound outwards, about half of them, hidden anyway.
    """
    ground = np.empty((height, width, 3), dtype=np.uint8)
    ground[:] = BACKGROUND
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if len(faces) == 0 or len(vertices) == 0:
        return Image.fromarray(ground)
    screen = np.column_stack((vertices @ _RIGHT, -(vertices @ _UP), vertices @ _TOWARDS_VIEWER))
    # Framed on the corners the triangles use.
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    us, vs = screen[used, 0], screen[used, 1]
    low_u, high_u, low_v, high_v = us.min(), us.max(), vs.min(), vs.max()
    margin = max(4, min(width, height) // 20)
    scale = min(
        (width - 2 * margin) / max(high_u - low_u, 1e-9),
        (height - 2 * margin) / max(high_v - low_v, 1e-9),
    )
    screen[:, 0] = (screen[:, 0] - low_u) * scale + (width - (high_u - low_u) * scale) / 2
    screen[:, 1] = (screen[:, 1] - low_v) * scale + (height - (high_v - low_v) * scale) / 2
    corners = screen[faces]  # (n, 3 corners, u v depth)
    normals = np.cross(
        vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]]
    )
    lengths = np.linalg.norm(normals, axis=1)
    keep = lengths > 0
    if not two_sided:
        keep &= normals @ _TOWARDS_VIEWER > 0
    corners, normals, lengths = corners[keep], normals[keep], lengths[keep]
    light = np.abs(normals @ _LIGHT) / lengths
    shades = 0.35 + 0.65 * light
    depth = np.full(width * height, -np.inf)
    shade = np.zeros(width * height)
    for batch, size in _batches(corners, width, height):
        _rasterise(corners[batch], shades[batch], size, width, height, depth, shade)
    drawn = np.isfinite(depth)
    colours = np.clip(shade[drawn, None] * PART_COLOUR, 0, 255).astype(np.uint8)
    ground.reshape(-1, 3)[drawn] = colours
    return Image.fromarray(ground)


def _batches(corners: np.ndarray, width: int, height: int):
    """Yield triangles grouped by the size of the pixel square around them, in bounded batches."""
    low = np.floor(corners[:, :, :2].min(axis=1))
    high = np.ceil(corners[:, :, :2].max(axis=1))
    extent = np.maximum(high - low, 1).max(axis=1)
    size = np.minimum(2 ** np.ceil(np.log2(extent + 1)), max(width, height)).astype(np.int64)
    for side in np.unique(size):
        chosen = np.flatnonzero(size == side)
        step = max(1, _BATCH_PIXELS // int(side * side))
        for start in range(0, len(chosen), step):
            yield chosen[start : start + step], int(side)


def _rasterise(
    corners: np.ndarray,
    shades: np.ndarray,
    side: int,
    width: int,
    height: int,
    depth: np.ndarray,
    shade: np.ndarray,
) -> None:
    """Write the triangles' pixels nearer the viewer than what is there already."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    usable = np.abs(area) > 1e-12
    a, b, c, area, shades = a[usable], b[usable], c[usable], area[usable], shades[usable]
    origin = np.floor(np.minimum(np.minimum(a[:, :2], b[:, :2]), c[:, :2]))
    offsets = np.arange(side, dtype=np.float64)
    # Pixel centres of the square around each triangle: (n, side * side).
    px = (origin[:, 0, None, None] + offsets[None, None, :] + 0.5).repeat(side, axis=1)
    py = (origin[:, 1, None, None] + offsets[None, :, None] + 0.5).repeat(side, axis=2)
    px, py = px.reshape(len(a), -1), py.reshape(len(a), -1)
    inverse = 1.0 / area[:, None]
    wa = (b[:, 0, None] - px) * (c[:, 1, None] - py) - (b[:, 1, None] - py) * (c[:, 0, None] - px)
    wa *= inverse
    wb = (c[:, 0, None] - px) * (a[:, 1, None] - py) - (c[:, 1, None] - py) * (a[:, 0, None] - px)
    wb *= inverse
    wc = 1.0 - wa - wb
    inside = (wa >= -1e-9) & (wb >= -1e-9) & (wc >= -1e-9)
    inside &= (px >= 0) & (px < width) & (py >= 0) & (py < height)
    rows, _ = np.nonzero(inside)
    z = (wa * a[:, 2, None] + wb * b[:, 2, None] + wc * c[:, 2, None])[inside]
    pixel = py[inside].astype(np.int64) * width + px[inside].astype(np.int64)
    # The nearest of this batch at each pixel, then only where it beats what is drawn.
    order = np.lexsort((z, pixel))
    pixel, z, rows = pixel[order], z[order], rows[order]
    last = np.ones(len(pixel), dtype=bool)
    last[:-1] = pixel[1:] != pixel[:-1]
    pixel, z, rows = pixel[last], z[last], rows[last]
    nearer = z > depth[pixel]
    depth[pixel[nearer]] = z[nearer]
    shade[pixel[nearer]] = shades[rows[nearer]]
