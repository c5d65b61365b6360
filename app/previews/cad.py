"""Read CAD parts (STEP, IGES) through OpenCASCADE: meshed, then measured like a mesh.

OpenCASCADE (bundled by cascadio) meshes the exact surfaces into binary glTF. The glTF it writes
is not in one unit for both kinds: a STEP part comes out in metres (glTF's unit), an IGES part in
millimetres, whatever unit either file was written in. Each kind is scaled by its own factor,
pinned by the tests on parts of known size.

The meshing tolerance is relative (to each edge's and face's size), so a 100 m part is meshed
as coarsely as a 1 mm one: an absolute tolerance on a large part asks for billions of
triangles and crashed OpenCASCADE.
"""

from pathlib import Path
from typing import Any

from app.domain.errors import N_
from app.previews.mesh import describe, glb_bytes
from app.previews.sandbox import Refused

# What the glTF's coordinates are multiplied by to give millimetres.
MM_PER_GLTF_UNIT = {"step": 1000.0, "iges": 1.0}
# Deflection as a share of each edge's length, and the largest angle between facets (radians).
RELATIVE_TOLERANCE = 0.002
ANGULAR_TOLERANCE = 0.3
MAX_CAD_BYTES = 100 * 1024**2


def read_step_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a STEP part (AP203, AP214, AP242): its sheet in mm, pictures and viewer model."""
    return _read_cad(source, folder, "step")


def read_iges_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read an IGES part: its sheet in mm, pictures and viewer model."""
    return _read_cad(source, folder, "iges")


def _read_cad(source: Path, folder: Path, kind: str) -> dict[str, Any]:
    import cascadio
    import numpy as np

    size = source.stat().st_size
    if size > MAX_CAD_BYTES:
        raise Refused(
            N_("This CAD file is %(mebibytes)s MiB; previews stop at %(limit)s MiB."),
            mebibytes=size // 1024**2,
            limit=MAX_CAD_BYTES // 1024**2,
        )
    glb = cascadio.load(
        source.read_bytes(),
        file_type=kind,
        tol_linear=RELATIVE_TOLERANCE,
        tol_angular=ANGULAR_TOLERANCE,
        tol_relative=True,
        # One core per reading: several run at once.
        use_parallel=False,
    )
    if not glb:
        raise Refused(N_("This file could not be read as a %(kind)s part."), kind=kind.upper())
    scene = glb_bytes(glb)
    if not scene.geometry:
        raise Refused(N_("This file holds no surfaces or solids to draw."))
    mesh = scene.to_geometry()
    # float32 from the glTF: round away its noise at a tenth of a micrometre.
    vertices = np.round(np.asarray(mesh.vertices, dtype=np.float64) * MM_PER_GLTF_UNIT[kind], 4)
    return describe(vertices, mesh.faces, kind, folder, units_assumed=False)
