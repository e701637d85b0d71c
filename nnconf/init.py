"""``nnconf init``: a starting config for a task and a data source, that lints clean and trains.

The data decides the model's shape: a known dataset by its published shape, a local ``npz`` or
``csv`` file by reading it (with NumPy, never TensorFlow). Tabular samples get a small MLP, image
samples a small CNN, and the output layer, loss and metrics follow from the task.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nnconf.analysis.data_facts import LabelFacts, describe_labels
from nnconf.config.data import KERAS_DATASETS, SKLEARN_DATASETS

TASKS = ("regression", "binary", "multiclass", "multilabel")
FILE_SOURCES = ("npz", "csv")
# Sources other issues are adding; named here so that asking for one says so, rather than "unknown".
PLANNED_SOURCES = ("images", "text")


class InitError(Exception):
    """The command line asks for something init cannot write; the message says why and what works."""


@dataclass
class DataShape:
    """What the model needs to know of its data.

    Args:
        sample_shape: one sample's shape as stored.
        task: the task the labels suggest.
        width: classes (class labels), labels (multilabel rows) or targets (regression) per sample.
        section: the config's ``data:`` section, as (key, value, comment) lines.
        one_hot: the labels are one-hot rows (categorical rather than sparse crossentropy).
    """

    sample_shape: tuple[int, ...]
    task: str
    width: int
    section: list[tuple[str, str, str]] = field(default_factory=list)
    one_hot: bool = False


# Published shapes of the datasets nnconf loads by name: sample shape, task, classes (or targets).
KNOWN: dict[str, tuple[tuple[int, ...], str, int]] = {
    "sklearn.digits": ((64,), "multiclass", 10), "sklearn.iris": ((4,), "multiclass", 3),
    "sklearn.wine": ((13,), "multiclass", 3), "sklearn.breast_cancer": ((30,), "binary", 2),
    "sklearn.diabetes": ((10,), "regression", 1),
    "keras.mnist": ((28, 28), "multiclass", 10), "keras.fashion_mnist": ((28, 28), "multiclass", 10),
    "keras.cifar10": ((32, 32, 3), "multiclass", 10), "keras.cifar100": ((32, 32, 3), "multiclass", 100),
    "keras.boston_housing": ((13,), "regression", 1),
}
# Sequences of word ids need a vocabulary size and padding init cannot know from the name alone.
NOT_TEMPLATED = {"keras.imdb": "word-id sequences", "keras.reuters": "word-id sequences"}


def describe_source(source: str, *, label: str | None = None, config_dir: Path = Path(".")) -> DataShape:
    """The data shape of ``source``: a dataset name, ``npz:PATH`` or ``csv:PATH``."""
    kind, _, location = source.partition(":")
    if source in KNOWN:
        return _known(source)
    if source in NOT_TEMPLATED:
        raise InitError(f"{source} holds {NOT_TEMPLATED[source]}; init has no template for them yet: start from "
                        f"a tabular source and add an Embedding layer")
    if kind in FILE_SOURCES and location:
        path = Path(location)
        if not path.is_file():
            raise InitError(f"{location}: no such file")
        described = _npz(path) if kind == "npz" else _csv(path, label)
        described.section = [("source", kind, ""), ("path", _relative(path, config_dir), "")] + described.section
        return described
    if kind in PLANNED_SOURCES:
        raise InitError(f"the data source {kind!r} is not supported yet; today's sources: {_known_sources()}")
    raise InitError(f"unknown data source {source!r}; use one of: {_known_sources()}")


def _known_sources() -> str:
    named = [name for name in (*SKLEARN_DATASETS, *KERAS_DATASETS) if name in KNOWN]
    return ", ".join(named + ["npz:PATH", "csv:PATH"])


def _known(source: str) -> DataShape:
    shape, task, width = KNOWN[source]
    section = [("source", source, "downloaded once, then cached" if source.startswith("keras.") else
                "bundled with scikit-learn: no download")]
    if len(shape) > 1:
        section.append(("scale", "255", "8-bit pixels to [0, 1]"))
    elif source == "sklearn.digits":
        section.append(("scale", "16", "pixel values are 0..16"))
    else:
        section.append(("standardize", "true", "zero mean, unit variance per feature (training split statistics)"))
    return DataShape(shape, task, width, section)


def _npz(path: Path) -> DataShape:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = set(arrays.files)
            x_name = "x" if "x" in names else "x_train"
            y_name = "y" if "y" in names else "y_train"
            if x_name not in names or y_name not in names:
                raise InitError(f"{path}: init needs arrays x and y (or x_train and y_train); it has "
                                f"{', '.join(sorted(names)) or 'none'}")
            x, y = arrays[x_name], arrays[y_name]
    except (OSError, ValueError) as problem:
        raise InitError(f"{path}: not a NumPy .npz file nnconf can read ({problem})") from None
    if len(x) == 0 or len(x) != len(y):
        raise InitError(f"{path}: {x_name} and {y_name} need the same number of samples, and at least one")
    described = _from_labels(tuple(x.shape[1:]), describe_labels(y))
    if len(described.sample_shape) > 1 and np.issubdtype(x.dtype, np.integer) and 1 < x.max() <= 255:
        described.section.append(("scale", "255", "8-bit pixels to [0, 1]"))
    elif len(described.sample_shape) == 1:
        described.section.append(("standardize", "true", "zero mean, unit variance per feature"))
    return described


def _csv(path: Path, label: str | None) -> DataShape:
    import numpy as np

    try:
        text = path.read_bytes().decode("utf-8-sig")
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as problem:
        raise InitError(f"{path}: not a UTF-8 CSV file nnconf can read ({problem})") from None
    if len(rows) < 2:
        raise InitError(f"{path}: init needs a header row and at least one sample")
    header = [name.strip() for name in rows[0]]
    label = label or header[-1]
    if label not in header:
        raise InitError(f"{path} has no column {label!r}; its columns are {', '.join(header)}")
    try:
        y = np.array([float(row[header.index(label)]) for row in rows[1:]])
    except (ValueError, IndexError):
        raise InitError(f"{path}: the label column {label!r} must hold numbers") from None
    described = _from_labels((len(header) - 1,), describe_labels(y))
    described.section += [("label", label, ""), ("standardize", "true", "zero mean, unit variance per feature")]
    return described


def _from_labels(sample_shape: tuple[int, ...], labels: LabelFacts) -> DataShape:
    if labels.kind == "binary":
        return DataShape(sample_shape, "binary", 2)
    if labels.kind == "integer" and labels.classes is not None:
        return DataShape(sample_shape, "multiclass", labels.classes)
    if labels.kind == "one_hot":
        return DataShape(sample_shape, "multiclass", labels.classes, one_hot=True)
    if labels.kind == "multilabel":
        return DataShape(sample_shape, "multilabel", labels.classes)
    return DataShape(sample_shape, "regression", labels.sample_shape[0] if labels.sample_shape else 1)


def _relative(path: Path, config_dir: Path) -> str:
    """The data file as the config names it: relative to the config's folder."""
    return Path(os.path.relpath(path.resolve(), config_dir.resolve())).as_posix()


# --- the config -----------------------------------------------------------------------------------


def starting_config(data: DataShape, *, task: str | None = None, name: str = "model", command: str = "") -> str:
    """The YAML text of a starting config for ``data`` (and ``task``, if not the one its labels suggest)."""
    task = task or data.task
    _check_task(task, data)
    image = len(data.sample_shape) in (2, 3)
    if len(data.sample_shape) > 3:
        raise InitError(f"samples of shape {list(data.sample_shape)}: init writes models for tabular data "
                        "(one axis) and images (two or three axes)")
    input_shape = list(data.sample_shape) + ([1] if len(data.sample_shape) == 2 else [])
    section = list(data.section)
    if len(data.sample_shape) == 2:
        section.append(("reshape", "true", "add the channel axis the convolutions need"))
    lines = [f"# Written by `nnconf init{command}`: a starting point to edit.",
             f"# Check it with `nnconf lint`, see its shapes with `nnconf summary`, train it with `nnconf train`.",
             f"name: {name}", f"task: {task}", "seed: 42", "model:", f"  input_shape: {_flow(input_shape)}",
             "  layers:"]
    lines += [f"    - {layer}" for layer in (_cnn() if image else _mlp())]
    lines += [f"    - {_output(task, data)}"]
    loss, metrics, why = _loss_and_metrics(task, data)
    lines += [f"loss: {loss}" + (f"  # {why}" if why else ""), "optimizer: {name: adam, learning_rate: 1e-3}",
              f"metrics: {metrics}", "data:"]
    lines += [f"  {key}: {value}" + (f"  # {comment}" if comment else "") for key, value, comment in section]
    lines += ["training:", "  epochs: 30", "  batch_size: 32", "  early_stopping: {monitor: val_loss, patience: 5}"]
    return "\n".join(lines) + "\n"


def _check_task(task: str, data: DataShape) -> None:
    fits = {
        "regression": True,
        "binary": data.task == "binary",
        "multiclass": data.task in ("binary", "multiclass"),
        "multilabel": data.task == "multilabel",
    }
    if not fits[task]:
        found = {"regression": "real-valued targets", "binary": "two classes", "multilabel": "rows of 0/1 labels",
                 "multiclass": f"{data.width} classes"}[data.task]
        raise InitError(f"the labels are {found}, which a {task} task cannot learn; leave out --task to get "
                        f"a {data.task} config")


def _mlp() -> list[str]:
    return ["{type: Dense, units: 64, activation: relu, kernel_initializer: he_normal}",
            "{type: Dropout, rate: 0.1}",
            "{type: Dense, units: 64, activation: relu, kernel_initializer: he_normal}"]


def _cnn() -> list[str]:
    convolution = "{type: Conv2D, filters: %d, kernel_size: 3, padding: same, activation: relu, kernel_initializer: he_normal}"
    return [convolution % 32, "{type: MaxPooling2D, pool_size: 2}", convolution % 64,
            "{type: MaxPooling2D, pool_size: 2}", "{type: GlobalAveragePooling2D}",
            "{type: Dense, units: 64, activation: relu, kernel_initializer: he_normal}"]


def _output(task: str, data: DataShape) -> str:
    if task == "binary" or task == "regression" and data.task != "regression":
        units = 1  # one probability, or one real target (class ids read as numbers)
    else:
        units = data.width
    what = {"binary": "one logit", "multiclass": "one logit per class", "multilabel": "one logit per label",
            "regression": "the prediction, unbounded"}[task]
    return f"{{type: Dense, units: {units}}}  # {what}"


def _loss_and_metrics(task: str, data: DataShape) -> tuple[str, str, str]:
    if task == "regression":
        return "mse", "[mae]", ""
    if task == "multiclass":
        loss = "categorical_crossentropy" if data.one_hot else "sparse_categorical_crossentropy"
        return f"{{name: {loss}, from_logits: true}}", "[accuracy]", "the output is logits"
    metrics = "[{name: binary_accuracy, threshold: 0.0}" + (", {name: auc, from_logits: true}]" if task == "binary"
                                                             else "]")
    return "{name: binary_crossentropy, from_logits: true}", metrics, "the output is logits (0 is probability 0.5)"


def _flow(values: list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def default_name(source: str) -> str:
    """A model (and file) name from the data source: ``iris`` for sklearn.iris, the stem of a file."""
    kind, _, location = source.partition(":")
    base = Path(location).stem if kind in FILE_SOURCES and location else source.rpartition(".")[2]
    name = re.sub(r"[^A-Za-z0-9_.\-]", "-", base).strip("-.") or "model"
    return name if re.match(r"^[A-Za-z0-9_]", name) else f"model-{name}"
