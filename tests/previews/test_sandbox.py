"""Readers run in a limited child process: whatever the file does, the worker lives and says why."""

import os
import time

import pytest

from app.previews.sandbox import Limits, Outcome, run_limited

READERS = "tests.previews.hostile_readers"
TIGHT = Limits(cpu_seconds=2, wall_seconds=8, memory_bytes=512 * 1024**2, output_bytes=4 * 1024**2)


@pytest.fixture()
def source(tmp_path):
    path = tmp_path / "programme.nc"
    path.write_text("G21\nG0 X0\nM30\n")
    return path


def test_a_well_behaved_reader_returns_its_findings_and_its_files(source, tmp_path):
    folder = tmp_path / "out"

    reading = run_limited(f"{READERS}:count_lines", source, folder, TIGHT, greeting="bonjour")

    assert reading.outcome is Outcome.READY
    assert reading.result == {"lines": 3, "greeting": "bonjour"}
    assert (folder / "thumbnail.txt").read_text() == "drawn"


def test_an_endless_loop_is_stopped_at_the_processor_limit(source, tmp_path):
    reading = run_limited(f"{READERS}:loop_forever", source, tmp_path / "out", TIGHT)

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "reading needed more than 2 s of processor time"
    assert reading.seconds < TIGHT.wall_seconds


def test_a_reader_eating_memory_is_refused_at_the_memory_limit(source, tmp_path):
    reading = run_limited(f"{READERS}:eat_memory", source, tmp_path / "out", TIGHT)

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "reading needed more than 512 MiB of memory"


def test_a_reader_writing_without_end_is_refused_at_the_output_limit(source, tmp_path):
    folder = tmp_path / "out"

    reading = run_limited(f"{READERS}:write_forever", source, folder, TIGHT)

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "reading wrote a file larger than 4 MiB"
    assert (folder / "huge.bin").stat().st_size <= TIGHT.output_bytes


def test_a_reader_that_hangs_is_killed_with_everything_it_started(source, tmp_path):
    folder = tmp_path / "out"
    limits = Limits(cpu_seconds=2, wall_seconds=1.5)

    reading = run_limited(f"{READERS}:sleep_with_a_child", source, folder, limits)

    assert reading.outcome is Outcome.REFUSED
    assert reading.reason_text == "reading took longer than 1.5 s"
    grandchild = int((folder / "grandchild.pid").read_text())
    for _ in range(50):
        if not _alive(grandchild):
            break
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_crash_of_the_reader_is_a_failure_the_caller_survives(source, tmp_path):
    reading = run_limited(f"{READERS}:crash", source, tmp_path / "out", TIGHT)

    assert reading.outcome is Outcome.FAILED
    assert reading.reason_text == "the reader stopped on signal SIGSEGV"


def test_a_refusal_and_a_broken_reader_say_why(source, tmp_path):
    refused = run_limited(f"{READERS}:refuse", source, tmp_path / "a", TIGHT)
    broken = run_limited(f"{READERS}:break_down", source, tmp_path / "b", TIGHT)

    assert refused.outcome is Outcome.REFUSED
    assert refused.reason == "this drawing nests blocks %(count)s entities deep"
    assert refused.reason_params == {"count": 200_000_000}
    assert refused.reason_text == "this drawing nests blocks 200000000 entities deep"
    assert broken.outcome is Outcome.FAILED
    assert broken.reason_text == (
        "the reader broke on this file: KeyError: 'a field the reader expected'"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it holds no memory and runs nothing.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
