"""The child process of :mod:`app.previews.sandbox`: set the limits, then read the file.

It reads its order as JSON on stdin, limits itself before importing the reader, runs it and
writes the outcome to ``result.json`` in its folder.
"""

import errno
import importlib
import json
import resource
import sys
import traceback
from pathlib import Path

from app.domain.errors import N_
from app.previews.sandbox import RESULT_FILE, Outcome, Refused


def main() -> int:
    order = json.loads(sys.stdin.read())
    limits = order["limits"]
    cpu = int(limits["cpu_seconds"])
    # The soft limit sends SIGXCPU; the hard one, a second later, kills.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    output = int(limits["output_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    folder = Path(order["folder"])
    module_name, _, function_name = order["reader"].partition(":")
    try:
        reader = getattr(importlib.import_module(module_name), function_name)
        result = reader(Path(order["source"]), folder, **order["options"])
        outcome = {"outcome": Outcome.READY.value, "result": result}
    except Refused as refusal:
        outcome = {
            "outcome": Outcome.REFUSED.value,
            "reason": refusal.message[:500],
            "reason_params": {name: _plain(value) for name, value in refusal.params.items()},
        }
    except OSError as error:
        if error.errno == errno.EFBIG:
            # Python ignores SIGXFSZ: the write that crosses the limit fails instead.
            outcome = {
                "outcome": Outcome.REFUSED.value,
                "reason": N_("reading wrote a file larger than %(mebibytes)s MiB"),
                "reason_params": {"mebibytes": output // 1024**2},
            }
        else:
            outcome = _failure(error)
    except MemoryError:
        outcome = {
            "outcome": Outcome.REFUSED.value,
            "reason": N_("reading needed more than %(mebibytes)s MiB of memory"),
            "reason_params": {"mebibytes": memory // 1024**2},
        }
    except Exception as error:  # noqa: BLE001 - any failure is the outcome to record
        outcome = _failure(error)
    # The peak of this process since it became the reader (a forked parent's pages not counted).
    outcome["peak_memory_bytes"] = _peak_memory()
    (folder / RESULT_FILE).write_text(json.dumps(outcome, allow_nan=False), encoding="utf-8")
    return 0


def _peak_memory() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _failure(error: Exception) -> dict[str, object]:
    traceback.print_exc()
    return {
        "outcome": Outcome.FAILED.value,
        "reason": N_("the reader broke on this file: %(error)s"),
        "reason_params": {"error": f"{type(error).__name__}: {error}"[:500]},
    }


def _plain(value: object) -> object:
    """Return a refusal's parameter as a JSON value: numbers and text stay, the rest is text."""
    return value if isinstance(value, int | float | str) else str(value)


if __name__ == "__main__":
    sys.exit(main())
