"""Files for measuring the previews: made here, so any machine can make them again."""

import math
from pathlib import Path

import numpy as np


def big_stl(path: Path, triangles: int, radius: float = 50.0) -> int:
    """Write a binary STL torus of about ``triangles`` triangles; return how many it holds.

    The torus (radius ``radius`` mm, tube a third of it) is closed, so every figure is measured.
    """
    # A grid of rings × segments quads, two triangles each, the tube finer than the ring.
    rings = max(3, int(math.sqrt(triangles / 2 * 3)))
    segments = max(3, triangles // (2 * rings))
    tube = radius / 3
    u = np.linspace(0, 2 * np.pi, rings, endpoint=False)
    v = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    points = np.stack(
        (
            (radius + tube * np.cos(vv)) * np.cos(uu),
            (radius + tube * np.cos(vv)) * np.sin(uu),
            tube * np.sin(vv),
        ),
        axis=-1,
    ).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(rings), np.arange(segments), indexing="ij")
    here = i * segments + j
    right = ((i + 1) % rings) * segments + j
    up = i * segments + (j + 1) % segments
    across = ((i + 1) % rings) * segments + (j + 1) % segments
    faces = np.concatenate(
        (
            np.stack((here, right, across), -1).reshape(-1, 3),
            np.stack((here, across, up), -1).reshape(-1, 3),
        )
    )
    write_binary_stl(path, points[faces])
    return len(faces)


def write_binary_stl(path: Path, corners: np.ndarray) -> None:
    """Write triangles given as an (n, 3, 3) array of corners as a binary STL."""
    record = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
    data = np.zeros(len(corners), dtype=record)
    data["corners"] = corners
    with Path(path).open("wb") as out:
        out.write(b"binary STL".ljust(80, b" "))
        out.write(np.uint32(len(corners)).tobytes())
        out.write(data.tobytes())


def measure(reader: str, source: Path, folder: Path) -> dict:
    """Read ``source`` through the sandbox; return its outcome, wall and processor time, peak."""
    import resource

    from app.previews.sandbox import run_limited

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    reading = run_limited(reader, source, folder)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "outcome": reading.outcome.value,
        "seconds": round(reading.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round((reading.peak_memory_bytes or 0) / 1024**2),
    }


def main() -> None:
    """Measure a 500,000-triangle STL and a STEP part, each in a fresh sandboxed process."""
    import tempfile

    from tests.previews.model_files import step_boxes, step_sphere

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        stl = work / "torus.stl"
        big_stl(stl, 500_000)
        step = work / "part.step"
        boxes = [
            ((x * 30.0, y * 30.0, 0.0), (20.0, 20.0, 5.0 + x + y))
            for x in range(6)
            for y in range(6)
        ]
        step.write_text(step_boxes(boxes))
        sphere = work / "sphere-100m.step"
        sphere.write_text(step_sphere(100_000))
        for reader, source in (
            ("app.previews.mesh:read_stl_file", stl),
            ("app.previews.cad:read_step_file", step),
            ("app.previews.cad:read_step_file", sphere),
        ):
            print(source.name, measure(reader, source, work / source.stem))  # noqa: T201


if __name__ == "__main__":
    main()
