"""Measure the previews against their targets: every kind, and every hostile file, in the sandbox.

Usage:

    .venv/bin/python -m bench.previews [--repeats 5]   # a Markdown table for docs/previews.md

Each file is made here, then read through ``run_limited`` with the limits the preview worker
uses, one fresh child process each, as the job does. Wall time, processor time and the child's
peak memory are reported with the outcome; this process (the worker's stand-in) reads every
hostile file in turn and must still be there at the end.
"""

import argparse
import math
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.previews_drawings import a3_pdf, huge_image_pdf, huge_png, minsert_dxf
from bench.previews_drawings import nested_blocks_dxf as nested_dxf
from bench.previews_fixtures import big_stl
from tests.previews.model_files import step_boxes, step_sphere, write_zip_bomb

READERS = {
    "gcode": "app.previews.readers:read_gcode_file",
    "stl": "app.previews.mesh:read_stl_file",
    "3mf": "app.previews.mesh:read_3mf_file",
    "step": "app.previews.cad:read_step_file",
    "dxf": "app.previews.drawing:read_dxf_file",
    "pdf": "app.previews.document:read_pdf_file",
    "png": "app.previews.document:read_image_file",
}


@dataclass(frozen=True)
class Case:
    label: str
    kind: str
    make: Callable[[Path], object]
    target: str  # what the issue asks of it, in words


def gcode_pocket(path: Path, passes: int = 22_222) -> float:
    """Write a pocket of rounded rectangles at constant feed; return its exact cutting time."""
    lines = ["%", "O2001", "G21 G90 G17", "T1 M6 (FRAISE D6)", "S9000 M3", "G0 X2 Y0 Z1"]
    lines += ["G1 Z0 F500", "F1500"]
    for _ in range(passes):
        lines += ["X48", "G3 X50 Y2 I0 J2", "G1 Y18", "G3 X48 Y20 I-2 J0", "G1 X2"]
        lines += ["G3 X0 Y18 I0 J-2", "G1 Y2", "G3 X2 Y0 I2 J0", "G1"]
    lines += ["G0 Z5", "M30", "%"]
    path.write_text("\n".join(lines) + "\n")
    perimeter = 2 * 46 + 2 * 16 + 2 * math.pi * 2
    return 1 / 500 * 60 + passes * perimeter / 1500 * 60


def gcode_circles(path: Path, radius_mm: float, count: int = 1_500_000) -> None:
    """Write ``count`` full circles of ``radius_mm``: a small file, a huge toolpath."""
    with path.open("w") as out:
        out.write(f"G21 G90 G17 S1000 M3\nG0 X{radius_mm} Y0 Z0\nG1 F1000\n")
        for _ in range(count):
            out.write(f"G2 I{-radius_mm}\n")
        out.write("M30\n")


def one_endless_line(path: Path, size: int = 45 * 1024**2) -> None:
    with path.open("wb") as out:
        out.write(b"G21 G90 G1 F100")
        chunk = b" X1" * (1024**2 // 3)
        while out.tell() < size:
            out.write(chunk)


def lying_stl(path: Path) -> None:
    path.write_bytes(
        b"lying header".ljust(80, b" ") + (2**32 - 1).to_bytes(4, "little") + bytes(500)
    )


CASES = [
    Case("G-code, 200,000 lines (lines and arcs)", "gcode", gcode_pocket, "< 3 s, < 300 MiB"),
    Case("STL, 500,000 triangles", "stl", lambda p: big_stl(p, 500_000), "< 4 s, < 800 MiB"),
    Case("PDF drawing, 6 A3 pages", "pdf", lambda p: a3_pdf(p, 6), "< 1 s"),
    Case("STEP part, 36 boxes", "step", lambda p: p.write_text(_boxes()), "—"),
    Case("hostile: G-code, one 45 MB line", "gcode", one_endless_line, "within limits"),
    Case(
        "hostile: G-code, 1.5 M circles of 1 km",
        "gcode",
        lambda p: gcode_circles(p, 1_000_000),
        "within limits",
    ),
    Case(
        "hostile: G-code, 1.5 M circles of 100 m",
        "gcode",
        lambda p: gcode_circles(p, 100_000),
        "within limits",
    ),
    Case("hostile: STL header claiming 4 G triangles", "stl", lying_stl, "refused"),
    Case(
        "hostile: 3MF member inflating to 2 GiB",
        "3mf",
        lambda p: write_zip_bomb(p, 2 * 1024**3, 2 * 1024**3),
        "refused",
    ),
    Case(
        "hostile: STEP, a 100 m sphere",
        "step",
        lambda p: p.write_text(step_sphere(100_000)),
        "within limits",
    ),
    Case("hostile: DXF, blocks nested 9 × 10", "dxf", nested_dxf, "refused"),
    Case("hostile: DXF, MINSERT 40,000 × 40,000", "dxf", minsert_dxf, "refused"),
    Case("hostile: PDF, a 30,000² image", "pdf", huge_image_pdf, "within limits"),
    Case("hostile: PNG, 60,000² pixels", "png", huge_png, "refused"),
]


def _boxes() -> str:
    boxes = [
        ((x * 30.0, y * 30.0, 0.0), (20.0, 20.0, 5.0 + x + y)) for x in range(6) for y in range(6)
    ]
    return step_boxes(boxes)


def measure(case: Case, scratch: Path, number: int, repeats: int) -> dict[str, object]:
    """Read the case's file ``repeats`` times, each in a fresh child; keep the median reading."""
    from app.previews.sandbox import run_limited

    source = scratch / f"{number}.{case.kind}"
    exact = case.make(source)
    readings = []
    for attempt in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        reading = run_limited(READERS[case.kind], source, scratch / f"{number}-{attempt}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        readings.append((reading.seconds, cpu, reading))
    seconds, cpu, reading = sorted(readings, key=lambda found: found[0])[len(readings) // 2]
    row: dict[str, object] = {
        "file": case.label,
        "size": source.stat().st_size,
        "outcome": reading.outcome.value,
        "seconds": seconds,
        "slowest": max(found[0] for found in readings),
        "cpu": cpu,
        "peak": reading.peak_memory_bytes,
        "reason": reading.reason_text or "",
        "target": case.target,
    }
    if case.kind == "gcode" and isinstance(exact, float) and reading.result:
        estimated = reading.result["sheet"]["cutting_seconds"]
        row["reason"] = f"run time off by {abs(estimated - exact) / exact:.3%} from the exact one"
    source.unlink()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="readings per file (median kept)")
    repeats = parser.parse_args().repeats
    started = time.monotonic()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="previews-bench-") as folder:
        rows = [measure(case, Path(folder), n, repeats) for n, case in enumerate(CASES)]
    print(  # noqa: T201
        f"Measured on {platform.node()} ({os.cpu_count()} cores), load average {load:.1f} "
        f"before, in {time.monotonic() - started:.0f} s, each file read {repeats} times in a fresh "
        f"child (the median shown, the slowest beside it); this process (the worker's "
        f"stand-in, pid {os.getpid()}) is alive after every file.\n"
    )
    print("| file | size | outcome | wall (slowest) | CPU | peak | target | note |")  # noqa: T201
    print("|---|---:|---|---:|---:|---:|---|---|")  # noqa: T201
    for row in rows:
        peak = f"{row['peak'] / 1024**2:.0f} MiB" if row["peak"] else "—"
        print(  # noqa: T201
            f"| {row['file']} | {row['size'] / 1024**2:.1f} MB | {row['outcome']} | "
            f"{row['seconds']:.2f} s ({row['slowest']:.2f} s) | {row['cpu']:.2f} s | {peak} | "
            f"{row['target']} | {row['reason']} |"
        )


if __name__ == "__main__":
    main()
