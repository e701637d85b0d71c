"""TensorFlow's start without its C++ start-up chatter.

``TF_CPP_MIN_LOG_LEVEL`` (2 unless the user set it) silences TensorFlow's INFO and WARNING lines, but
TensorFlow 2.19 and later print some before their logging reads it: while their libraries load
(oneDNN and CPU-instruction notes, "Could not find cuda drivers on your machine"), and on a machine
without an NVIDIA driver their first look for devices logs "failed call to cuInit" as an error.
Hiding CUDA (``CUDA_VISIBLE_DEVICES=-1``) does not stop that call: TensorFlow 2.21 makes it anyway.

So the first ``import tensorflow`` (whoever asks for it: nnconf, Keras) runs, together with that
first look for devices, with the process's stderr captured; what was written then is written out
again without the lines ``TF_CPP_MIN_LOG_LEVEL`` would have hidden, and, where the machine has no
NVIDIA driver (so no GPU can be in use), without TensorFlow's CUDA errors. Every other line is kept:
a GPU user sees every CUDA error, and Python's own warnings go straight through.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile
from typing import Iterator

# absl's format: severity, date, time, thread, file:line] message
_LOG_LINE = re.compile(rb"^([IWEF])\d{4} [\d:.]+ +\d+ [^\]\s]+\] ")
_SEVERITIES = b"IWEF"
_ABSL_NOTE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_CUDA = re.compile(rb"cuInit|CUDA|cuda|cuDNN|cuBLAS|cuFFT")
_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")  # Linux; WSL


def install() -> None:
    """Makes the process's first ``import tensorflow`` a quiet one (once; idempotent)."""
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietStart) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietStart())


def kept_lines(text: bytes, *, min_level: int, driver_present: bool) -> bytes:
    """``text`` (what TensorFlow's start wrote to stderr) without what should not have been shown.

    Args:
        text: the captured bytes.
        min_level: ``TF_CPP_MIN_LOG_LEVEL``: log lines below it (0 INFO, 1 WARNING, 2 ERROR) go.
        driver_present: whether the machine has an NVIDIA driver; without one, CUDA lines go too
            (unless ``min_level`` is 0: whoever asks for everything gets everything).
    """
    kept: list[bytes] = []
    dropping = False  # a dropped message takes its continuation lines with it
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            level = _SEVERITIES.index(match.group(1))
            cuda_noise = min_level > 0 and not driver_present and level < 3 and bool(_CUDA.search(line))
            dropping = level < min_level or cuda_noise
        elif line.rstrip(b"\r\n") == _ABSL_NOTE:
            dropping = min_level > 0
            if dropping:
                continue
        if not dropping:
            kept.append(line)
    return b"".join(kept)


class _QuietStart(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, run with stderr filtered; it hands the module back to that loader."""

    def __init__(self, loader, finder: _QuietStart):
        self._loader, self._finder = loader, finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self._finder)  # one start is all there is
        try:
            with _filtered_stderr():
                self._loader.exec_module(module)
                module.config.list_physical_devices()  # where TensorFlow first looks for CUDA
        finally:
            module.__loader__ = module.__spec__.loader = self._loader

    def __getattr__(self, name):  # resource readers and the like: the real loader's
        return getattr(self._loader, name)


@contextlib.contextmanager
def _filtered_stderr() -> Iterator[None]:
    """File descriptor 2 into a temporary file, and what it caught written out again filtered;
    Python's ``sys.stderr`` (when it is file descriptor 2) meanwhile writes straight through."""
    try:
        sys.stderr.flush()
        python_writes_to_fd_2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # no stderr, or one that is no file (e.g. captured)
        python_writes_to_fd_2 = False
    saved = os.dup(2)
    python_stderr = sys.stderr
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        if python_writes_to_fd_2:
            sys.stderr = open(saved, "w", encoding=python_stderr.encoding, errors=python_stderr.errors,
                              closefd=False, buffering=1)
        try:
            yield
        finally:
            if python_writes_to_fd_2:
                sys.stderr.close()
                sys.stderr = python_stderr
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            _write_all(2, kept_lines(captured.read(), min_level=_min_level(), driver_present=nvidia_driver_present()))


def _min_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def nvidia_driver_present() -> bool:
    """Whether this machine has an NVIDIA driver: without one, TensorFlow can use no GPU."""
    return any(os.path.exists(path) for path in _DRIVER_FILES)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]
