"""Read 3D meshes (STL, 3MF): their size, volume and surface, a picture and a model to turn.

Figures are in millimetres. STL carries no unit: it is read as millimetres and the sheet says the
unit was assumed. 3MF names its unit; it is converted to millimetres.

``model.glb`` is for the browser viewer: binary glTF, lightened to at most
:data:`VIEWER_MAX_TRIANGLES`, in millimetres (not glTF's metres: the viewer frames the part by
its bounds). glTF is Y-up, so the part is turned a quarter about X: the part's Z is glTF's +Y and
the part's Y is glTF's -Z; X stays X.
"""

import io
import struct
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from app.domain.errors import N_
from app.previews.pictures import PICTURE_SIZE, save_pictures
from app.previews.sandbox import Refused

if TYPE_CHECKING:
    import numpy as np
    import trimesh

VIEWER = "model.glb"
VIEWER_MAX_TRIANGLES = 200_000
# A mesh finer than this is refused: it would not fit the reader's memory.
MAX_TRIANGLES = 5_000_000
# An ASCII STL spends about 250 bytes a triangle: this many is about 800,000 triangles.
MAX_ASCII_STL_BYTES = 200 * 1024**2
# 3MF is a zip: what its members may inflate to, in all and against their packed size.
MAX_3MF_UNPACKED_BYTES = 512 * 1024**2
MAX_3MF_RATIO = 200
MAX_3MF_MEMBERS = 10_000
MAX_3MF_NESTING = 16
MM_PER_3MF_UNIT = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}
_STL_HEADER = 84
_STL_TRIANGLE = 50
_CHUNK = 1024 * 1024


def read_stl_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read an STL file, binary or ASCII, as millimetres: its sheet, pictures and viewer model."""
    size = source.stat().st_size
    with source.open("rb") as stream:
        head = stream.read(_STL_HEADER)
        start = head + stream.read(1024)
    if _looks_ascii(start):
        if size > MAX_ASCII_STL_BYTES:
            raise Refused(
                N_("This text STL is %(mebibytes)s MiB; previews stop at %(limit)s MiB."),
                mebibytes=size // 1024**2,
                limit=MAX_ASCII_STL_BYTES // 1024**2,
            )
    else:
        if len(head) < _STL_HEADER:
            raise Refused(N_("This file is too short to be an STL model."))
        (declared,) = struct.unpack("<I", head[80:84])
        fits = (size - _STL_HEADER) // _STL_TRIANGLE
        if size != _STL_HEADER + _STL_TRIANGLE * declared:
            raise Refused(
                N_(
                    "The STL file says it holds %(declared)s triangles, but its size holds "
                    "%(fits)s: it is damaged or not an STL file."
                ),
                declared=declared,
                fits=fits,
            )
        _check_triangles(declared)
    if _looks_ascii(start):
        import trimesh

        mesh = trimesh.load_mesh(source, file_type="stl", process=False)
        vertices, faces = mesh.vertices, mesh.faces
    else:
        vertices, faces = _read_binary_stl(source, declared)
    return describe(vertices, faces, "stl", folder, units_assumed=True)


def _read_binary_stl(source: Path, count: int) -> "tuple[np.ndarray, np.ndarray]":
    import numpy as np

    record = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
    data = np.fromfile(source, dtype=record, count=count, offset=_STL_HEADER)
    corners = data["corners"].reshape(-1, 3)
    del data
    return corners.astype(np.float64), np.arange(len(corners)).reshape(-1, 3)


def read_3mf_file(source: Path, folder: Path) -> dict[str, Any]:
    """Read a 3MF package in its own unit, converted to millimetres."""
    members = read_zip_members(source)
    model_name = next(
        (name for name in members if name.lower().lstrip("/") == "3d/3dmodel.model"), None
    )
    if model_name is None:
        raise Refused(N_("This 3MF file holds no 3D model."))
    vertices, faces, unit = parse_3mf_model(members[model_name])
    if unit not in MM_PER_3MF_UNIT:
        raise Refused(N_("This 3MF file uses an unknown unit: %(unit)s."), unit=unit[:40])
    return describe(vertices * MM_PER_3MF_UNIT[unit], faces, "3mf", folder, units_assumed=False)


def read_zip_members(
    source: Path,
    most_bytes: int = MAX_3MF_UNPACKED_BYTES,
    ratio: int = MAX_3MF_RATIO,
) -> dict[str, bytes]:
    """Return the files of a zip archive, refusing one that would inflate beyond reason.

    The central directory is checked first; then every member is read in chunks, never past what
    the directory declared, so a lying directory ends in a failed checksum, not a flood.
    """
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as error:
        raise Refused(N_("This file is not a readable zip package.")) from error
    with archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        if len(entries) > MAX_3MF_MEMBERS:
            raise Refused(
                N_("The package holds %(count)s files; previews stop at %(limit)s."),
                count=len(entries),
                limit=MAX_3MF_MEMBERS,
            )
        declared = sum(entry.file_size for entry in entries)
        if declared > most_bytes:
            raise Refused(
                N_(
                    "The package would unpack to %(mebibytes)s MiB; previews stop at %(limit)s MiB."
                ),
                mebibytes=declared // 1024**2,
                limit=most_bytes // 1024**2,
            )
        for entry in entries:
            if entry.file_size > _CHUNK and entry.file_size > ratio * max(entry.compress_size, 1):
                raise Refused(
                    N_(
                        "A file in the package is packed %(ratio)s times smaller than it unpacks: "
                        "a zip bomb, not a model."
                    ),
                    ratio=entry.file_size // max(entry.compress_size, 1),
                )
        members = {}
        for entry in entries:
            members[entry.filename] = _read_capped(archive, entry)
        return members


def _read_capped(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    parts, total = [], 0
    try:
        with archive.open(entry) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if total > entry.file_size:
                    raise Refused(N_("A file in the package is larger than the package says."))
                parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as error:
        # A wrong checksum, a cut archive, an unknown compression or encryption.
        raise Refused(
            N_("The package is damaged: %(error)s"), error=str(error)[:200] or "unreadable"
        ) from error
    return b"".join(parts)


def parse_3mf_model(data: bytes) -> "tuple[np.ndarray, np.ndarray, str]":
    """Return the vertices, triangles and unit of the parts a 3MF model builds.

    Objects are meshes or assemblies of other objects; build items place them, each with its
    transform.
    """
    import numpy as np

    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - expat refuses entity expansion bombs
    except ElementTree.ParseError as error:
        raise Refused(
            N_("The 3MF model is not well-formed XML: %(error)s"), error=str(error)
        ) from error
    unit = root.get("unit", "millimeter").strip().lower()
    meshes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    assemblies: dict[str, list[tuple[str, np.ndarray]]] = {}
    for item in root.iter():
        if _local(item.tag) != "object":
            continue
        identifier = item.get("id", "")
        for mesh in item:
            if _local(mesh.tag) == "mesh":
                meshes[identifier] = _read_3mf_mesh(mesh)
            elif _local(mesh.tag) == "components":
                assemblies[identifier] = [
                    (part.get("objectid", ""), _transform(part.get("transform")))
                    for part in mesh
                    if _local(part.tag) == "component"
                ]
    all_vertices, all_faces, count = [], [], 0
    placed = 0
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        for vertices, faces in _place(
            item.get("objectid", ""), _transform(item.get("transform")), meshes, assemblies, 0
        ):
            placed += len(faces)
            _check_triangles(placed)
            all_vertices.append(vertices)
            all_faces.append(faces + count)
            count += len(vertices)
    if not all_faces:
        raise Refused(N_("This 3MF file holds no 3D model."))
    return np.concatenate(all_vertices), np.concatenate(all_faces), unit


def _place(identifier, transform, meshes, assemblies, depth):
    """Yield the meshes an object stands for, moved by ``transform``."""
    if depth > MAX_3MF_NESTING:
        raise Refused(N_("The 3MF parts are nested too deep."))
    if identifier in meshes:
        vertices, faces = meshes[identifier]
        yield vertices @ transform[:3, :3].T + transform[:3, 3], faces
    for part, inner in assemblies.get(identifier, []):
        yield from _place(part, transform @ inner, meshes, assemblies, depth + 1)


def _read_3mf_mesh(mesh: ElementTree.Element) -> "tuple[np.ndarray, np.ndarray]":
    import numpy as np

    points: list[tuple[float, float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    try:
        for child in mesh:
            if _local(child.tag) == "vertices":
                points = [(float(v.get("x")), float(v.get("y")), float(v.get("z"))) for v in child]
            elif _local(child.tag) == "triangles":
                triangles = [(int(t.get("v1")), int(t.get("v2")), int(t.get("v3"))) for t in child]
    except (TypeError, ValueError) as error:
        raise Refused(N_("The 3MF model has a damaged vertex or triangle.")) from error
    vertices = np.array(points, dtype=np.float64).reshape(-1, 3)
    faces = np.array(triangles, dtype=np.int64).reshape(-1, 3)
    if not np.isfinite(vertices).all() or (
        len(faces) and (faces.min() < 0 or faces.max() >= len(vertices))
    ):
        raise Refused(N_("The 3MF model has a damaged vertex or triangle."))
    return vertices, faces


def _transform(text: str | None) -> "np.ndarray":
    """Return a 3MF transform (12 numbers, column by column of a 3×4 matrix) as a 4×4 matrix."""
    import numpy as np

    matrix = np.eye(4)
    if text:
        try:
            values = np.array(text.split(), dtype=np.float64)
        except ValueError as error:
            raise Refused(N_("The 3MF model has a damaged transform.")) from error
        if values.shape != (12,) or not np.isfinite(values).all():
            raise Refused(N_("The 3MF model has a damaged transform."))
        matrix[:3, :4] = values.reshape(4, 3).T
    return matrix


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _looks_ascii(start: bytes) -> bool:
    # Some binary files begin their header with "solid" too: an ASCII one has a facet soon.
    return start.lstrip().lower().startswith(b"solid") and b"facet" in start.lower()


def _check_triangles(count: int) -> None:
    if count > MAX_TRIANGLES:
        raise Refused(
            N_("The model has %(count)s triangles; previews stop at %(limit)s."),
            count=count,
            limit=MAX_TRIANGLES,
        )


def describe(
    vertices: "np.ndarray", faces: "np.ndarray", kind: str, folder: Path, units_assumed: bool
) -> dict[str, Any]:
    """Measure a mesh in millimetres, draw it and write its viewer model; return the result."""
    import numpy as np

    from app.previews.mesh_image import draw_mesh

    # Plain arrays: trimesh's tracked ones rehash themselves on every change.
    vertices = np.array(vertices, dtype=np.float64)
    faces = np.array(faces, dtype=np.int64).reshape(-1, 3)
    triangles = len(faces)
    _check_triangles(triangles)
    if triangles == 0:
        raise Refused(N_("The model holds no triangles."))
    if not np.isfinite(vertices).all():
        raise Refused(N_("The model has points at an infinite or undefined place."))
    vertices, faces = merge_equal_vertices(vertices, faces)
    # A triangle with a corner twice has no area and would count its edge twice.
    faces = faces[
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    ]
    if len(faces) == 0:
        raise Refused(N_("The model holds no triangles."))
    closed = is_closed(faces)
    volume, area = volume_and_area(vertices, faces)
    if closed and volume < 0:
        # Wound inside out: turn it, so its outside faces the viewer.
        faces = faces[:, ::-1]
        volume = -volume
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    sheet = {
        "format": kind,
        "units": "mm",
        "units_assumed": units_assumed,
        "triangles": triangles,
        "extent_mm": {axis: [_round(low[i]), _round(high[i])] for i, axis in enumerate("xyz")},
        "size_mm": [_round(high[i] - low[i]) for i in range(3)],
        "volume_mm3": _round(volume) if closed else None,
        "surface_mm2": _round(area),
        "closed": closed,
        "bodies": count_bodies(faces, len(vertices)),
    }
    # A closed part shows only its outside: the faces turned away need not be drawn.
    picture = draw_mesh(vertices, faces, *PICTURE_SIZE, two_sided=not closed)
    images = save_pictures(picture, folder)
    viewer_triangles = write_viewer(vertices, faces, folder / VIEWER)
    sheet["viewer_triangles"] = viewer_triangles
    return {
        "kind": kind,
        "sheet": {**sheet, "viewer": VIEWER},
        "images": images,
        "viewer": VIEWER,
    }


def is_closed(faces: "np.ndarray") -> bool:
    """Return whether the surface is closed and consistently wound.

    Then every edge is walked once each way, by the two triangles it joins.
    """
    import numpy as np

    if len(faces) == 0:
        return False
    count = int(faces.max()) + 1
    starts = faces.reshape(-1)
    ends = np.roll(faces, -1, axis=1).reshape(-1)
    forward = np.sort(starts * count + ends)
    if (forward[1:] == forward[:-1]).any():
        return False
    return bool(np.array_equal(forward, np.sort(ends * count + starts)))


def volume_and_area(vertices: "np.ndarray", faces: "np.ndarray") -> tuple[float, float]:
    """Return the volume a closed surface holds (negative if wound inside out) and its area."""
    import numpy as np

    # Relative to one corner: coordinates far from the origin lose no precision.
    origin = vertices[faces[0, 0]]
    a = vertices[faces[:, 0]] - origin
    normals = np.cross(vertices[faces[:, 1]] - origin - a, vertices[faces[:, 2]] - origin - a)
    volume = float(np.einsum("ij,ij->", a, normals) / 6)
    area = float(np.sqrt(np.einsum("ij,ij->i", normals, normals)).sum() / 2)
    return volume, area


def merge_equal_vertices(
    vertices: "np.ndarray", faces: "np.ndarray"
) -> "tuple[np.ndarray, np.ndarray]":
    """Make corners at exactly the same place one vertex (STL repeats them for each triangle).

    Vertices no triangle uses are dropped.
    """
    import numpy as np

    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    if not used.all():
        renumber = np.cumsum(used) - 1
        vertices, faces = vertices[used], renumber[faces]
    order = np.lexsort(vertices.T[::-1])
    ordered = vertices[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    index = np.empty(len(vertices), dtype=np.int64)
    index[order] = np.cumsum(new) - 1
    return ordered[new], index[faces]


def write_viewer(vertices: "np.ndarray", faces: "np.ndarray", path: Path) -> int:
    """Write a lighter copy of the mesh as binary glTF, Y up; return its triangle count."""
    import numpy as np
    import trimesh

    if len(faces) > VIEWER_MAX_TRIANGLES:
        import fast_simplification

        vertices, faces = fast_simplification.simplify(
            vertices.astype(np.float32),
            faces.astype(np.int32),
            target_reduction=1 - VIEWER_MAX_TRIANGLES / len(faces),
        )
    # The part's Z becomes glTF's Y (up), its Y becomes glTF's -Z.
    turned = np.column_stack((vertices[:, 0], vertices[:, 2], -vertices[:, 1]))
    light = trimesh.Trimesh(vertices=turned, faces=faces, process=False)
    path.write_bytes(light.export(file_type="glb"))
    return len(faces)


def count_bodies(faces: "np.ndarray", vertex_count: int) -> int:
    """Return how many separate pieces the triangles make (pieces sharing a point are one)."""
    import numpy as np

    labels = np.arange(vertex_count)
    first = np.concatenate((faces[:, 0], faces[:, 1]))
    second = np.concatenate((faces[:, 1], faces[:, 2]))
    while True:
        a, b = labels[first], labels[second]
        if np.array_equal(a, b):
            break
        # Hook each root onto the smaller label it touches, then follow labels to their roots.
        np.minimum.at(labels, np.maximum(a, b), np.minimum(a, b))
        while True:
            followed = labels[labels]
            if np.array_equal(followed, labels):
                break
            labels = followed
    return int(len(np.unique(labels[faces[:, 0]])))


def _round(value: float) -> float:
    # A tenth of a micrometre: below any machining meaning, above float32's noise.
    return round(float(value), 4)


def glb_bytes(data: bytes) -> "trimesh.Scene":
    """Load binary glTF from bytes."""
    import trimesh

    return trimesh.load(io.BytesIO(data), file_type="glb")
