"""Running one measured process: its wall time, CPU time and peak memory, read by the parent."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """A measured process failed; the message says which and shows the end of its output."""


@dataclass
class Process:
    """One finished process: seconds of wall time (start to exit), CPU seconds, peak resident memory."""

    wall: float
    cpu: float
    peak_mb: float
    result: dict = field(default_factory=dict)


def python() -> str:
    return sys.executable


def nnconf_command() -> list[str]:
    """``nnconf`` as users run it: the console script beside this Python, else ``python -m nnconf``."""
    script = Path(sys.executable).parent / "nnconf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnconf"]


def run(argv: list[str], *, log: Path, cwd: Path = ROOT, ok_codes: tuple[int, ...] = (0,),
        result: Path | None = None) -> Process:
    """Runs ``argv`` to its end as a fresh process. Its peak memory is its own maximum resident set
    size, from ``wait4`` (the child alone, not every child so far)."""
    with open(log, "w") as output:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=_environment())
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in ok_codes:
        tail = "".join(Path(log).read_text(errors="replace").splitlines(keepends=True)[-25:])
        raise BenchError(f"{' '.join(argv)} exited with {child.returncode}:\n{tail}")
    data = json.loads(result.read_text()) if result is not None else {}
    return Process(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, data)


def _environment() -> dict[str, str]:
    """This environment, with Python's bytecode cache on: a shell that turns it off would otherwise
    make every measured start compile nnconf from source, which no installed nnconf does."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")
