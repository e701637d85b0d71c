"""Checks every source's arrays pass before they are split: numbers, finite, within float32, one length."""

from __future__ import annotations

import numpy as np

from nnconf.config.suggest import listing
from nnconf.engine.data.base import Arrays, Raw
from nnconf.engine.data.errors import Where, number


def check_dtype(array: np.ndarray, what: str, where: Where, at: tuple) -> None:
    if array.dtype.kind not in "biuf":
        kind = {"U": "strings", "S": "byte strings", "O": "Python objects", "c": "complex numbers",
                "M": "dates", "m": "time spans", "V": "records"}.get(array.dtype.kind, "non-numbers")
        raise where.error(at, f"{what} holds {kind} (dtype {array.dtype}), but the model needs numbers",
                          hint="convert it to integers or floats before saving")
    if array.ndim == 0:
        raise where.error(at, f"{what} is a single value, not an array of samples")


def arrays_listing(arrays: Arrays) -> str:
    return listing(repr(name) for name in arrays) if arrays else "no arrays at all"


def check_raw(raw: Raw, where: Where, at: tuple) -> None:
    for split, x, y in (("training", raw.x, raw.y), ("test", raw.x_test, raw.y_test)):
        if x is None:
            continue
        named = [(_display(k, "input", split), v) for k, v in x.items()]
        named += [(_display(k, "labels", split), v) for k, v in y.items()]
        files = {_display(k, "input", split) for k in raw.readers}  # paths: their files are checked by the source
        for name, array in named:
            array = np.asarray(array)
            if name in files:
                continue
            check_dtype(array, name, where, at)
            check_finite(array, name, where, at)
            check_float32_range(array, name, where, at)
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


def check_finite(array: np.ndarray, name: str, where: Where, at: tuple) -> None:
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


def check_float32_range(array: np.ndarray, name: str, where: Where, at: tuple) -> None:
    """Values past float32's range, which the model computes in: cast, they would become infinite."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4 or not array.size:
        return
    largest, limit = float(np.abs(array).max()), float(np.finfo(np.float32).max)
    if largest > limit:
        raise where.error(at, f"a value of {name} is {number(largest)}, beyond the largest float32 ({number(limit)}) "
                          "that the model computes with", hint="scale the values down, or check how the file was made")
