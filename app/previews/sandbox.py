"""Run a file reader in a child process with hard limits, so no file can take the worker down.

A hostile or broken file can make a parser loop, eat all memory, write without end or crash the
interpreter (OpenCASCADE segfaults on some STEP files). The reader therefore runs in a fresh
Python process of its own process group, limited in CPU time, address space and bytes written,
and killed with its whole group once the wall-clock limit passes. It writes its findings to a
file in a folder of its own; what it prints is ignored (OpenCASCADE prints to stdout).
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.domain.errors import N_

RESULT_FILE = "result.json"
# What the reader said on its error output: the last line explains a crash.
ERRORS_FILE = "reader-errors.log"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Limits:
    """What one reading may use."""

    cpu_seconds: int = 60
    wall_seconds: float = 90.0
    memory_bytes: int = 2 * 1024**3
    output_bytes: int = 64 * 1024**2  # the largest file it may write


class Outcome(StrEnum):
    READY = "ready"  # read: the findings are in ``result``
    REFUSED = "refused"  # the file is not something we read, or asks too much: ``reason`` says
    FAILED = "failed"  # the reader broke on it: ``reason`` says how


@dataclass(frozen=True)
class Reading:
    """The outcome of one reading, the reader's findings, and how long it took."""

    outcome: Outcome
    result: dict[str, Any] | None
    # Why it was refused or failed: an English msgid with ``%(name)s`` placeholders, and their
    # values, so each person reads it in their own language.
    reason: str | None
    seconds: float
    # The reader's own peak, as it measured it once done; None when it did not finish.
    peak_memory_bytes: int | None
    reason_params: dict[str, Any] = field(default_factory=dict)

    @property
    def reason_text(self) -> str | None:
        """Return the reason in English, its placeholders filled."""
        if self.reason is None:
            return None
        return self.reason % self.reason_params if self.reason_params else self.reason


class Refused(Exception):  # noqa: N818 - a refusal is an outcome, not an error
    """Raised by a reader for a file it will not read; its message is for a person.

    ``message`` is an English msgid with ``%(name)s`` placeholders (marked with ``N_``), and
    ``params`` fill them once the message is translated for whoever reads it.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


def run_limited(
    reader: str, source: Path, folder: Path, limits: Limits | None = None, **options: Any
) -> Reading:
    """Run ``reader`` (``module:function``) on ``source`` in a limited child process.

    The function is called as ``function(source, folder, **options)`` and returns a JSON-able
    dict; it may write images into ``folder``. It raises :class:`Refused` for a file it will not
    read.
    """
    limits = limits or Limits()
    folder.mkdir(parents=True, exist_ok=True)
    result_path = folder / RESULT_FILE
    result_path.unlink(missing_ok=True)
    order = {
        "reader": reader,
        "source": str(source),
        "folder": str(folder),
        "options": options,
        "limits": {
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": limits.memory_bytes,
            "output_bytes": limits.output_bytes,
        },
    }
    environment = {
        **os.environ,
        # The child imports the reader from this application, wherever it runs.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])
        ),
        # One thread each: several readings at once must not fight over the cores.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    started = time.monotonic()
    with (folder / ERRORS_FILE).open("wb") as errors:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "app.previews.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            env=environment,
            cwd=folder,
        )
    try:
        with child.stdin:
            child.stdin.write(json.dumps(order).encode())
        status, timed_out = _wait(child.pid, started + limits.wall_seconds)
    finally:
        # Whatever the reader started goes with it.
        _kill_group(child.pid)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if timed_out:
        return Reading(
            Outcome.REFUSED,
            None,
            N_("reading took longer than %(seconds)s s"),
            seconds,
            None,
            {"seconds": f"{limits.wall_seconds:g}"},
        )
    return _outcome(child.returncode, folder, limits, seconds)


def _wait(pid: int, deadline: float) -> tuple[int, bool]:
    """Wait for the child until ``deadline``; kill its group past it.

    :return: its wait status, and whether it was killed for time.
    """
    pause = 0.005
    while True:
        found, status = os.waitpid(pid, os.WNOHANG)
        if found:
            return status, False
        if time.monotonic() >= deadline:
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            return status, True
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _outcome(returncode: int, folder: Path, limits: Limits, seconds: float) -> Reading:
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        reason = N_("reading needed more than %(seconds)s s of processor time")
        return Reading(
            Outcome.REFUSED, None, reason, seconds, None, {"seconds": limits.cpu_seconds}
        )
    try:
        written = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = None
    if returncode == 0 and isinstance(written, dict) and "outcome" in written:
        outcome = Outcome(written["outcome"])
        peak = written.get("peak_memory_bytes")
        return Reading(
            outcome,
            written.get("result"),
            written.get("reason"),
            seconds,
            peak,
            written.get("reason_params") or {},
        )
    if returncode < 0:
        reason = N_("the reader stopped on signal %(signal)s")
        params = {"signal": signal.Signals(-returncode).name}
    else:
        errors = (folder / ERRORS_FILE).read_text(encoding="utf-8", errors="replace")
        last = errors.strip().splitlines()[-1:] or ["no message"]
        reason = N_("the reader stopped with status %(status)s: %(error)s")
        params = {"status": returncode, "error": last[0][:300]}
    return Reading(Outcome.FAILED, None, reason, seconds, None, params)
