"""``data.source: keras.NAME``: one of Keras's downloadable datasets, or a local copy of its file."""

from __future__ import annotations

import importlib
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnconf.config.model import Config
from nnconf.engine.data.base import Arrays, Raw, Request, single
from nnconf.engine.data.errors import Where
from nnconf.engine.data.files import resolve
from nnconf.engine.data.npz import open_npz, require
from nnconf.engine.data.preprocessing import token_layer

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference

# Seconds a dataset download may stall before it counts as failed (no network fails fast).
DOWNLOAD_TIMEOUT = 20.0

OFFLINE_CONFIGS = "configs/digits.yaml (data.source: sklearn.digits)"


def read(request: Request) -> Raw:
    return read_keras(request.config, request.inference, request.base_dir, request.where)


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


def read_keras(config: Config, inference: Inference, base_dir: Path, where: Where) -> Raw:
    data = config.data
    name = data.source.split(".", 1)[1]
    file, origin = _KERAS_FILES[name]
    if data.path is not None:
        if name not in _TAKES_PATH:
            raise where.error(("data", "path"), f"{data.source} takes no data.path: Keras reads it only from its "
                              f"cache folder", hint=f"put {file} (from {origin}) into {_keras_cache()}/, "
                              "and leave data.path out")
        return _read_keras_file(config, inference, name, resolve(data.path, base_dir, where), where)

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
    return single(config, inference, where, np.asarray(x_train), np.asarray(y_train), np.asarray(x_test),
                  np.asarray(y_test))


def _read_keras_file(config: Config, inference: Inference, name: str, path: Path, where: Where) -> Raw:
    """A local copy of the file Keras would download, read as Keras reads it."""
    if name in _SEQUENCES:
        arrays = _open_ragged_npz(path, where)
    else:
        arrays = open_npz(path, where, ("data", "path"))
    wanted = ("x", "y") if name in ("boston_housing", "reuters") else ("x_train", "y_train", "x_test", "y_test")
    require(arrays, wanted, path, where)
    if name in _SEQUENCES:
        vocabulary = _vocabulary(config, inference)
        sequences = {key: _index_words(arrays[key], vocabulary) for key in wanted if key.startswith("x")}
        length = _sequence_length(inference, list(sequences.values()))
        arrays.update({key: _pad(value, length) for key, value in sequences.items()})
    if "x" in wanted:
        return single(config, inference, where, arrays["x"], arrays["y"])
    return single(config, inference, where, arrays["x_train"], arrays["y_train"], arrays["x_test"],
                  arrays["y_test"])


def _open_ragged_npz(path: Path, where: Where) -> Arrays:
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
        layer = token_layer(config, key)
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
