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
# Every temporary file ends so, and starts with a dot: .<name>.<random>.tmp (.tmp.keras for models).
TEMPORARY_SUFFIX = ".tmp"


def write_bytes_atomically(path: str | Path, data: bytes) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        os.chmod(temporary, _FILE_MODE)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _naming(error, path) from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(model, path: str | Path) -> None:
    """``model.save`` to a temporary .keras file in the same folder, then rename it into place."""
    path = Path(path)
    # A name of its own, so that two writers never share one; Keras needs it to end in .keras.
    handle, name = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.stem}.", suffix=TEMPORARY_SUFFIX + ".keras")
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, _FILE_MODE)
        model.save(temporary)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _naming(error, path) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` naming the file it is about: a failed write (a full disk) says only what went wrong."""
    if error.filename is not None or error.errno is None:
        return error
    return type(error)(error.errno, error.strerror, str(path))


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a temporary file these writers make (and a crash may leave behind)."""
    return path.name.startswith(".") and (path.name.endswith(TEMPORARY_SUFFIX) or
                                          path.name.endswith(TEMPORARY_SUFFIX + ".keras"))
