"""Where a command writes the file ``-o`` names: a new path, or with ``--force`` a regular file that
it replaces. A device, FIFO, socket, symbolic link or directory at the path is never replaced (the
atomic rename would replace it), and a path that cannot be written is refused in one line before
the command does its work.

No TensorFlow here: ``nnconf schema -o`` writes through this module too.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


class OutputError(Exception):
    """The output path cannot, or must not, be written; the message says why in one line."""


def checked_output(name: str | Path, *, force: bool) -> Path:
    """``name`` as a path the command may write: nothing there yet, or a regular file and ``force``.

    Args:
        name: the path given to ``-o``.
        force: whether an existing regular file may be replaced.

    Raises:
        OutputError: for anything else at the path, an existing file without ``force``, or a
            path whose folder cannot take a new file (missing, not writable, a name too long).
    """
    path = Path(name)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None  # a new file; whether its folder exists is the probe's to find
    except OSError as error:
        raise OutputError(_why_not(path, error)) from None
    if status is not None:
        if not stat.S_ISREG(status.st_mode):
            raise OutputError(f"{path} is {_kind(status.st_mode)}; nnconf writes only to a regular file or a new path")
        if not force:
            raise OutputError(f"{path} already exists; add --force to replace it")
    _probe_folder(path)
    return path


def write_output(name: str | Path, write: Callable[[Path], None], *, force: bool) -> None:
    """Checks ``name`` again (something may have appeared there while the command worked), then
    has ``write`` write it atomically (a temporary file beside it, renamed into place).

    Raises:
        OutputError: as ``checked_output``, or when writing fails (e.g. a full disk).
    """
    path = checked_output(name, force=force)
    try:
        write(path)
    except OSError as error:
        raise OutputError(_why_not(path, error)) from None


def _kind(mode: int) -> str:
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "not a regular file")


def _probe_folder(path: Path) -> None:
    """Creates and removes a temporary file where the real one will be written: the one sure test
    that the folder exists and takes new files (permissions, read-only or pseudo file systems)."""
    try:
        # Named as the writers in nnconf.engine.files name theirs, at the longest: a name too long
        # for them is too long here.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp.keras")
    except OSError as error:
        raise OutputError(_why_not(path, error)) from None
    os.close(handle)
    os.unlink(temporary)


def _why_not(path: Path, error: OSError) -> str:
    folder = path.parent
    if error.errno == errno.ENAMETOOLONG:
        return f"{path}: the file name is too long"
    if error.errno == errno.ENOENT and not folder.is_dir():
        return f"cannot write {path}: the folder {folder} does not exist"
    if error.errno == errno.ENOTDIR:
        return f"cannot write {path}: part of the folder {folder} is not a folder"
    if error.errno == errno.ENOENT:  # a folder that exists, but where no file can be made (e.g. in /proc)
        return f"cannot write {path}: the folder {folder} does not take new files"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: the folder {folder} does not take new files ({error.strerror})"
    return f"cannot write {path}: {error.strerror or error}"
