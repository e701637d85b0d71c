"""``data.source: npz``: NumPy arrays in an ``.npz`` archive, read member by member, never unpickled."""

from __future__ import annotations

import contextlib
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnconf.config.model import Config, FunctionalModel
from nnconf.config.suggest import did_you_mean
from nnconf.engine.data.base import Arrays, Raw, Request
from nnconf.engine.data.checks import arrays_listing, check_dtype
from nnconf.engine.data.errors import Where, byte_size, file_where, quoted
from nnconf.engine.data.files import check_file, resolve

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference


def read(request: Request) -> Raw:
    path = resolve(request.config.data.path, request.base_dir, request.where)
    return read_npz(request.config, request.inference, path, request.where)


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive's first member, or an empty archive (as np.load)
# Deflate unpacks at most about 1032 bytes from each stored byte: an entry that claims more is damaged.
_DEFLATE_MOST = 1032
_SAVEZ = "save arrays with numpy.savez(path, x=..., y=...)"


def open_npz(path: Path, where: Where, at: tuple) -> Arrays:
    """Every array of an .npz file, checked to hold numbers.

    The archive is read member by member rather than with np.load, so that each way a file can be
    damaged gets its own message, and no header's claimed size is allocated before it is checked
    against the bytes really there. Nothing is unpickled.
    """
    shown = quoted(path)
    try:
        with open(path, "rb") as stream:
            start = stream.read(512)
            if start.startswith(_NPY_MAGIC):
                raise where.error(at, f"{shown} holds a single .npy array, not an .npz archive of named arrays",
                                  hint=_SAVEZ)
            if not start.startswith(_ZIP_MAGIC):
                text = _is_text(start)
                raise where.error(at, f"{shown} is not an .npz file: it is not a zip archive"
                                  + (" but text" if text else ""),
                                  hint=("for a CSV table use data.source: csv; " if text else "") + _SAVEZ)
            size = os.fstat(stream.fileno()).st_size
            stream.seek(0)
            try:
                archive = zipfile.ZipFile(stream)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                raise where.error(at, f"{shown} is a damaged .npz file: it starts as a zip archive, but the table of "
                                  "its arrays (at the end of the file) is missing or broken, as when a file is cut "
                                  "short", hint="save or copy the file again") from None
            with archive:
                return _read_members(archive, size, path.name, where, at)
    except OSError as error:
        raise where.error(at, f"{shown} cannot be read ({os.strerror(error.errno or 0)})") from None


def _is_text(start: bytes) -> bool:
    try:
        start.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in start


def _read_members(archive: zipfile.ZipFile, archive_size: int, file: str, where: Where, at: tuple) -> Arrays:
    arrays = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename.removesuffix(".npy")  # the names np.load gives
        label = f"the array {name!r} in {file}"
        _check_entry(info, archive_size, label, where, at)
        shape, dtype, data_bytes = _member_header(archive, info, label, where, at)
        _check_claimed_size(shape, dtype, data_bytes, label, where, at)
        with _member_errors(label, where, at):
            with _open_member(archive, info, label, where, at) as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
        check_dtype(array, label, where, at)
        arrays[name] = array
    return arrays


def _check_entry(info: zipfile.ZipInfo, archive_size: int, label: str, where: Where, at: tuple) -> None:
    """The sizes the archive's table claims for a member, against what the file can hold."""
    if info.header_offset + info.compress_size > archive_size:
        raise where.error(at, f"{label} is cut short: the archive says it takes {byte_size(info.compress_size)}, but "
                          f"the file ends before that", hint="save or copy the file again")
    stored = info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size
    deflated = info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > _DEFLATE_MOST * info.compress_size + 64
    if stored or deflated:
        raise where.error(at, f"{label} is damaged: the archive says it unpacks to {byte_size(info.file_size)} from "
                          f"{byte_size(info.compress_size)}, which its compression cannot do",
                          hint="save or copy the file again")


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, where: Where, at: tuple):
    try:
        return archive.open(info)
    except NotImplementedError:  # before RuntimeError, which it is a kind of
        raise where.error(at, f"{label} is compressed in a way Python's zipfile cannot unpack",
                          hint="save with numpy.savez or numpy.savez_compressed") from None
    except RuntimeError:  # what zipfile raises for an encrypted member
        raise where.error(at, f"{label} is encrypted", hint="save the arrays without a password") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise where.error(at, f"{label} is damaged: its entry in the zip archive is broken",
                          hint="save or copy the file again") from None


@contextlib.contextmanager
def _member_errors(label: str, where: Where, at: tuple):
    """What can go wrong while a member's bytes are read, in words."""
    try:
        yield
    except zipfile.BadZipFile:  # raised when the bytes read do not match the member's CRC-32
        raise where.error(at, f"{label} is damaged: its bytes do not match the checksum stored with them",
                          hint="save or copy the file again") from None
    except zlib.error:
        raise where.error(at, f"{label} is damaged: its compressed bytes cannot be unpacked",
                          hint="save or copy the file again") from None
    except EOFError:
        raise where.error(at, f"{label} is cut short: the file ends inside it", hint="save or copy the file again") \
            from None
    except MemoryError:
        raise where.error(at, f"{label} does not fit into this machine's memory",
                          hint="use a smaller file, or a machine with more memory") from None


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, where: Where,
                   at: tuple) -> tuple[tuple, np.dtype, int]:
    """The shape and dtype an .npy member's header claims, and how many bytes of data follow it."""
    with _member_errors(label, where, at):
        with _open_member(archive, info, label, where, at) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise where.error(at, f"{label} is not a NumPy array: it does not start as an .npy file does",
                                  hint=_SAVEZ) from None
            readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            if version not in readers:  # 3.0 is written only for records with non-Latin-1 field names
                raise where.error(at, f"{label} is in .npy format {version[0]}.{version[1]}, which holds records, "
                                  "but the model needs plain numbers", hint=_SAVEZ)
            try:
                shape, _, dtype = readers[version](member)
            except ValueError:
                raise where.error(at, f"{label} has a damaged .npy header", hint="save or copy the file again") \
                    from None
            return tuple(shape), dtype, info.file_size - member.tell()


def _check_claimed_size(shape: tuple, dtype: np.dtype, data_bytes: int, label: str, where: Where,
                        at: tuple) -> None:
    """A header's shape against the bytes that follow it, before anything that size is allocated."""
    if dtype.hasobject:
        raise where.error(at, f"{label} holds Python objects, not numbers",
                          hint="store numeric arrays (pad ragged sequences to one length first)")
    if any(dimension < 0 for dimension in shape):
        raise where.error(at, f"{label} has a damaged .npy header: its shape {list(shape)} is negative",
                          hint="save or copy the file again")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > data_bytes:
        raise where.error(at, f"{label} is cut short or damaged: its header says shape {list(shape)} of {dtype} "
                          f"({byte_size(claimed)}), but only {byte_size(data_bytes)} of data follow",
                          hint="save or copy the file again")
    if claimed < data_bytes:
        raise where.error(at, f"{label} is damaged: {byte_size(data_bytes - claimed)} follow its data of shape "
                          f"{list(shape)} of {dtype}", hint="save or copy the file again")


def require(arrays: Arrays, names: tuple[str, ...], path: Path, where: Where) -> None:
    missing = [name for name in names if name not in arrays]
    if missing:
        raise where.error(("data", "path"), f"{path.name} has no array {', '.join(repr(m) for m in missing)}; "
                          f"it has {arrays_listing(arrays)}", hint=did_you_mean(missing[0], arrays))


def read_npz(config: Config, inference: Inference, path: Path, where: Where) -> Raw:
    """``x``/``y`` or ``x_train``/``y_train`` (+ ``x_test``/``y_test``); or arrays named by input and output."""
    arrays = open_npz(path, where, ("data", "path"))
    inputs, outputs = list(inference.input_shapes), config.output_names()
    wanted = [(key, "input", (["x"] if len(inputs) == 1 else []) + [key]) for key in inputs]
    wanted += [(key, "output", (["y"] if len(outputs) == 1 else []) + ([key] if key else [])) for key in outputs]
    split = any(name.endswith("_train") for name in arrays)
    suffix = "_train" if split else ""

    found: dict[tuple[str, str], str] = {}
    for key, role, names in wanted:
        match = next((n for n in names if n + suffix in arrays), None)
        if match is None:
            expected = " or ".join(repr(n + suffix) for n in names)
            functional = isinstance(config.model, FunctionalModel)
            label = f"the {role} {key!r}" if functional else f"the model's {'labels' if role == 'output' else role}"
            raise where.error(("data", "path"), f"{path.name} has no array for {label} (expected {expected}); "
                              f"it has {arrays_listing(arrays)}",
                              hint=did_you_mean(names[-1] + suffix, arrays) or
                              "name the arrays x and y, x_train/y_train/x_test/y_test, or by model input and output")
        found[(key, role)] = match

    def pick(role: str, end: str) -> Arrays:
        return {key: arrays[found[(key, r)] + end] for (key, r) in found if r == role}

    raw = Raw(pick("input", suffix), pick("output", suffix))
    if split:
        tests = [found[k] + "_test" for k in found]
        present = [name for name in tests if name in arrays]
        if present and len(present) != len(tests):
            missing = [name for name in tests if name not in arrays]
            raise where.error(("data", "path"), f"{path.name} has {', '.join(repr(p) for p in present)} but no "
                              f"{', '.join(repr(m) for m in missing)}; it has {arrays_listing(arrays)}",
                              hint="give every test array, or none (then data.test_split carves a test split)")
        if present:
            raw.x_test, raw.y_test = pick("input", "_test"), pick("output", "_test")
    return raw


def load_npz_inputs(path: Path) -> Arrays:
    """The arrays of an .npz file of new inputs: ``x``, or one array per model input name."""
    path = Path(path)
    where = file_where(path)
    check_file(path, where, (), "input file")
    arrays = open_npz(path, where, ())
    if not arrays:
        raise where.error((), f"{path.name} holds no arrays", hint="save the inputs with numpy.savez(path, x=...)")
    return arrays
