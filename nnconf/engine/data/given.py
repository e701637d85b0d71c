"""``data.source: python``: samples handed over from Python, ``nnconf.train(config, data=...)``.

``(x, y)`` NumPy arrays, or mappings of arrays by model input and output name; a pandas DataFrame,
read as a CSV table is (its columns named by ``data.label``, ``data.features`` or ``data.inputs``);
or a ``tf.data.Dataset`` of ``(x, y)`` samples (or batches of them), read once into arrays so that
it is split, shuffled and resumed exactly as arrays are. A fingerprint of the data is kept with the
run, so that a resumed run can refuse other data than it began with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from nnconf.config.data import string_inputs
from nnconf.config.suggest import did_you_mean, listing
from nnconf.engine.data.base import Arrays, Raw, Request
from nnconf.engine.data.csv_tables import Table, read_columns
from nnconf.engine.data.errors import Where, count_of

AT = ("data",)
FORMS = "(x, y) NumPy arrays (or mappings of them by model input and output name), a pandas DataFrame or a " \
        "tf.data.Dataset of (x, y) samples"


def read(request: Request) -> Raw:
    config, where, given = request.config, request.where, request.given
    if given is None:
        raise where.error(("data", "source"), "data.source python: the samples are handed over from Python, and "
                          "none were given", hint="pass them: nnconf.train(config, data=(x, y)), or "
                                                  "nnconf.resume(run_dir, data=(x, y)) with the run's own data")
    if is_dataframe(given):
        if config.data.label is None:
            raise where.error(AT, "a DataFrame needs data.label, naming its label column(s)",
                              hint="add data: {source: python, label: COLUMN} to the config")
        return read_columns(frame_table(given), config, request.inference, where)
    if is_dataset(given):
        given = dataset_arrays(given, where)
    if not (isinstance(given, tuple) and len(given) == 2):
        raise where.error(AT, f"data= takes {FORMS}, not {_kind(given)}")
    inputs, outputs = list(request.inference.input_shapes), config.output_names()
    raw = Raw(_named(given[0], inputs, "input", where), _named(given[1], outputs, "output", where))
    lengths = {_shown("x", key, given[0]): len(array) if array.ndim else 0 for key, array in raw.x.items()}
    lengths.update({_shown("y", key, given[1]): len(array) if array.ndim else 0 for key, array in raw.y.items()})
    if len(set(lengths.values())) > 1:
        raise where.error(AT, "the arrays given have different numbers of samples: " +
                          ", ".join(f"{name} {count}" for name, count in lengths.items()),
                          hint="every input and label array needs one row per sample, in the same order")
    for key in string_inputs(config) & set(raw.x):
        if raw.x[key].dtype.kind in "OUS":
            raw.readers[key] = {"dtype": "string"}
    return raw


def _shown(role: str, key: str, given: Any) -> str:
    return f"{role}[{key!r}]" if isinstance(given, Mapping) else role


def _kind(value: Any) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return f"a {type(value).__module__}.{type(value).__qualname__}".replace("builtins.", "")


def _named(value: Any, names: list[str], role: str, where: Where) -> Arrays:
    """The arrays of x (``role`` input) or y (output) by model input or output name."""
    shown = {"input": "x", "output": "y"}[role]
    if isinstance(value, Mapping):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise where.error(AT, f"{shown} has an array for {unknown[0]!r}, which is no model {role}; the model's "
                              f"{role}s are {listing(repr(n) for n in names)}", hint=did_you_mean(unknown[0], names))
        missing = [name for name in names if name not in value]
        if missing:
            raise where.error(AT, f"{shown} has no array for the model {role} {missing[0]!r}",
                              hint=f"give {shown} as a mapping with a key per {role}: " +
                                   ", ".join(repr(n) for n in names))
        return {name: _array(value[name], f"{shown}[{name!r}]", where) for name in names}
    if len(names) != 1:
        raise where.error(AT, f"the model has {count_of(names, role)}, so {shown} must be a mapping of arrays by "
                          f"{role} name, not one array")
    return {names[0]: _array(value, shown, where)}


def _array(value: Any, shown: str, where: Where) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise where.error(AT, f"{shown} is not an array ({type(error).__name__}: {str(error)[:120]})",
                          hint="give NumPy arrays, one row per sample, all rows of one shape") from None
    if array.dtype.kind == "O" and array.ndim and any(isinstance(item, (list, tuple, np.ndarray)) for item in
                                                      array.reshape(-1)[:1000]):
        raise where.error(AT, f"{shown} holds rows of different lengths", hint="pad them to one length first")
    return array


def is_dataframe(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (told without importing pandas)."""
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


def is_dataset(value: Any) -> bool:
    """Whether ``value`` is a tf.data.Dataset (told without importing TensorFlow)."""
    return any(kind.__module__.startswith("tensorflow") and kind.__name__ == "DatasetV2" for kind in type(value).__mro__)


def frame_table(frame) -> Table:
    """A DataFrame as the cells of a table: numbers written out exactly (repr), missing values (NaN, None)
    as empty cells, rows named by the frame's index."""
    header = [str(name) for name in frame.columns]
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(name, position)
    cells = np.empty((len(frame), len(header)), dtype=object)
    for position, name in enumerate(frame.columns):
        values = frame[name].to_numpy()
        cells[:, position] = [_cell(value) for value in values.tolist()]
    index = [str(label) for label in frame.index.tolist()]
    return Table("the DataFrame", header, positions, cells, index, row_word="row")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def dataset_arrays(dataset, where: Where) -> tuple:
    """The (x, y) samples of a tf.data.Dataset as arrays (a dataset of batches is unbatched first)."""
    import tensorflow as tf

    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise where.error(AT, "the tf.data.Dataset's elements must be (x, y) pairs",
                          hint="map them to pairs: dataset.map(lambda sample: (sample['x'], sample['y']))")
    leaves = tf.nest.flatten(spec)
    if all(leaf.shape.rank and leaf.shape[0] is None for leaf in leaves):
        dataset = dataset.unbatch()  # batches: every part has an unknown first (batch) dimension
    xs, ys = [], []
    for x, y in dataset.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if not xs:
        raise where.error(AT, "the tf.data.Dataset has no samples")
    return _stacked(xs), _stacked(ys)


def _stacked(samples: list) -> Any:
    if isinstance(samples[0], Mapping):
        return {key: _stacked([sample[key] for sample in samples]) for key in samples[0]}
    array = np.stack(samples)
    return np.char.decode(array.astype(np.bytes_), "utf-8").astype(object) if array.dtype.kind in "OS" else array


def fingerprint(raw: Raw) -> str:
    """A SHA-256 of the arrays' names, types, shapes and values: equal only for the same data."""
    digest = hashlib.sha256()
    for role, arrays in (("x", raw.x), ("y", raw.y)):
        for key in sorted(arrays):
            array = np.asarray(arrays[key])
            digest.update(f"{role}:{key}:{array.dtype.str}:{array.shape}\n".encode())
            if array.dtype.kind == "O":
                for value in array.reshape(-1).tolist():
                    digest.update(str(value).encode() + b"\x1f")
            else:
                digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
