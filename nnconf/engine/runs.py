"""Run directories: one per run, never overwritten, every file written whole or not at all.

Layout::

    runs/<name>/<YYYYmmdd-HHMMSS>[-N]/
        config.yaml          the resolved config the run used
        description.json     versions, command line, seed, device, git commit
        preprocessing.json   what new inputs need to be prepared like the training data
        state.json           status (running, interrupted, diverged, failed, finished), epochs done, best value
        history.csv/.json    per-epoch metrics
        checkpoints/         last.keras (model and optimizer state), best.keras
        tensorboard/         TensorBoard logs
        model.keras          the trained model
        metrics.json         final metrics on the test split
        training.png         the training curves
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from nnconf.engine.files import write_atomically

RUNS_ROOT = Path("runs")


class RunDirError(Exception):
    """The run directory cannot be used; the message says why and what to do."""


def create_run_dir(name: str, requested: str | Path | None = None, root: Path = RUNS_ROOT) -> Path:
    """A new, empty, writable directory for a run. ``mkdir`` either creates it or fails, so two runs
    started at once can never share one."""
    if requested is not None:
        directory = Path(requested)
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise RunDirError(f"{directory} already exists and is not empty; a run never overwrites another "
                              "(choose a new --run-dir, or --resume it)")
        _make(directory, exist_ok=True)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for attempt in range(1, 1000):
            directory = root / name / (stamp if attempt == 1 else f"{stamp}-{attempt}")
            try:
                _make(directory, exist_ok=False)
                break
            except FileExistsError:
                continue
        else:
            raise RunDirError(f"could not find a free run directory under {root / name}")
    check_writable(directory)
    (directory / "checkpoints").mkdir(exist_ok=True)
    return directory


def _make(directory: Path, *, exist_ok: bool) -> None:
    """Creates ``directory``; FileExistsError (only without ``exist_ok``) means: pick another name."""
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"cannot create the run directory {directory}: {error.strerror or error}") from None
    try:
        directory.mkdir(exist_ok=exist_ok)
    except FileExistsError:
        if not exist_ok:
            raise
        raise RunDirError(f"cannot create the run directory {directory}: a file is in the way") from None
    except OSError as error:
        raise RunDirError(f"cannot create the run directory {directory}: {error.strerror or error}") from None


def check_writable(directory: Path) -> None:
    """Fails now, with a clear message, rather than after hours of training."""
    probe = directory / ".write-test"
    try:
        write_atomically(probe, "ok\n" * 1024)
        probe.unlink()
    except OSError as error:
        raise RunDirError(f"cannot write into the run directory {directory}: {error.strerror or error}") from None


def write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=2, default=_plain) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def description(*, seed: int | None, device: str, argv: list[str] | None = None) -> dict:
    """What someone needs to know to trust and reproduce the run."""
    import keras
    import numpy
    import tensorflow

    from nnconf import __version__

    return {
        "nnconf": __version__,
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": argv if argv is not None else sys.argv,
        "working_directory": os.getcwd(),
        "seed": seed,
        "device": device,
        "git_commit": _git_commit(),
        "started": datetime.now().isoformat(timespec="seconds"),
    }


def _git_commit() -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
