"""Loading and preparing training data: read the source, check it, split, scale and encode it.

Only NumPy is imported here; scikit-learn, Keras and TensorFlow are imported where they are used,
so checking a config (and importing this module) stays light.

Every problem with the data is a :class:`DataError` raised before training starts, carrying
findings with the code ``NN007`` located at the ``data:`` section of the config.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import importlib
import io
import math
import os
import socket
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnconf import codes
from nnconf.analysis.data_facts import MAX_CLASS_ID, DataFacts, describe
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import SourceMap, format_path
from nnconf.config.suggest import did_you_mean, listing
from nnconf.findings import Finding, Severity, sort_key

if TYPE_CHECKING:
    import tensorflow as tf

    from nnconf.analysis.shapes import Inference

Arrays = dict[str, np.ndarray]

# Seconds a dataset download may stall before it counts as failed (no network fails fast).
DOWNLOAD_TIMEOUT = 20.0

OFFLINE_CONFIGS = "configs/digits.yaml (data.source: sklearn.digits)"

# Whole numbers up to this size are exact as floats (and as int64).
_EXACT_INTEGERS = 2**53


class DataError(Exception):
    """The data cannot be used: each finding (code NN007, severity error) says why and where."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings, key=sort_key)
        super().__init__("\n".join(f.format() for f in self.findings))


@dataclass
class Prepared:
    """The data split, checked and preprocessed for one config's model.

    Inputs are keyed by model input name (``input`` for a sequential model), labels by output name
    (``''`` for a sequential model). A split with no samples is None.
    """

    x_train: Arrays
    y_train: Arrays
    x_val: Arrays | None
    y_val: Arrays | None
    x_test: Arrays | None
    y_test: Arrays | None
    facts: DataFacts
    preprocessing: dict
    output_shapes: dict[str, tuple | None] = field(default_factory=dict)
    source: SourceMap | None = field(default=None, repr=False)


# --- errors --------------------------------------------------------------------------------------


@dataclass
class _Where:
    """Where data findings point: a config path located through the source map (or a data file)."""

    source: SourceMap

    def error(self, path: tuple, message: str, hint: str | None = None) -> DataError:
        file, line, column = self.source.locate(path)
        return DataError([Finding(codes.DATA, message, path=format_path(path), severity=Severity.ERROR, hint=hint,
                                  file=file, line=line, column=column)])


def _file_where(path: Path) -> _Where:
    """Findings about a file given on the command line (not a config) point at the file."""
    return _Where(SourceMap(file=str(path)))


def _data_path(config: Config) -> tuple:
    """The config path that stands for the data itself: its file, or its source."""
    return ("data", "path") if getattr(config.data, "path", None) else ("data", "source")


# --- loading -------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """Arrays as read from a source, keyed by model input and output names."""

    x: Arrays
    y: Arrays
    x_test: Arrays | None = None
    y_test: Arrays | None = None


def load_data(config: Config, inference: Inference, *, base_dir: Path, source: SourceMap | None = None,
              preprocessing: dict | None = None) -> Prepared:
    """Read, check, split and preprocess the training data of ``config``.

    ``preprocessing`` (a run's saved ``preprocessing.json``) prepares the data exactly as the run's
    training data was, instead of with statistics of this data's own training split.

    Raises:
        DataError: when the data is missing, unreadable or unusable, before any training.
    """
    where = _Where(source or SourceMap())
    data = config.data
    if data is None:
        raise where.error(("data",), "the config has no data section, so there is nothing to train on",
                          hint="add e.g. data: {source: sklearn.digits}, or data: {source: npz, path: data.npz}")
    raw = _read(config, inference, Path(base_dir), where)
    _check_raw(raw, where, _data_path(config))
    splits = _split(raw, config, where)
    (x_train, y_train), val, test = splits

    saved = preprocessing
    preprocessing = {"inputs": {}}
    for key in list(x_train):
        plan = saved["inputs"][key] if saved else _plan(config, inference, key, x_train[key], where)
        preprocessing["inputs"][key] = plan
        x_train[key] = _apply(x_train[key], plan, key, where)
        for part in (val, test):
            if part is not None:
                part[0][key] = _apply(part[0][key], plan, key, where)

    return Prepared(
        x_train=x_train, y_train=y_train,
        x_val=val[0] if val else None, y_val=val[1] if val else None,
        x_test=test[0] if test else None, y_test=test[1] if test else None,
        facts=describe(x_train, y_train),
        preprocessing=preprocessing,
        output_shapes={name: (tuple(shape) if shape is not None else None)
                       for name, shape in inference.outputs.items()},
        source=source,
    )


def _read(config: Config, inference: Inference, base_dir: Path, where: _Where) -> _Raw:
    data = config.data
    kind = data.source.split(".", 1)[0]
    if kind == "sklearn":
        x, y = _read_sklearn(data.source.split(".", 1)[1], where)
        return _single(config, inference, where, x, y)
    if kind == "keras":
        return _read_keras(config, inference, base_dir, where)
    path = _resolve(data.path, base_dir, where)
    if kind == "npz":
        return _read_npz(config, inference, path, where)
    x, y = _read_csv(path, data, where)
    return _single(config, inference, where, x, y)


def _resolve(text: str, base_dir: Path, where: _Where) -> Path:
    path = Path(os.path.expanduser(text))
    relative = not path.is_absolute()
    if relative:
        path = base_dir / path
    _check_file(path, where, ("data", "path"), "data file",
                missing_hint="relative paths are read from the config's folder" if relative else None)
    return path


def _check_file(path: Path, where: _Where, at: tuple, what: str, missing_hint: str | None = None) -> None:
    """Refuse anything but a non-empty regular file, saying what it is instead, without opening it
    (opening a named pipe waits for a writer; a device or a /proc file never ends)."""
    shown = _shown(path)
    try:
        info = path.stat()
    except OSError as error:
        raise where.error(at, _unreachable(path, what, error),
                          hint=missing_hint if error.errno == errno.ENOENT else None) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise where.error(at, f"the {what} {shown} is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise where.error(at, f"the {what} {shown} is {_special_kind(mode)}, not a regular file",
                          hint="give the path of a data file saved on disk")
    system = next((root for root in _SYSTEM_FOLDERS if os.path.realpath(path).startswith(root + os.sep)), None)
    if system:
        raise where.error(at, f"the {what} {shown} is under {system}, where the operating system shows its own "
                          "state as files, not a data file", hint="give the path of a data file saved on disk")
    if info.st_size == 0:
        raise where.error(at, f"the {what} {shown} is empty")


# Folders whose files are made up by the kernel as they are read: their sizes say 0, and some never end.
_SYSTEM_FOLDERS = ("/proc", "/sys")


def _unreachable(path: Path, what: str, error: OSError) -> str:
    """Why ``path`` cannot be looked at, in words (from the error number, not the OS's message)."""
    shown = _shown(path)
    if error.errno == errno.ENOENT:
        missing = next((folder for folder in reversed(path.parents) if not os.path.lexists(folder)), None)
        if missing is not None:
            return f"the {what} {shown} does not exist: there is no folder {_shown(missing)}"
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


def _shown(path: Path | str, limit: int = 160) -> str:
    """A path quoted for a message: a very long one by its start and end."""
    text = str(path)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit // 2] + '...' + text[-limit // 4:]!r} ({len(text)} characters)"


def _single(config: Config, inference: Inference, where: _Where, x: np.ndarray, y: np.ndarray,
            x_test: np.ndarray | None = None, y_test: np.ndarray | None = None) -> _Raw:
    """One input array and one label array, for a model with one input and one output."""
    inputs, outputs = list(inference.input_shapes), config.output_names()
    if len(inputs) != 1 or len(outputs) != 1:
        raise where.error(("data", "source"), f"data.source {config.data.source} gives one input array and one "
                          f"label array, but the model has {_count(inputs, 'input')} and {_count(outputs, 'output')}",
                          hint="give an npz file with one array per model input and output, named by them")
    raw = _Raw({inputs[0]: x}, {outputs[0]: y})
    if x_test is not None:
        raw.x_test, raw.y_test = {inputs[0]: x_test}, {outputs[0]: y_test}
    return raw


def _count(names: list[str], what: str) -> str:
    shown = ", ".join(repr(n) for n in names if n)
    return f"{len(names)} {what}{'s' if len(names) != 1 else ''}" + (f" ({shown})" if shown else "")


# --- scikit-learn ---------------------------------------------------------------------------------

_SKLEARN_LOADERS = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine",
                    "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}


def _read_sklearn(name: str, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn import datasets
    except ImportError:
        raise where.error(("data", "source"), f"sklearn.{name} needs scikit-learn, which is not installed",
                          hint="pip install scikit-learn") from None
    x, y = getattr(datasets, _SKLEARN_LOADERS[name])(return_X_y=True)
    return np.asarray(x), np.asarray(y)


# --- Keras datasets -------------------------------------------------------------------------------

_TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_FASHION = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz")
# What each Keras dataset downloads: the file name in Keras's cache folder, and where it comes from.
_KERAS_FILES = {
    "mnist": ("mnist.npz", _TF_DATASETS + "mnist.npz"),
    "fashion_mnist": ("fashion-mnist/ (" + ", ".join(_FASHION) + ")", _TF_DATASETS + "<each file>"),
    "cifar10": ("cifar-10-batches-py-target_archive", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
    "cifar100": ("cifar-100-python-target_archive", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"),
    "boston_housing": ("boston_housing.npz", _TF_DATASETS + "boston_housing.npz"),
    "imdb": ("imdb.npz", _TF_DATASETS + "imdb.npz"),
    "reuters": ("reuters.npz", _TF_DATASETS + "reuters.npz"),
}
_TAKES_PATH = ("mnist", "boston_housing", "imdb", "reuters")  # the datasets whose load_data takes `path`
_SEQUENCES = ("imdb", "reuters")
_KERAS_SEED = 113  # Keras's own shuffling seed, when the config sets none


def _keras_cache() -> str:
    home = os.environ.get("KERAS_HOME")
    return os.path.join(home, "datasets") if home else "~/.keras/datasets"


def _read_keras(config: Config, inference: Inference, base_dir: Path, where: _Where) -> _Raw:
    data = config.data
    name = data.source.split(".", 1)[1]
    file, origin = _KERAS_FILES[name]
    if data.path is not None:
        if name not in _TAKES_PATH:
            raise where.error(("data", "path"), f"{data.source} takes no data.path: Keras reads it only from its "
                              f"cache folder", hint=f"put {file} (from {origin}) into {_keras_cache()}/, "
                              "and leave data.path out")
        return _read_keras_file(config, inference, name, _resolve(data.path, base_dir, where), where)

    module = importlib.import_module(f"keras.datasets.{name}")
    arguments: dict[str, Any] = {}
    if name in ("boston_housing", "reuters"):
        arguments.update(test_split=data.test_split, seed=config.seed if config.seed is not None else _KERAS_SEED)
    if name in _SEQUENCES:
        vocabulary = _vocabulary(config, inference)
        if vocabulary:
            arguments["num_words"] = vocabulary
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data(**arguments)
    except Exception as error:  # no network, a proxy, a broken cache file: all say the same thing
        reason = " ".join(str(error).split()) or type(error).__name__
        path_option = (f", or pass --set data.path=/path/to/{file}" if name in _TAKES_PATH else "")
        raise where.error(
            ("data", "source"),
            f"could not load {data.source}: Keras needs the file {file} from {origin}, and getting it failed "
            f"({reason[:300]})",
            hint=f"without a network, download {origin} elsewhere and put it at {_keras_cache()}/{file}"
                 f"{path_option}; configs that train offline: {OFFLINE_CONFIGS}",
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    if name in _SEQUENCES:
        length = _sequence_length(inference, [x_train, x_test])
        x_train, x_test = _pad(x_train, length), _pad(x_test, length)
    return _single(config, inference, where, np.asarray(x_train), np.asarray(y_train), np.asarray(x_test),
                   np.asarray(y_test))


def _read_keras_file(config: Config, inference: Inference, name: str, path: Path, where: _Where) -> _Raw:
    """A local copy of the file Keras would download, read as Keras reads it."""
    if name in _SEQUENCES:
        arrays = _open_ragged_npz(path, where)
    else:
        arrays = _open_npz(path, where, ("data", "path"))
    wanted = ("x", "y") if name in ("boston_housing", "reuters") else ("x_train", "y_train", "x_test", "y_test")
    _require(arrays, wanted, path, where)
    if name in _SEQUENCES:
        vocabulary = _vocabulary(config, inference)
        sequences = {key: _index_words(arrays[key], vocabulary) for key in wanted if key.startswith("x")}
        length = _sequence_length(inference, list(sequences.values()))
        arrays.update({key: _pad(value, length) for key, value in sequences.items()})
    if "x" in wanted:
        return _single(config, inference, where, arrays["x"], arrays["y"])
    return _single(config, inference, where, arrays["x_train"], arrays["y_train"], arrays["x_test"],
                   arrays["y_test"])


def _open_ragged_npz(path: Path, where: _Where) -> Arrays:
    """The ragged (object) arrays of Keras's imdb.npz and reuters.npz, read without unpickling code."""
    try:
        from keras.src.datasets import npz_utils
    except ImportError:
        raise where.error(("data", "path"), f"this Keras cannot read {path.name} from another folder",
                          hint=f"put it into {_keras_cache()}/ and leave data.path out") from None
    try:
        return dict(npz_utils.load_npz(str(path)))
    except Exception as error:
        raise where.error(("data", "path"), f"{str(path)!r} is not a Keras sequence .npz file ({error})") from None


def _index_words(sequences, vocabulary: int | None) -> list[list[int]]:
    """Keras's defaults: 1 starts each sequence, word ids shift by 3, ids past the vocabulary become 2."""
    shifted = [[1] + [int(w) + 3 for w in seq] for seq in sequences]
    if vocabulary:
        shifted = [[w if w < vocabulary else 2 for w in seq] for seq in shifted]
    return shifted


def _vocabulary(config: Config, inference: Inference) -> int | None:
    """The input_dim of the Embedding that takes the (one) model input, if any."""
    for key in inference.input_shapes:
        layer = _token_layer(config, key)
        if layer is not None:
            return layer.input_dim
    return None


def _sequence_length(inference: Inference, parts: list) -> int:
    shape = next(iter(inference.input_shapes.values()))
    if shape and shape[0] is not None:
        return int(shape[0])
    return max((len(seq) for part in parts for seq in part), default=1)


def _pad(sequences, length: int) -> np.ndarray:
    """Like keras.utils.pad_sequences: keep the last ``length`` ids, zeros in front."""
    out = np.zeros((len(sequences), length), dtype=np.int32)
    for row, seq in enumerate(sequences):
        seq = list(seq)[-length:]
        if seq:
            out[row, length - len(seq):] = seq
    return out


# --- npz -----------------------------------------------------------------------------------------


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive's first member, or an empty archive (as np.load)
# Deflate unpacks at most about 1032 bytes from each stored byte: an entry that claims more is damaged.
_DEFLATE_MOST = 1032
_SAVEZ = "save arrays with numpy.savez(path, x=..., y=...)"


def _open_npz(path: Path, where: _Where, at: tuple) -> Arrays:
    """Every array of an .npz file, checked to hold numbers.

    The archive is read member by member rather than with np.load, so that each way a file can be
    damaged gets its own message, and no header's claimed size is allocated before it is checked
    against the bytes really there. Nothing is unpickled.
    """
    shown = _shown(path)
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


def _read_members(archive: zipfile.ZipFile, archive_size: int, file: str, where: _Where, at: tuple) -> Arrays:
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
        _check_dtype(array, label, where, at)
        arrays[name] = array
    return arrays


def _check_entry(info: zipfile.ZipInfo, archive_size: int, label: str, where: _Where, at: tuple) -> None:
    """The sizes the archive's table claims for a member, against what the file can hold."""
    if info.header_offset + info.compress_size > archive_size:
        raise where.error(at, f"{label} is cut short: the archive says it takes {_size(info.compress_size)}, but the "
                          f"file ends before that", hint="save or copy the file again")
    stored = info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size
    deflated = info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > _DEFLATE_MOST * info.compress_size + 64
    if stored or deflated:
        raise where.error(at, f"{label} is damaged: the archive says it unpacks to {_size(info.file_size)} from "
                          f"{_size(info.compress_size)}, which its compression cannot do",
                          hint="save or copy the file again")


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, where: _Where, at: tuple):
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
def _member_errors(label: str, where: _Where, at: tuple):
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


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, where: _Where,
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


def _check_claimed_size(shape: tuple, dtype: np.dtype, data_bytes: int, label: str, where: _Where,
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
                          f"({_size(claimed)}), but only {_size(data_bytes)} of data follow",
                          hint="save or copy the file again")
    if claimed < data_bytes:
        raise where.error(at, f"{label} is damaged: {_size(data_bytes - claimed)} follow its data of shape "
                          f"{list(shape)} of {dtype}", hint="save or copy the file again")


def _size(count: int) -> str:
    """A byte count for people: 48 bytes, 1.5 MiB, 14.6 TiB."""
    if count < 1024:
        return f"{count} byte{'s' if count != 1 else ''}"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024:
            break
    return f"{value:.1f} {unit}"


def _check_dtype(array: np.ndarray, what: str, where: _Where, at: tuple) -> None:
    if array.dtype.kind not in "biuf":
        kind = {"U": "strings", "S": "byte strings", "O": "Python objects", "c": "complex numbers",
                "M": "dates", "m": "time spans", "V": "records"}.get(array.dtype.kind, "non-numbers")
        raise where.error(at, f"{what} holds {kind} (dtype {array.dtype}), but the model needs numbers",
                          hint="convert it to integers or floats before saving")
    if array.ndim == 0:
        raise where.error(at, f"{what} is a single value, not an array of samples")


def _require(arrays: Arrays, names: tuple[str, ...], path: Path, where: _Where) -> None:
    missing = [name for name in names if name not in arrays]
    if missing:
        raise where.error(("data", "path"), f"{path.name} has no array {', '.join(repr(m) for m in missing)}; "
                          f"it has {_arrays_listing(arrays)}", hint=did_you_mean(missing[0], arrays))


def _arrays_listing(arrays: Arrays) -> str:
    return listing(repr(name) for name in arrays) if arrays else "no arrays at all"


def _read_npz(config: Config, inference: Inference, path: Path, where: _Where) -> _Raw:
    """``x``/``y`` or ``x_train``/``y_train`` (+ ``x_test``/``y_test``); or arrays named by input and output."""
    arrays = _open_npz(path, where, ("data", "path"))
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
                              f"it has {_arrays_listing(arrays)}",
                              hint=did_you_mean(names[-1] + suffix, arrays) or
                              "name the arrays x and y, x_train/y_train/x_test/y_test, or by model input and output")
        found[(key, role)] = match

    def pick(role: str, end: str) -> Arrays:
        return {key: arrays[found[(key, r)] + end] for (key, r) in found if r == role}

    raw = _Raw(pick("input", suffix), pick("output", suffix))
    if split:
        tests = [found[k] + "_test" for k in found]
        present = [name for name in tests if name in arrays]
        if present and len(present) != len(tests):
            missing = [name for name in tests if name not in arrays]
            raise where.error(("data", "path"), f"{path.name} has {', '.join(repr(p) for p in present)} but no "
                              f"{', '.join(repr(m) for m in missing)}; it has {_arrays_listing(arrays)}",
                              hint="give every test array, or none (then data.test_split carves a test split)")
        if present:
            raw.x_test, raw.y_test = pick("input", "_test"), pick("output", "_test")
    return raw


# --- CSV -----------------------------------------------------------------------------------------


def _read_csv(path: Path, data, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    at = ("data", "path")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise where.error(at, f"{_shown(path)} cannot be read ({os.strerror(error.errno or 0)})") from None
    if not raw.strip():
        raise where.error(at, f"the data file {str(path)!r} is empty")
    if b"\0" in raw[:8192]:
        raise where.error(at, f"{str(path)!r} is not a CSV file (it holds binary data)",
                          hint="give a text file with a header row and comma-separated numbers")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise where.error(at, f"{str(path)!r} is not a UTF-8 text CSV file ({error.reason} at byte {error.start})",
                          hint="save the table as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=data.delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        rows, lines = [], []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise where.error(at, f"line {reader.line_num} of {path.name} has {len(row)} fields, but the header "
                                  f"has {len(header)}")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise where.error(at, f"{str(path)!r} is not a readable CSV file (line {reader.line_num}: {error})") from None
    positions: dict[str, int] = {}  # column name to index: lookups stay linear in the number of columns
    for position, name in enumerate(header):
        if name in positions:
            raise where.error(at, f"{path.name} has the column {name!r} more than once")
        positions[name] = position

    labels = [data.label] if isinstance(data.label, str) else list(data.label)
    for position, name in enumerate(labels):
        if name not in positions:
            path_of = ("data", "label") if isinstance(data.label, str) else ("data", "label", position)
            raise where.error(path_of, f"{path.name} has no label column {name!r}; its columns are "
                              f"{listing(repr(c) for c in header)}", hint=did_you_mean(name, header))
    label_set = set(labels)
    features = list(data.features) if data.features else [c for c in header if c not in label_set]
    for position, name in enumerate(data.features or []):
        if name not in positions:
            raise where.error(("data", "features", position), f"{path.name} has no feature column {name!r}; its "
                              f"columns are {listing(repr(c) for c in header)}", hint=did_you_mean(name, header))
    if not features:
        raise where.error(("data", "label"), f"{path.name} has no columns left for features besides the labels")
    if not rows:
        raise where.error(at, f"{path.name} has a header but no samples")

    x = _numeric_columns(rows, lines, positions, features, path, where)
    y = _numeric_columns(rows, lines, positions, labels, path, where)
    if isinstance(data.label, str):
        y = y[:, 0]
    if y.size and np.all(np.mod(y, 1) == 0) and np.abs(y).max() <= _EXACT_INTEGERS:
        y = y.astype(np.int64)  # class ids stay integers; larger whole numbers stay floats, as cast they would wrap
    return x, y


def _numeric_columns(rows: list[list[str]], lines: list[int], positions: dict[str, int], columns: list[str],
                     path: Path, where: _Where) -> np.ndarray:
    index = [positions[name] for name in columns]
    cells = [[row[i].strip() for i in index] for row in rows]
    try:
        values = np.array(cells, dtype=np.str_).astype(np.float64)
    except ValueError:
        for line, row in zip(lines, cells):
            for name, cell in zip(columns, row):
                try:
                    float(cell)
                except ValueError:
                    what = "is empty" if not cell else f"holds {cell[:40]!r}, which is not a number"
                    raise where.error(("data", "path"), f"line {line} of {path.name}, column {name!r} {what}",
                                      hint="nnconf reads numeric CSV only: encode categories as numbers, fill in "
                                           "missing values, or leave the column out of data.features") from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        rows_at, cols_at = np.nonzero(bad)
        raise where.error(("data", "path"), f"{path.name} has {int(bad.sum())} NaN or infinite value(s), the first "
                          f"at line {lines[rows_at[0]]}, column {columns[cols_at[0]]!r}",
                          hint="fill in or drop the samples with missing values")
    return values


# --- checks --------------------------------------------------------------------------------------


def _check_raw(raw: _Raw, where: _Where, at: tuple) -> None:
    for split, x, y in (("training", raw.x, raw.y), ("test", raw.x_test, raw.y_test)):
        if x is None:
            continue
        named = [(_display(k, "input", split), v) for k, v in x.items()]
        named += [(_display(k, "labels", split), v) for k, v in y.items()]
        for name, array in named:
            array = np.asarray(array)
            _check_dtype(array, name, where, at)
            _check_finite(array, name, where, at)
            _check_float32_range(array, name, where, at)
        lengths = {name: len(array) for name, array in named}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{name} {count}" for name, count in lengths.items())
            raise where.error(at, f"the {split} inputs and labels have different numbers of samples: {shown}",
                              hint="every input and label array needs one entry per sample")
        if split == "training" and not any(lengths.values()):
            raise where.error(at, "the data has no samples")


def _display(key: str, role: str, split: str) -> str:
    name = f" {key!r}" if key else ""
    return f"the {split} {role}{name}"


def _check_finite(array: np.ndarray, name: str, where: _Where, at: tuple) -> None:
    if array.dtype.kind != "f":
        return
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    nans, count = int(np.isnan(array).sum()), int(bad.sum())
    first = np.argwhere(bad)[0]
    position = f"sample {first[0]}" + (f", position {list(int(i) for i in first[1:])}" if len(first) > 1 else "")
    raise where.error(at, f"{name} has {count} non-finite value(s) ({nans} NaN, {count - nans} infinite), "
                      f"the first at {position}", hint="fill in or drop the samples with missing values")


def _check_float32_range(array: np.ndarray, name: str, where: _Where, at: tuple) -> None:
    """Values past float32's range, which the model computes in: cast, they would become infinite."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4 or not array.size:
        return
    largest, limit = float(np.abs(array).max()), float(np.finfo(np.float32).max)
    if largest > limit:
        raise where.error(at, f"a value of {name} is {_num(largest)}, beyond the largest float32 ({_num(limit)}) that "
                          "the model computes with", hint="scale the values down, or check how the file was made")


# --- splitting -----------------------------------------------------------------------------------


def _take(arrays: Arrays, index: np.ndarray) -> Arrays:
    return {key: np.asarray(value)[index] for key, value in arrays.items()}


def _split(raw: _Raw, config: Config, where: _Where):
    """(train, val, test) as (x, y) pairs; val and test None when empty."""
    data = config.data
    rng = np.random.default_rng(config.seed)
    n = len(next(iter(raw.x.values())))
    order = rng.permutation(n) if data.shuffle else np.arange(n)
    test = None
    if raw.x_test is not None:
        if len(next(iter(raw.x_test.values()))):
            test = (dict(raw.x_test), dict(raw.y_test))
        pool = order
    else:
        n_test = int(round(n * data.test_split))
        pool, test_index = order[:n - n_test], order[n - n_test:]
        if n_test:
            test = (_take(raw.x, test_index), _take(raw.y, test_index))
    n_val = int(round(len(pool) * data.validation_split))
    train_index, val_index = pool[:len(pool) - n_val], pool[len(pool) - n_val:]
    if data.max_samples is not None:
        train_index = train_index[:data.max_samples]
    if len(train_index) == 0:
        raise where.error(("data",), f"no training samples are left of {n}: data.test_split and "
                          "data.validation_split take them all", hint="lower the splits, or use more data")
    val = (_take(raw.x, val_index), _take(raw.y, val_index)) if n_val else None
    return (_take(raw.x, train_index), _take(raw.y, train_index)), val, test


# --- input preprocessing -------------------------------------------------------------------------


def _token_layer(config: Config, key: str):
    """The Embedding layer that takes model input ``key`` directly, if any."""
    if isinstance(config.model, FunctionalModel):
        return next((layer for layer in config.model.layers
                     if layer.type == "Embedding" and key in layer.input_names), None)
    first = config.model.layers[0]
    return first if first.type == "Embedding" else None


def _plan(config: Config, inference: Inference, key: str, x: np.ndarray, where: _Where) -> dict:
    """How input ``key`` is prepared, as JSON-serialisable settings (statistics from ``x``, the training split)."""
    data = config.data
    target = list(inference.input_shapes[key]) if data.reshape else None
    tokens = _token_layer(config, key) is not None and (x.dtype.kind in "biu" or bool(np.all(np.mod(x, 1) == 0)))
    plan = {"dtype": "int32" if tokens else "float32", "reshape": target, "scale": None, "mean": None, "std": None}
    if tokens:
        return plan  # token ids are kept as they are: scaling them would change which word they name
    plan["scale"] = float(data.scale) if data.scale is not None else None
    if data.standardize:
        scaled = _apply(x, plan, key, where).astype(np.float64)
        mean, std = scaled.mean(axis=0), scaled.std(axis=0)
        std[~(std > 0)] = 1.0  # a constant feature is only shifted
        plan["mean"], plan["std"] = mean.tolist(), std.tolist()
    return plan


def _apply(x: np.ndarray, plan: dict, key: str, where: _Where) -> np.ndarray:
    x = np.asarray(x)
    if plan.get("reshape") is not None:
        x = _reshape(x, plan["reshape"], key, where)
    x = x.astype(plan.get("dtype", "float32"), copy=False)
    if plan.get("scale") is not None:
        x = x / np.float32(plan["scale"])
    if plan.get("mean") is not None:
        x = (x - np.asarray(plan["mean"], dtype=np.float32)) / np.asarray(plan["std"], dtype=np.float32)
    return x


def _reshape(x: np.ndarray, target: list, key: str, where: _Where) -> np.ndarray:
    sample = tuple(x.shape[1:])
    if list(sample) == target:
        return x
    size = math.prod(sample)
    known = math.prod(d for d in target if d is not None)
    unknown = sum(d is None for d in target)
    shown = "[" + ", ".join("None" if d is None else str(d) for d in target) + "]"
    name = f"model input {key!r}" if key != "input" else "model input"
    fits = (unknown == 0 and size == known) or (unknown == 1 and known and size % known == 0)
    if not fits:
        reason = (f"{known} values" if unknown == 0 else
                  "several unknown dimensions" if unknown > 1 else f"a multiple of {known} values")
        raise where.error(("data", "reshape"), f"data.reshape cannot reshape a sample of shape {list(sample)} "
                          f"({size} values) to the {name}'s shape {shown} ({reason})",
                          hint="check the model's input shape, or leave data.reshape out")
    return x.reshape((len(x),) + tuple(-1 if d is None else d for d in target))


def prepare_inputs(x: Arrays | np.ndarray, preprocessing: dict, inference: Inference) -> Arrays:
    """New inputs (for predict or evaluate), prepared exactly as the training inputs were.

    ``x`` is one array for a one-input model, or arrays by input name (``x`` stands for the one input).
    """
    where = _Where(SourceMap())
    inputs = list(inference.input_shapes)
    plans = preprocessing.get("inputs", {})
    if isinstance(x, np.ndarray):
        if len(inputs) != 1:
            raise where.error((), f"the model has {_count(inputs, 'input')}, but one array was given",
                              hint="give an array per model input, named by the input")
        x = {inputs[0]: x}
    elif len(inputs) == 1 and inputs[0] not in x and "x" in x:
        x = {inputs[0]: x["x"]}
    missing = [key for key in inputs if key not in x]
    if missing:
        expected = " or ".join(repr(n) for n in (["x"] if len(inputs) == 1 else []) + [missing[0]])
        raise where.error((), f"no array for the model input {missing[0]!r} (expected {expected}); given: "
                          f"{_arrays_listing(x)}", hint=did_you_mean(missing[0], x))
    prepared = {}
    for key in inputs:
        array = np.asarray(x[key])
        _check_dtype(array, f"the input {key!r}", where, ())
        _check_finite(array, f"the input {key!r}", where, ())
        _check_float32_range(array, f"the input {key!r}", where, ())
        prepared[key] = _apply(array, plans.get(key, {"dtype": "float32"}), key, where)
    lengths = {len(v) for v in prepared.values()}
    if len(lengths) > 1:
        raise where.error((), "the inputs have different numbers of samples: " +
                          ", ".join(f"{k!r} {len(v)}" for k, v in prepared.items()))
    return prepared


def load_npz_inputs(path: Path) -> Arrays:
    """The arrays of an .npz file of new inputs: ``x``, or one array per model input name."""
    path = Path(path)
    where = _file_where(path)
    _check_file(path, where, (), "input file")
    arrays = _open_npz(path, where, ())
    if not arrays:
        raise where.error((), f"{path.name} holds no arrays", hint="save the inputs with numpy.savez(path, x=...)")
    return arrays


# --- labels --------------------------------------------------------------------------------------


def encode_labels(config: Config, prepared: Prepared) -> Prepared:
    """Labels encoded for each output's loss (``data.labels: auto``), or as ``data.labels`` forces.

    Integer class ids for sparse losses, one-hot rows (as wide as the output) for categorical ones,
    float columns for binary and regression losses. Raises DataError for labels out of range.
    """
    where = _Where(prepared.source or SourceMap())
    shapes = prepared.output_shapes
    if not shapes:
        from nnconf.analysis.shapes import infer

        shapes = infer(config).outputs
    mode = config.data.labels if config.data is not None else "auto"
    losses = config.losses()
    at = _data_path(config) if config.data is not None else ("data",)

    def encode(split: str, y: Arrays | None) -> Arrays | None:
        if y is None:
            return None
        out = {}
        for name, labels in y.items():
            loss = losses[name]
            shape = tuple(shapes.get(name) or ()) or None
            context = _LabelContext(name, split, loss.canonical, loss.TARGET, getattr(loss, "CROSSENTROPY", False),
                                    shape, where, at)
            out[name] = context.encode(np.asarray(labels), mode)
        return out

    return Prepared(
        x_train=prepared.x_train, y_train=encode("training", prepared.y_train),
        x_val=prepared.x_val, y_val=encode("validation", prepared.y_val),
        x_test=prepared.x_test, y_test=encode("test", prepared.y_test),
        facts=prepared.facts, preprocessing=prepared.preprocessing, output_shapes=dict(shapes),
        source=prepared.source,
    )


@dataclass
class _LabelContext:
    output: str
    split: str
    loss: str
    target: str
    crossentropy: bool
    shape: tuple | None  # the output's shape per sample
    where: _Where
    at: tuple

    @property
    def units(self) -> int | None:
        return self.shape[-1] if self.shape and self.shape[-1] is not None else None

    @property
    def label(self) -> str:
        return f"output {self.output!r}" if self.output else "the output"

    def encode(self, y: np.ndarray, mode: str) -> np.ndarray:
        kind = mode if mode != "auto" else self.target
        if kind == "distribution":
            kind = "one_hot" if self._looks_like_ids(y) else "real"
        if kind == "integer":
            return self.class_ids(y)
        if kind == "one_hot":
            return self.one_hot(y)
        if kind == "binary" and self.crossentropy and y.size and (y.min() < 0 or y.max() > 1):
            raise self.where.error(self.at, f"labels out of range: {self.loss} needs {self.split} labels between 0 "
                                   f"and 1, but they range from {_num(y.min())} to {_num(y.max())}",
                                   hint="for several classes use task multiclass, a softmax output with one unit per "
                                        "class and sparse_categorical_crossentropy")
        return self._fit_shape(y.astype(np.float32))

    def _looks_like_ids(self, y: np.ndarray) -> bool:
        return (y.ndim == 1 or y.shape[1:] == (1,)) and self.units not in (None, 1) and \
            bool(np.all(np.mod(y, 1) == 0))

    def _fit_shape(self, y: np.ndarray) -> np.ndarray:
        shape = self.shape
        if len(y) and shape and None not in shape and y.shape[1:] != shape and y[0].size == math.prod(shape):
            return y.reshape((len(y),) + shape)
        return y

    def class_ids(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows (or probabilities) to the likeliest class
            if self.units is not None and y.shape[1] != self.units:
                raise self.where.error(self.at, f"the {self.split} labels have {y.shape[1]} columns, but {self.label} "
                                       f"has {self.units} units")
            return np.argmax(y, axis=1).astype(np.int32)
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
            raise self.where.error(self.at, f"{self.loss} needs one class id per sample, but the {self.split} labels "
                                   f"have shape {list(y.shape[1:])} per sample")
        flat = y.reshape(len(y))
        if flat.size and not np.all(np.mod(flat, 1) == 0):
            raise self.where.error(self.at, f"{self.loss} needs integer class ids, but the {self.split} labels have "
                                   "fractional values", hint="for real-valued targets use a regression loss")
        self._check_range(flat)  # before any cast: 1e300 cast to an integer is a negative number
        return flat.astype(np.int32)

    def one_hot(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] > 1:
            if self.units is not None and y.shape[1] != self.units:
                raise self.where.error(self.at, f"the {self.split} labels are {y.shape[1]} wide, but {self.label} has "
                                       f"{self.units} units")
            return y.astype(np.float32)
        ids = self.class_ids(y)
        width = self.units if self.units is not None else (int(ids.max()) + 1 if ids.size else 1)
        return np.eye(width, dtype=np.float32)[ids]

    def _check_range(self, ids: np.ndarray) -> None:
        if not ids.size:
            return
        low, high = ids.min(), ids.max()
        units = self.units
        end = units if units is not None else MAX_CLASS_ID + 1  # one past the largest class id allowed
        if low < 0 or high >= end:
            bad = low if low < 0 else high
            count = int(np.sum((ids < 0) | (ids >= end)))
            found = f"the {self.split} labels include {_num(bad)} ({count} sample{'s' if count != 1 else ''})"
            if units is None:
                message = f"labels out of range: class ids run from 0 to {MAX_CLASS_ID}, but {found}"
            else:
                message = (f"labels out of range: {self.label} has {units} units (classes 0 to {units - 1}), but "
                           f"{found}")
            if low < 0:
                hint = "class ids start at 0"
            elif high < MAX_CLASS_ID:
                hint = f"give the output layer {int(high) + 1} units"
            else:
                hint = "labels this large are not class ids: for real-valued targets use a regression loss"
            raise self.where.error(self.at, message, hint=hint)


def _num(value) -> str:
    """A label value as written: 3, 0.25, 3e+10, 1e+300 (never a cast's wrapped-around integer)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"


# --- tf.data -------------------------------------------------------------------------------------


def make_dataset(x: Arrays, y: Arrays | None, *, batch_size: int, shuffle: bool, seed: int | None, cache: bool,
                 prefetch: bool) -> tf.data.Dataset:
    """A tf.data pipeline over in-memory arrays: (cache,) shuffle each epoch, batch, (prefetch).

    A model with one input (or output) gets a plain tensor rather than a dict, as Keras expects.
    """
    import tensorflow as tf

    def structure(arrays: Arrays):
        return next(iter(arrays.values())) if len(arrays) == 1 else dict(arrays)

    elements = structure(x) if y is None else (structure(x), structure(y))
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    if cache:
        dataset = dataset.cache()  # before shuffling, so each epoch is still shuffled anew
    if shuffle:
        samples = len(next(iter(x.values())))
        dataset = dataset.shuffle(max(samples, 1), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset
