"""Readers that misbehave on purpose, run by the sandbox tests in a child process."""

import ctypes
import subprocess
import time
from pathlib import Path


def count_lines(source: Path, folder: Path, greeting: str = "") -> dict:
    print("noise on stdout, as OpenCASCADE makes")  # noqa: T201 - what the sandbox must ignore
    (folder / "thumbnail.txt").write_text("drawn")
    return {"lines": len(source.read_text().splitlines()), "greeting": greeting}


def loop_forever(source: Path, folder: Path) -> dict:
    while True:
        pass


def eat_memory(source: Path, folder: Path) -> dict:
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024**2))


def write_forever(source: Path, folder: Path) -> dict:
    with (folder / "huge.bin").open("wb") as out:
        while True:
            out.write(b"\0" * 1024**2)


def sleep_with_a_child(source: Path, folder: Path) -> dict:
    child = subprocess.Popen(["sleep", "300"])  # noqa: S603, S607 - a test's own command
    (folder / "grandchild.pid").write_text(str(child.pid))
    time.sleep(300)
    return {}


def crash(source: Path, folder: Path) -> dict:
    ctypes.string_at(0)  # reads address 0: a segmentation fault, as native parsers can
    return {}


def refuse(source: Path, folder: Path) -> dict:
    from app.previews.sandbox import Refused

    raise Refused("this drawing nests blocks %(count)s entities deep", count=200_000_000)


def break_down(source: Path, folder: Path) -> dict:
    raise KeyError("a field the reader expected")
