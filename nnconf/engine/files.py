"""Writing files so that a crash never leaves half of one: write to a temporary file, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, text: str) -> None:
    write_bytes_atomically(path, text.encode())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes files readable by their owner alone; results should be as readable as any file.
_FILE_MODE = 0o666 & ~_umask()


def write_bytes_atomically(path: str | Path, data: bytes) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, _FILE_MODE)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(model, path: str | Path) -> None:
    """``model.save`` to a temporary .keras file in the same folder, then rename it into place."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.tmp.keras")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
