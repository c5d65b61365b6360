"""Write small 3D files of known shape for the tests: STL, 3MF, STEP and IGES boxes."""

import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

# Corners of a unit box, then its faces as corner indices, counter-clockwise seen from outside.
_CORNERS = np.array([(i & 1, i >> 1 & 1, i >> 2 & 1) for i in range(8)], dtype=np.float64)
_QUADS = [
    ((0, 2, 3, 1), (0, 0, -1)),
    ((4, 5, 7, 6), (0, 0, 1)),
    ((0, 1, 5, 4), (0, -1, 0)),
    ((2, 6, 7, 3), (0, 1, 0)),
    ((0, 4, 6, 2), (-1, 0, 0)),
    ((1, 3, 7, 5), (1, 0, 0)),
]


def box_triangles(origin, size) -> np.ndarray:
    """Return the 12 triangles of a box as an (12, 3, 3) array of corners, facing out."""
    corners = np.asarray(origin, dtype=np.float64) + _CORNERS * np.asarray(size, dtype=np.float64)
    triangles = []
    for (a, b, c, d), _ in _QUADS:
        triangles += [corners[[a, b, c]], corners[[a, c, d]]]
    return np.array(triangles)


def write_ascii_stl(path: Path, triangles: np.ndarray) -> None:
    lines = ["solid box"]
    for triangle in triangles:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:g} {y:g} {z:g}" for x, y, z in triangle]
        lines += ["    endloop", "  endfacet"]
    path.write_text("\n".join(lines + ["endsolid box"]) + "\n")


def write_3mf(path: Path, triangles: np.ndarray, unit: str | None, transform: str = "") -> None:
    """Write a 3MF package holding ``triangles`` as one object, built with ``transform``."""
    vertices, faces = np.unique(triangles.reshape(-1, 3), axis=0, return_inverse=True)
    faces = faces.reshape(-1, 3)
    unit_attribute = f' unit="{unit}"' if unit else ""
    placed = f' transform="{transform}"' if transform else ""
    model = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<model{unit_attribute} xml:lang="en-US" '
        'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        '<resources><object id="1" type="model"><mesh><vertices>'
        + "".join(f'<vertex x="{x:g}" y="{y:g}" z="{z:g}"/>' for x, y, z in vertices)
        + "</vertices><triangles>"
        + "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces)
        + f'</triangles></mesh></object></resources><build><item objectid="1"{placed}/></build>'
        "</model>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="model" ContentType="application/'
            'vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>',
        )
        package.writestr("3D/3dmodel.model", model)


def write_zip_bomb(path: Path, inflated: int, declared: int) -> None:
    """Write a 3MF-named zip whose model inflates to ``inflated`` zero bytes.

    Its directory declares ``declared`` bytes: the truth, or a lie. The deflate stream is one
    flushed block of zeros repeated, so it is made in a blink.
    """
    piece = 16 * 1024**2
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(piece)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * (inflated // piece) + compressor.flush(zlib.Z_FINISH)
    name = b"3D/3dmodel.model"
    crc = 0  # never the zeros' checksum: a reader that inflates it all must fail
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), declared, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(data),
        declared,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    end = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        1,
        1,
        len(central) + len(name),
        len(local) + len(name) + len(data),
        0,
    )
    path.write_bytes(local + name + data + central + name + end)


class _Step:
    """A STEP file's entities, numbered as they are added."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str) -> int:
        self.lines.append(text)
        return len(self.lines)

    def point(self, p) -> int:
        return self.add("CARTESIAN_POINT('',({}))".format(",".join(f"{c:.6f}" for c in p)))

    def direction(self, d) -> int:
        return self.add("DIRECTION('',({}))".format(",".join(f"{c:.6f}" for c in d)))

    def placement(self, origin, axis, reference) -> int:
        return self.add(
            f"AXIS2_PLACEMENT_3D('',#{self.point(origin)},#{self.direction(axis)},"
            f"#{self.direction(reference)})"
        )

    def text(self, solids: list[int], prefix: str | None) -> str:
        """Return the file, ``solids`` in one part whose length unit is ``prefix`` metre."""
        unit = f".{prefix}." if prefix else "$"
        length = self.add(f"( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT({unit},.METRE.) )")
        angle = self.add("( NAMED_UNIT(*) PLANE_ANGLE_UNIT() SI_UNIT($,.RADIAN.) )")
        solid_angle = self.add("( NAMED_UNIT(*) SI_UNIT($,.STERADIAN.) SOLID_ANGLE_UNIT() )")
        uncertainty = self.add(
            f"UNCERTAINTY_MEASURE_WITH_UNIT(LENGTH_MEASURE(1.E-07),#{length},'distance','')"
        )
        context = self.add(
            "( GEOMETRIC_REPRESENTATION_CONTEXT(3) "
            f"GLOBAL_UNCERTAINTY_ASSIGNED_CONTEXT((#{uncertainty})) "
            f"GLOBAL_UNIT_ASSIGNED_CONTEXT((#{length},#{angle},#{solid_angle})) "
            "REPRESENTATION_CONTEXT('',''))"
        )
        items = ",".join(
            f"#{s}" for s in [self.placement((0, 0, 0), (0, 0, 1), (1, 0, 0))] + solids
        )
        representation = self.add(f"ADVANCED_BREP_SHAPE_REPRESENTATION('',({items}),#{context})")
        application = self.add("APPLICATION_CONTEXT('automotive design')")
        self.add(
            "APPLICATION_PROTOCOL_DEFINITION('international standard','automotive_design',2000,"
            f"#{application})"
        )
        product_context = self.add(f"PRODUCT_CONTEXT('',#{application},'mechanical')")
        product = self.add(f"PRODUCT('part','part','',(#{product_context}))")
        formation = self.add(f"PRODUCT_DEFINITION_FORMATION('','',#{product})")
        definition_context = self.add(
            f"PRODUCT_DEFINITION_CONTEXT('part definition',#{application},'design')"
        )
        definition = self.add(f"PRODUCT_DEFINITION('design','',#{formation},#{definition_context})")
        shape = self.add(f"PRODUCT_DEFINITION_SHAPE('','',#{definition})")
        self.add(f"SHAPE_DEFINITION_REPRESENTATION(#{shape},#{representation})")
        return (
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('part'),'2;1');\n"
            "FILE_NAME('part.stp','2026-01-01T00:00:00',(''),(''),'','','');\n"
            "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));\nENDSEC;\nDATA;\n"
            + "".join(f"#{n}={line};\n" for n, line in enumerate(self.lines, 1))
            + "ENDSEC;\nEND-ISO-10303-21;\n"
        )


def _step_box(step: _Step, origin, size) -> int:
    corners = [tuple(c) for c in np.asarray(origin) + _CORNERS * np.asarray(size)]
    vertices = [step.add(f"VERTEX_POINT('',#{step.point(c)})") for c in corners]
    edges: dict[tuple[int, int], int] = {}
    faces = []
    for loop, normal in _QUADS:
        oriented = []
        for a, b in zip(loop, loop[1:] + loop[:1], strict=True):
            key = (min(a, b), max(a, b))
            if key not in edges:
                start, end = corners[key[0]], corners[key[1]]
                length = math.dist(start, end)
                direction = step.direction(
                    [(e - s) / length for s, e in zip(start, end, strict=True)]
                )
                vector = step.add(f"VECTOR('',#{direction},{length:.6f})")
                line = step.add(f"LINE('',#{step.point(start)},#{vector})")
                edges[key] = step.add(
                    f"EDGE_CURVE('',#{vertices[key[0]]},#{vertices[key[1]]},#{line},.T.)"
                )
            sense = ".T." if a < b else ".F."
            oriented.append(step.add(f"ORIENTED_EDGE('',*,*,#{edges[key]},{sense})"))
        loop_id = step.add("EDGE_LOOP('',({}))".format(",".join(f"#{o}" for o in oriented)))
        bound = step.add(f"FACE_OUTER_BOUND('',#{loop_id},.T.)")
        reference = (1, 0, 0) if normal[0] == 0 else (0, 1, 0)
        plane = step.add(f"PLANE('',#{step.placement(corners[loop[0]], normal, reference)})")
        faces.append(step.add(f"ADVANCED_FACE('',(#{bound}),#{plane},.T.)"))
    shell = step.add("CLOSED_SHELL('',({}))".format(",".join(f"#{f}" for f in faces)))
    return step.add(f"MANIFOLD_SOLID_BREP('box',#{shell})")


def step_boxes(boxes, prefix: str | None = "MILLI") -> str:
    """Return a STEP part of boxes, each ``(origin, size)``, in ``prefix`` metres."""
    step = _Step()
    solids = [_step_box(step, origin, size) for origin, size in boxes]
    return step.text(solids, prefix)


def step_sphere(radius: float, prefix: str | None = "MILLI") -> str:
    """Return a STEP sphere: one spherical face, bounded by nothing but itself."""
    step = _Step()
    centre = step.placement((0, 0, 0), (0, 0, 1), (1, 0, 0))
    surface = step.add(f"SPHERICAL_SURFACE('',#{centre},{radius:.6f})")
    face = step.add(f"ADVANCED_FACE('',(),#{surface},.T.)")
    shell = step.add(f"CLOSED_SHELL('',(#{face}))")
    return step.text([step.add(f"MANIFOLD_SOLID_BREP('sphere',#{shell})")], prefix)


def iges_box(size, unit_flag: int = 2, unit_name: str = "MM") -> str:
    """Return an IGES box from the origin: six planes (108), each trimmed (144) by four lines.

    ``unit_flag`` is IGES's: 2 for millimetres, 1 for inches.
    """
    corners = [tuple(c) for c in _CORNERS * np.asarray(size)]
    entities: list[tuple[int, list, bool]] = []  # type, parameters, dependent on another

    def add(kind: int, parameters: list, dependent: bool = True) -> int:
        entities.append((kind, parameters, dependent))
        return 2 * len(entities) - 1  # its directory entry's line

    for loop, normal in _QUADS:
        lines = [
            add(110, [*corners[a], *corners[b]])
            for a, b in zip(loop, loop[1:] + loop[:1], strict=True)
        ]
        curve = add(102, [4, *lines])
        distance = sum(n * v for n, v in zip(normal, corners[loop[0]], strict=True))
        plane = add(108, [*normal, distance, 0, 0, 0, 0, 0])
        boundary = add(142, [0, plane, 0, curve, 2])
        add(144, [plane, 1, 0, boundary], dependent=False)

    def hollerith(text: str) -> str:
        return f"{len(text)}H{text}"

    global_ = (
        ",".join(
            [hollerith(","), hollerith(";"), hollerith("box"), hollerith("box.igs")]
            + [hollerith("test"), hollerith("1.0"), "32", "38", "6", "308", "15", hollerith("box")]
            + [
                "1.0",
                str(unit_flag),
                hollerith(unit_name),
                "1",
                "1.0",
                hollerith("20260101.000000"),
            ]
            + ["1.0E-6", "0.0", hollerith("a"), hollerith("b"), "11", "0"]
            + [hollerith("20260101.000000")]
        )
        + ";"
    )
    directory: list[str] = []
    parameters: list[str] = []
    for number, (kind, values, dependent) in enumerate(entities):
        record = ",".join(
            [str(kind)] + [f"{v:.4f}" if isinstance(v, float) else str(v) for v in values]
        )
        record += ";"
        entry = 2 * number + 1
        chunks = [record[i : i + 64] for i in range(0, len(record), 64)]
        first = len(parameters) + 1
        for chunk in chunks:
            parameters.append(f"{chunk:<64} {entry:>7}P{len(parameters) + 1:>7}")
        status = "00010000" if dependent else "00000000"
        directory.append(f"{kind:>8}{first:>8}" + f"{0:>8}" * 6 + f"{status:>8}D{entry:>7}")
        directory.append(
            f"{kind:>8}{0:>8}{0:>8}{len(chunks):>8}{0:>8}" + " " * 24 + f"{0:>8}D{entry + 1:>7}"
        )
    start = [f"{'box':<72}S{1:>7}"]
    globals_ = [f"{global_[i : i + 72]:<72}G{i // 72 + 1:>7}" for i in range(0, len(global_), 72)]
    counts = f"S{len(start):>7}G{len(globals_):>7}D{len(directory):>7}P{len(parameters):>7}"
    return "\n".join(start + globals_ + directory + parameters + [f"{counts:<72}T{1:>7}"]) + "\n"
