"""The files of the demonstration: one flange, as a client's model, its drawing and its program.

Real files, so the demo shows what the product makes of them: a closed STL mesh, an A4 drawing
and a specification as PDF, and a G-code program (facing, contouring, boring, drilling) whose
toolpath, tools and run time the file pages show. Every demo project shares the same bytes,
which are therefore read once.
"""

import math
import struct
from functools import cache

from app.documents.pdf import render_pdf

# The flange: an outer diameter of 120 mm, a bore of 40 mm, 15 mm thick, six holes of 8.5 mm
# on a 80 mm circle.
OUTER_RADIUS = 60.0
BORE_RADIUS = 20.0
THICKNESS = 15.0
HOLE_CIRCLE_RADIUS = 40.0
HOLES = 6
_SEGMENTS = 96


@cache
def flange_model() -> bytes:
    """Return the flange's blank (a ring, without its holes) as a binary STL in millimetres."""
    triangles: list[tuple[tuple[float, float, float], ...]] = []
    for index in range(_SEGMENTS):
        a0 = 2 * math.pi * index / _SEGMENTS
        # The last segment ends exactly where the first begins: the mesh is closed.
        a1 = 2 * math.pi * ((index + 1) % _SEGMENTS) / _SEGMENTS
        o0 = (OUTER_RADIUS * math.cos(a0), OUTER_RADIUS * math.sin(a0))
        o1 = (OUTER_RADIUS * math.cos(a1), OUTER_RADIUS * math.sin(a1))
        i0 = (BORE_RADIUS * math.cos(a0), BORE_RADIUS * math.sin(a0))
        i1 = (BORE_RADIUS * math.cos(a1), BORE_RADIUS * math.sin(a1))
        top, bottom = THICKNESS, 0.0
        # Top and bottom faces, outer wall, bore wall: each quad as two triangles, outwards.
        triangles += _quad((*i0, top), (*o0, top), (*o1, top), (*i1, top))
        triangles += _quad((*i1, bottom), (*o1, bottom), (*o0, bottom), (*i0, bottom))
        triangles += _quad((*o0, bottom), (*o1, bottom), (*o1, top), (*o0, top))
        triangles += _quad((*i1, bottom), (*i0, bottom), (*i0, top), (*i1, top))
    header = b"CNC Pulse demo flange, millimetres".ljust(80, b" ")
    body = b"".join(
        struct.pack("<12fH", *_normal(*corners), *(v for corner in corners for v in corner), 0)
        for corners in triangles
    )
    return header + struct.pack("<I", len(triangles)) + body


def _quad(a, b, c, d) -> list[tuple]:
    return [(a, b, c), (a, c, d)]


def _normal(a, b, c) -> tuple[float, float, float]:
    u = [b[i] - a[i] for i in range(3)]
    v = [c[i] - a[i] for i in range(3)]
    n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    length = math.sqrt(sum(x * x for x in n)) or 1.0
    return (n[0] / length, n[1] / length, n[2] / length)


@cache
def flange_program() -> bytes:
    """Return the flange's program: facing, outer contour, bore, then the six holes."""
    lines = [
        "%",
        "O2045 (BRIDE DN40 - OP10)",
        "(BRUT ROND 125 X 17 - ORIGINE CENTRE, DESSUS PIECE)",
        "G21 G90 G17 G40 G49 G80",
        "T1 M6 (SURFACEUSE D50)",
        "S3000 M3",
        "G0 X-90 Y-50 Z5",
        "G1 Z0 F500",
    ]
    # Facing: back and forth across the blank, 40 mm apart.
    y, direction = -50.0, 1
    while y <= 50.0:
        lines.append(f"G1 X{90 * direction:.1f} Y{y:.1f} F900")
        y += 40.0
        if y <= 50.0:
            lines.append(f"G1 Y{y:.1f}")
        direction = -direction
    lines += ["G0 Z5", "T2 M6 (FRAISE 2T D12)", "S8000 M3"]
    # Outer contour, three steps of 5 mm: full circles with the tool outside the part.
    radius = OUTER_RADIUS + 6.0
    lines += [f"G0 X{radius:.1f} Y0", "G1 Z0 F600"]
    for depth in (-5.0, -10.0, -15.5):
        lines += [f"G1 Z{depth:.1f} F300", f"G2 X{radius:.1f} Y0 I{-radius:.1f} J0 F1200"]
    lines += ["G0 Z5"]
    # Bore: a helix down inside the 40 mm bore, then a finishing circle.
    radius = BORE_RADIUS - 6.0
    lines += [f"G0 X{radius:.1f} Y0", "G1 Z0 F300"]
    depth = 0.0
    while depth > -15.5:
        depth = max(depth - 2.0, -15.5)
        lines.append(f"G3 X{radius:.1f} Y0 Z{depth:.1f} I{-radius:.1f} J0 F800")
    lines += [f"G3 X{radius:.1f} Y0 I{-radius:.1f} J0 F800", "G0 Z5"]
    # The six holes: a peck-drilling cycle.
    lines += ["T3 M6 (FORET D8.5)", "S2500 M3", "G0 Z5"]
    for index in range(HOLES):
        angle = 2 * math.pi * index / HOLES
        x = HOLE_CIRCLE_RADIUS * math.cos(angle)
        y = HOLE_CIRCLE_RADIUS * math.sin(angle)
        cycle = "G98 G83 " if index == 0 else ""
        tail = " Z-18 R2 Q4 F250" if index == 0 else ""
        lines.append(f"{cycle}X{x:.3f} Y{y:.3f}{tail}")
    lines += ["G80", "G0 Z50", "M5", "M30", "%"]
    return ("\n".join(lines) + "\n").encode("ascii")


@cache
def flange_drawing() -> bytes:
    """Return the flange's drawing: an A4 landscape PDF with its views and dimensions."""
    return render_pdf(
        "documents/demo_drawing.html",
        "fr",
        outer=OUTER_RADIUS * 2,
        bore=BORE_RADIUS * 2,
        thickness=THICKNESS,
        circle=HOLE_CIRCLE_RADIUS * 2,
        holes=[
            (
                HOLE_CIRCLE_RADIUS * math.cos(2 * math.pi * i / HOLES),
                HOLE_CIRCLE_RADIUS * math.sin(2 * math.pi * i / HOLES),
            )
            for i in range(HOLES)
        ],
    )


@cache
def specification() -> bytes:
    """Return the client's specification: one A4 page of requirements, as PDF."""
    return render_pdf("documents/demo_specification.html", "fr")
