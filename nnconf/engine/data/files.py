"""Paths of data files: resolved against the config's folder, and refused unless they are regular files."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from nnconf.engine.data.errors import Where, quoted


def resolve(text: str, base_dir: Path, where: Where) -> Path:
    path = Path(os.path.expanduser(text))
    relative = not path.is_absolute()
    if relative:
        path = base_dir / path
    check_file(path, where, ("data", "path"), "data file",
               missing_hint="relative paths are read from the config's folder" if relative else None)
    return path


def check_file(path: Path, where: Where, at: tuple, what: str, missing_hint: str | None = None) -> None:
    """Refuse anything but a non-empty regular file, saying what it is instead, without opening it
    (opening a named pipe waits for a writer; a device or a /proc file never ends)."""
    shown = quoted(path)
    try:
        info = path.stat()
    except OSError as error:
        raise where.error(at, unreachable(path, what, error),
                          hint=missing_hint if error.errno == errno.ENOENT else None) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise where.error(at, f"the {what} {shown} is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise where.error(at, f"the {what} {shown} is {_special_kind(mode)}, not a regular file",
                          hint="give the path of a data file saved on disk")
    system = system_folder(path)
    if system:
        raise where.error(at, f"the {what} {shown} is under {system}, where the operating system shows its own "
                          "state as files, not a data file", hint="give the path of a data file saved on disk")
    if info.st_size == 0:
        raise where.error(at, f"the {what} {shown} is empty")


# Folders whose files are made up by the kernel as they are read: their sizes say 0, and some never end.
SYSTEM_FOLDERS = ("/proc", "/sys")


def system_folder(path: Path) -> str | None:
    """The folder of ``SYSTEM_FOLDERS`` that ``path`` is in (its links followed), if any."""
    return next((root for root in SYSTEM_FOLDERS if os.path.realpath(path).startswith(root + os.sep)), None)


def unreachable(path: Path, what: str, error: OSError) -> str:
    """Why ``path`` cannot be looked at, in words (from the error number, not the OS's message)."""
    shown = quoted(path)
    if error.errno == errno.ENOENT:
        missing = next((folder for folder in reversed(path.parents) if not os.path.lexists(folder)), None)
        if missing is not None:
            return f"the {what} {shown} does not exist: there is no folder {quoted(missing)}"
        return f"the {what} {shown} does not exist"
    if error.errno == errno.ENAMETOOLONG:
        return (f"the {what} path {shown} is too long for the file system (a file or folder name may usually "
                "have at most 255 bytes, a whole path 4096)")
    if error.errno == errno.ENOTDIR:
        return f"the {what} {shown} cannot exist: a part of its path before the last is a file, not a folder"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"the {what} {shown} cannot be opened: permission denied"
    if error.errno == errno.ELOOP:
        return f"the {what} {shown} cannot be opened: its symbolic links point in a circle"
    return f"the {what} {shown} cannot be opened ({os.strerror(error.errno or 0)})"


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
