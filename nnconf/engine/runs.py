"""Run directories: one per run, never overwritten, every file written whole or not at all.

Layout::

    runs/<name>/<YYYYmmdd-HHMMSS>[-N]/
        config.yaml          the resolved config the run used
        description.json     versions, command line, seed, device, git commit
        preprocessing.json   what new inputs need to be prepared like the training data
        state.json           status (running, interrupted, diverged, failed, finished), epochs done, best value
        .lock                held (an OS lock) by the one process writing the run
        history.csv/.json    per-epoch metrics
        checkpoints/         last.keras (model and optimizer state), best.keras
        tensorboard/         TensorBoard logs
        model.keras          the trained model
        metrics.json         final metrics on the test split
        training.png         the training curves
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from nnconf.engine.files import is_temporary, write_atomically

RUNS_ROOT = Path("runs")
LOCK_FILE = ".lock"
_WRITE_PROBE = ".write-test"


class RunDirError(Exception):
    """The run directory cannot be used; the message says why and what to do."""


def safe_name(name: str) -> str:
    """``name`` as one harmless folder name (as a config's ``name:`` must be): letters, digits, '_',
    '.' and '-', starting with neither '.' nor '-', so that it can never climb out of ``runs/``."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", name).lstrip(".-")[:128] or "model"


class RunLock:
    """This process's claim to write a run directory: an OS lock on its ``.lock`` file, which the
    system drops when the process ends, however it ends. The file names the holder's process id,
    and a holder that ends normally removes it."""

    def __init__(self, directory: Path):
        self.directory, self._path = directory, directory / LOCK_FILE
        while True:
            self._handle = self._locked_handle()
            if self._still_the_lock_file():
                break
            os.close(self._handle)  # its holder removed it as it ended: lock the file that replaced it
        os.ftruncate(self._handle, 0)
        os.pwrite(self._handle, f"{os.getpid()}\n".encode(), 0)

    def _locked_handle(self) -> int:
        try:
            handle = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise RunDirError(f"cannot write into the run directory {self.directory}: {error.strerror or error}") \
                from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise RunDirError(f"{self.directory} is being written by process {holder}; a run has one writer at a "
                              "time (wait for that process to end, or stop it, then --resume the run)") from None
        except OSError as error:  # a file system without locks
            os.close(handle)
            raise RunDirError(f"cannot lock the run directory {self.directory}: {error.strerror or error}") from None
        return handle

    def _still_the_lock_file(self) -> bool:
        try:
            named, held = os.stat(self._path), os.fstat(self._handle)
        except FileNotFoundError:
            return False
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)  # first: whoever locks after this locks a new file
            os.close(self._handle)  # closing drops the lock
            self._handle = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def create_run_dir(name: str, requested: str | Path | None = None, root: Path = RUNS_ROOT) -> RunLock:
    """A new, empty, writable directory for a run, locked for this process (its ``directory``).

    ``mkdir`` either creates it or fails, so two runs started at once can never share one; a
    requested directory must be empty, or hold no more than a run killed while creating it left.
    """
    if requested is not None:
        directory = Path(requested)
        _refuse_if_used(directory)
        _make(directory, exist_ok=True)
        lock = RunLock(directory)
        try:
            _refuse_if_used(directory)  # again, now that no other run can be starting in it
        except RunDirError:
            lock.release()
            raise
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for attempt in range(1, 1000):
            directory = root / safe_name(name) / (stamp if attempt == 1 else f"{stamp}-{attempt}")
            try:
                _make(directory, exist_ok=False)
                break
            except FileExistsError:
                continue
        else:
            raise RunDirError(f"could not find a free run directory under {root / safe_name(name)}")
        lock = RunLock(directory)
    try:
        check_writable(directory)
        (directory / "checkpoints").mkdir(exist_ok=True)
    except BaseException:
        lock.release()
        raise
    return lock


def _refuse_if_used(directory: Path) -> None:
    try:
        used = directory.exists() and (not directory.is_dir() or not _holds_nothing(directory))
    except OSError as error:  # a name too long, a folder that cannot be read
        raise RunDirError(f"cannot create the run directory {directory}: {error.strerror or error}") from None
    if used:
        raise RunDirError(f"{directory} already exists and is not empty; a run never overwrites another "
                          "(choose a new --run-dir, or --resume it)")


def _holds_nothing(directory: Path) -> bool:
    """Empty, or holding only what a run killed while creating its directory leaves behind."""
    for path in directory.iterdir():
        leftover = path.name in (LOCK_FILE, _WRITE_PROBE) or is_temporary(path) or \
            (path.name == "checkpoints" and path.is_dir() and not any(path.iterdir()))
        if not leftover:
            return False
    return True


def remove_temporaries(directory: Path) -> list[Path]:
    """Removes the temporary files that writers killed mid-write left in a run directory; only its
    lock holder may call this, since no other process can then be writing them."""
    removed = []
    for folder in (directory, directory / "checkpoints"):
        for path in folder.glob(".*") if folder.is_dir() else ():
            if (is_temporary(path) or path.name == _WRITE_PROBE) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


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
    probe = directory / _WRITE_PROBE
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
