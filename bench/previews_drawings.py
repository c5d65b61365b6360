"""Make drawings, documents and images to read in the preview sandbox, and time their reading.

Usage:

    .venv/bin/python -m bench.previews_drawings            # every file, one fresh child each
    .venv/bin/python -m bench.previews_drawings --entities 90000 --pages 6

The files are written into a temporary folder; each is read through ``run_limited`` (the limits
the worker uses) and its time, peak memory and outcome are printed as JSON. The generators are
small on disk even where the content is huge: tests reuse them.
"""

import argparse
import json
import struct
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

POINTS_PER_MM = 72 / 25.4
A4_MM = (210.0, 297.0)
A3_MM = (297.0, 420.0)


# --- DXF ----------------------------------------------------------------------------------------


def many_entities_dxf(path: Path, count: int) -> int:
    """Write a millimetre drawing of about ``count`` entities on five layers; return the count.

    A grid of cells, each a frame, a hole, an arc, a line and now and then a label: what a sheet
    of nested parts looks like to a reader.
    """
    import ezdxf

    document = ezdxf.new("R2018")
    document.units = 4  # millimetres
    for index in range(5):
        document.layers.add(f"PARTS-{index}")
    model = document.modelspace()
    written = 0
    cell = 0
    columns = max(1, int((count / 4) ** 0.5))
    while written < count:
        x, y = (cell % columns) * 30.0, (cell // columns) * 30.0
        layer = {"layer": f"PARTS-{cell % 5}"}
        model.add_lwpolyline(
            [(x, y), (x + 25, y), (x + 25, y + 25), (x, y + 25)], close=True, dxfattribs=layer
        )
        model.add_circle((x + 12.5, y + 12.5), 4, dxfattribs=layer)
        model.add_arc((x + 12.5, y + 12.5), 8, 0, 135, dxfattribs=layer)
        model.add_line((x + 2, y + 2), (x + 23, y + 2), dxfattribs=layer)
        written += 4
        if cell % 10 == 0 and written < count:
            model.add_text(f"P{cell}", height=2.5, dxfattribs=layer).set_placement((x + 2, y + 20))
            written += 1
        cell += 1
    document.saveas(path)
    return written


def nested_blocks_dxf(path: Path, levels: int = 9, inserts: int = 10) -> int:
    """Write blocks nested ``levels`` deep, each inserting the one below ``inserts`` times.

    The innermost block holds two lines; model space inserts the outermost one ``inserts``
    times. Return how many lines that stands for.
    """
    import ezdxf

    document = ezdxf.new("R2018")
    inner = document.blocks.new("LEVEL-0")
    inner.add_line((0, 0), (1, 0))
    inner.add_line((0, 0), (0, 1))
    for level in range(1, levels):
        block = document.blocks.new(f"LEVEL-{level}")
        for index in range(inserts):
            block.add_blockref(f"LEVEL-{level - 1}", (index * 2.0, 0))
    model = document.modelspace()
    for index in range(inserts):
        model.add_blockref(f"LEVEL-{levels - 1}", (0, index * 2.0))
    document.saveas(path)
    return 2 * inserts**levels


def minsert_dxf(path: Path, rows: int = 40_000, columns: int = 40_000) -> int:
    """Write one MINSERT of a one-circle block, ``rows`` × ``columns``; return the count."""
    import ezdxf

    document = ezdxf.new("R2018")
    document.blocks.new("HOLE").add_circle((0, 0), 1)
    document.modelspace().add_blockref("HOLE", (0, 0)).grid(size=(rows, columns), spacing=(3, 3))
    document.saveas(path)
    return rows * columns


# --- PDF ----------------------------------------------------------------------------------------


@dataclass
class PdfImage:
    """A grey image already compressed with Flate."""

    width: int
    height: int
    deflated: bytes
    bits: int = 8


@dataclass
class PdfPage:
    """A page of ``width`` × ``height`` points, its content stream, and images it names."""

    width: float
    height: float
    content: bytes
    images: dict[str, PdfImage] = field(default_factory=dict)
    rotate: int = 0


def write_pdf(path: Path, pages: Sequence[PdfPage], title: str | None = None) -> None:
    """Write a plain PDF of ``pages``, with ``title`` in its information dictionary."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(header: bytes, data: bytes) -> bytes:
        return b"<< " + header + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    # Filled in at the end, once the pages' numbers are known.
    catalog = add(b"")
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    page_numbers = []
    for page in pages:
        names = b""
        for name, image in page.images.items():
            header = (
                b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent %d /Filter /FlateDecode"
                % (image.width, image.height, image.bits)
            )
            names += b"/" + name.encode() + b" %d 0 R " % add(stream(header, image.deflated))
        contents = add(stream(b"", page.content))
        page_numbers.append((contents, names, page.width, page.height, page.rotate))
    for contents, names, width, height, rotate in page_numbers:
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Rotate %d "
                b"/Contents %d 0 R /Resources << /Font << /F1 %d 0 R >> /XObject << %s>> >> >>"
                % (tree, width, height, rotate, contents, font, names)
            )
        )
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    info = add(b"<< /Title %s >>" % _pdf_text(title)) if title is not None else None
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info is not None:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % start
    path.write_bytes(bytes(out))


def _pdf_text(text: str) -> bytes:
    """Return ``text`` as a PDF string: UTF-16 with its byte order mark, in hexadecimal."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def drawing_page(width_mm: float, height_mm: float, label: str = "") -> PdfPage:
    """Return a page of that paper size with a frame, two diagonals and a label."""
    width, height = width_mm * POINTS_PER_MM, height_mm * POINTS_PER_MM
    content = (
        b"2 w 28 28 %.2f %.2f re S 28 28 m %.2f %.2f l S 28 %.2f m %.2f 28 l S "
        b"BT /F1 24 Tf 56 56 Td (%s) Tj ET"
        % (
            width - 56,
            height - 56,
            width - 28,
            height - 28,
            height - 28,
            width - 28,
            label.encode("latin-1"),
        )
    )
    return PdfPage(width, height, content)


def a3_pdf(path: Path, pages: int = 6, title: str = "Plan de la bride") -> None:
    """Write ``pages`` A3 landscape drawing sheets."""
    write_pdf(
        path,
        [drawing_page(A3_MM[1], A3_MM[0], f"Sheet {n + 1}") for n in range(pages)],
        title,
    )


def huge_image_pdf(path: Path, side: int = 30_000) -> None:
    """Write one A4 page showing a ``side`` × ``side`` black image (under a megabyte on disk)."""
    image = PdfImage(side, side, deflate_zeros(side * side))
    width, height = A4_MM[0] * POINTS_PER_MM, A4_MM[1] * POINTS_PER_MM
    content = b"q 500 0 0 500 48 170 cm /Im1 Do Q"
    write_pdf(path, [PdfPage(width, height, content, {"Im1": image})], "Image")


def deflate_zeros(count: int, chunk: int = 1 << 20) -> bytes:
    """Return ``count`` zero bytes compressed as a zlib stream, without compressing them all.

    After a full flush a compressor starts afresh, so each further chunk of zeros compresses to
    the same bytes: they are repeated, and the checksum of ``count`` zeros is written by hand.
    """
    compressor = zlib.compressobj(9)
    whole, rest = divmod(count, chunk)
    parts = []
    if whole:
        block = bytes(chunk)
        parts.append(compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH))
        if whole > 1:
            again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
            parts.append(again * (whole - 1))
    parts.append(compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FINISH))
    data = b"".join(parts)
    # Adler-32 of zeros: the sum stays 1, the sum of sums is the count.
    checksum = ((count % 65521) << 16) | 1
    return data[:-4] + checksum.to_bytes(4, "big")


# --- Images -------------------------------------------------------------------------------------


def huge_png(path: Path, side: int = 60_000) -> None:
    """Write a black-and-white PNG declaring ``side`` × ``side`` pixels (under a megabyte)."""
    row = 1 + (side + 7) // 8  # a filter byte, then eight pixels a byte

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", deflate_zeros(row * side))
        + chunk(b"IEND", b"")
    )


# --- Measuring ----------------------------------------------------------------------------------


def measure(entities: int, pages: int) -> list[dict[str, object]]:
    """Read each bench file in a fresh limited child; return what each reading took."""
    from app.previews.sandbox import run_limited

    cases = [
        ("dxf", f"{entities} entities", "drawing:read_dxf_file", many_entities_dxf, (entities,)),
        ("dxf", "nested blocks 9 × 10", "drawing:read_dxf_file", nested_blocks_dxf, ()),
        ("dxf", "MINSERT 40,000 × 40,000", "drawing:read_dxf_file", minsert_dxf, ()),
        ("pdf", f"{pages} A3 pages", "document:read_pdf_file", a3_pdf, (pages,)),
        ("pdf", "a 30,000² image on a page", "document:read_pdf_file", huge_image_pdf, ()),
        ("png", "60,000² pixels", "document:read_image_file", huge_png, ()),
    ]
    results = []
    with tempfile.TemporaryDirectory(prefix="previews-bench-") as scratch:
        for number, (suffix, label, reader, make, arguments) in enumerate(cases):
            source = Path(scratch) / f"{number}.{suffix}"
            make(source, *arguments)
            reading = run_limited(f"app.previews.{reader}", source, Path(scratch) / str(number))
            peak = reading.peak_memory_bytes
            results.append(
                {
                    "file": label,
                    "bytes": source.stat().st_size,
                    "outcome": reading.outcome.value,
                    "reason": reading.reason_text,
                    "seconds": round(reading.seconds, 2),
                    "peak_mib": None if peak is None else round(peak / 1024**2),
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=90_000)
    parser.add_argument("--pages", type=int, default=6)
    arguments = parser.parse_args()
    results = measure(arguments.entities, arguments.pages)
    print(json.dumps(results, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
