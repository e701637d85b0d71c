"""Folders with one subfolder of files per class (images, texts), listed and checked before training.

The layout is the one ``keras.utils.image_dataset_from_directory`` and ``text_dataset_from_directory``
read: the classes are the subfolders' names in sorted order; each class's files are found in its
subfolder and the folders below it, sorted, by their extension.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnconf.engine.data import samples
from nnconf.engine.data.errors import Where, quoted
from nnconf.engine.data.files import system_folder, unreachable

AT = ("data", "path")


@dataclass
class Listing:
    """The files of a class-folder layout: their paths, and each one's class index into ``classes``."""

    classes: list[str]
    paths: np.ndarray  # of str
    labels: np.ndarray  # of int64


def resolve_folder(text: str, base_dir: Path, where: Where, *, generate: str | None = None) -> Path:
    """The data folder ``text`` names (relative to the config's folder), checked to be a folder; a missing
    one is first written with the sample dataset ``generate``, if the config names one."""
    path = Path(os.path.expanduser(text))
    relative = not path.is_absolute()
    if relative:
        path = base_dir / path
    if generate and not os.path.lexists(path):
        samples.generate(generate, path)
    try:
        mode = path.stat().st_mode
    except OSError as error:
        hint = "relative paths are read from the config's folder" if relative and error.errno == errno.ENOENT else None
        raise where.error(AT, unreachable(path, "data folder", error), hint=hint) from None
    if not stat.S_ISDIR(mode):
        raise where.error(AT, f"the data folder {quoted(path)} is a file, not a folder",
                          hint="give the folder that holds one subfolder per class")
    system = system_folder(path)
    if system:
        raise where.error(AT, f"the data folder {quoted(path)} is under {system}, where the operating system shows "
                          "its own state as files", hint="give the folder that holds one subfolder per class")
    return path


def list_classes(folder: Path, extensions: tuple[str, ...], what: str, where: Where) -> Listing:
    """Every file with one of ``extensions`` (``what`` files) in each class subfolder of ``folder``."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        classes = [entry.name for entry in entries if entry.is_dir()]
    except OSError as error:
        raise where.error(AT, unreachable(folder, "data folder", error)) from None
    layout = f"one subfolder of {what} files per class, named by the class: {folder.name}/cat/1, {folder.name}/dog/2"
    if not classes:
        loose = sum(entry.is_file() for entry in entries)
        found = f"it holds {loose} file{'s' if loose != 1 else ''} but no subfolders" if loose else "it is empty"
        raise where.error(AT, f"the data folder {quoted(folder)} has no class subfolders: {found}",
                          hint=f"put the files into {layout}")
    paths, labels = [], []
    for index, name in enumerate(classes):
        found, others = _files(folder / name, extensions, where)
        if not found:
            kinds = ", ".join(extensions)
            besides = f" (it holds {len(others)} other file{'s' if len(others) != 1 else ''}, e.g. " \
                      f"{quoted(others[0].name)})" if others else ""
            raise where.error(AT, f"the class folder {quoted(folder / name)} has no {what} files{besides}",
                              hint=f"{what} files end in {kinds}; remove the folder, or put the class's files in it")
        paths += [str(path) for path in found]
        labels += [index] * len(found)
    return Listing(classes, np.asarray(paths, dtype=np.str_), np.asarray(labels, dtype=np.int64))


def _files(folder: Path, extensions: tuple[str, ...], where: Where) -> tuple[list[Path], list[Path]]:
    """The files below ``folder`` that end in one of ``extensions`` (case aside), and the others, sorted."""
    chosen, others = [], []

    def refuse(error: OSError) -> None:
        raise where.error(AT, unreachable(Path(error.filename or folder), "class folder", error))

    for root, _, names in sorted(os.walk(folder, onerror=refuse), key=lambda walked: walked[0]):
        for name in sorted(names):
            (chosen if name.lower().endswith(extensions) else others).append(Path(root) / name)
    return chosen, others
