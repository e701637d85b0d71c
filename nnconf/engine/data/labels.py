"""Labels encoded as each output's loss takes them: class ids, one-hot rows or float columns."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnconf.analysis.data_facts import MAX_CLASS_ID
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.engine.data.base import Arrays, Prepared
from nnconf.engine.data.errors import Where, data_path, number


def encode_labels(config: Config, prepared: Prepared) -> Prepared:
    """Labels encoded for each output's loss (``data.labels: auto``), or as ``data.labels`` forces.

    Integer class ids for sparse losses, one-hot rows (as wide as the output) for categorical ones,
    float columns for binary and regression losses. Raises DataError for labels out of range.
    """
    where = Where(prepared.source or SourceMap())
    shapes = prepared.output_shapes
    if not shapes:
        from nnconf.analysis.shapes import infer

        shapes = infer(config).outputs
    mode = config.data.labels if config.data is not None else "auto"
    losses = config.losses()
    at = data_path(config) if config.data is not None else ("data",)

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
    where: Where
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
                                   f"and 1, but they range from {number(y.min())} to {number(y.max())}",
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
            found = f"the {self.split} labels include {number(bad)} ({count} sample{'s' if count != 1 else ''})"
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
