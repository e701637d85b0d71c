"""Facts about the training data that lint rules can judge: shapes, ranges, labels and classes.

The Keras side loads the data; this module condenses it into plain numbers (with NumPy, never
TensorFlow), so data-aware rules stay as simple and TensorFlow-free as the others.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # NumPy is imported where data is described, not by every lint run
    import numpy as np

LabelKind = Literal["integer", "one_hot", "binary", "multilabel", "real"]

# Whole labels up to this value are class ids, counted per class. Larger ones are described
# without per-class counts, which would cost memory in proportion to the largest label.
MAX_CLASS_ID = 100_000


@dataclass(frozen=True)
class InputFacts:
    sample_shape: tuple[int, ...]
    minimum: float
    maximum: float
    integer: bool  # integer dtype (token ids, raw pixels)


@dataclass(frozen=True)
class LabelFacts:
    kind: LabelKind
    sample_shape: tuple[int, ...]
    # integer and binary labels: largest + 1 (None past MAX_CLASS_ID); one-hot and multilabel: width
    classes: int | None
    class_counts: tuple[int, ...] | None  # samples per class id, for class labels
    minimum: float
    maximum: float
    class_names: tuple[str, ...] | None = None  # by class id, where the data names its classes (folders, words)


@dataclass(frozen=True)
class DataFacts:
    """What the training split looks like, per model input and output (``''`` for a sequential model's).

    ``sampled``: a streaming source's inputs are described from this many samples read for the
    purpose, not from all of them (None: from all); its labels are always described in full.
    """

    samples: int
    inputs: dict[str, InputFacts]
    labels: dict[str, LabelFacts]
    sampled: int | None = None

    def class_name(self, output: str, index: int) -> str:
        """Class ``index`` of an output's labels, by its name where the data names it: ``'cat'``, or ``3``."""
        names = self.labels[output].class_names if output in self.labels else None
        return repr(names[index]) if names and index < len(names) else str(index)


def describe_inputs(x: np.ndarray) -> InputFacts:
    """An input's sample shape and range (texts and categories, as strings, have no range: 0 to 0)."""
    import numpy as np

    if x.dtype.kind in "OUS":
        return InputFacts(tuple(x.shape[1:]), 0.0, 0.0, False)
    finite = x[np.isfinite(x)] if np.issubdtype(x.dtype, np.floating) else x
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return InputFacts(tuple(x.shape[1:]), low, high, bool(np.issubdtype(x.dtype, np.integer)))


def describe_labels(y: np.ndarray) -> LabelFacts:
    import numpy as np

    shape = tuple(y.shape[1:])
    finite = np.isfinite(y) if np.issubdtype(y.dtype, np.floating) else np.ones(y.shape, dtype=bool)
    values = y[finite]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    whole = bool(finite.all() and np.all(np.mod(values, 1) == 0))
    if shape in ((), (1,)) and whole and low >= 0:
        kind: LabelKind = "binary" if high <= 1 else "integer"
        if high > MAX_CLASS_ID:
            return LabelFacts(kind, shape, None, None, low, high)
        return LabelFacts(kind, shape, int(high) + 1, _class_counts(y.reshape(-1), int(high) + 1), low, high)
    if len(shape) == 1 and whole and low >= 0 and high <= 1:
        rows = y.sum(axis=1)
        if np.all(rows == 1):
            counts = tuple(int(c) for c in y.sum(axis=0))
            return LabelFacts("one_hot", shape, shape[0], counts, low, high)
        return LabelFacts("multilabel", shape, shape[0], None, low, high)
    return LabelFacts("real", shape, None, None, low, high)


def _class_counts(ids: np.ndarray, classes: int) -> tuple[int, ...]:
    """Samples per class id, from the distinct ids (np.bincount would size its work by the largest id)."""
    import numpy as np

    present, counts = np.unique(ids, return_counts=True)
    dense = np.zeros(classes, dtype=np.int64)
    dense[present.astype(np.int64)] = counts
    return tuple(int(c) for c in dense)


def _named(facts: LabelFacts, names: list[str]) -> LabelFacts:
    """Label facts whose classes are named: as many classes as names, though the split lacks some."""
    if facts.class_counts is None or facts.classes is None or facts.classes > len(names):
        return replace(facts, class_names=tuple(names))
    counts = facts.class_counts + (0,) * (len(names) - facts.classes)
    return replace(facts, classes=len(names), class_counts=counts, class_names=tuple(names))


def describe(x: dict[str, np.ndarray], y: dict[str, np.ndarray], *, classes: dict[str, list[str]] | None = None,
             sample: dict[str, np.ndarray] | None = None) -> DataFacts:
    """Facts of the training inputs ``x`` and labels ``y``; inputs in ``sample`` (decoded from a streaming
    source's files) are described from it instead; ``classes`` names the class ids of outputs that have names."""
    samples = len(next(iter(x.values()))) if x else 0
    sample = sample or {}
    inputs = {k: describe_inputs(sample[k] if k in sample else v) for k, v in x.items()}
    labels = {}
    for key, value in y.items():
        facts = describe_labels(value)
        names = (classes or {}).get(key)
        labels[key] = _named(facts, names) if names else facts
    sampled = len(next(iter(sample.values()))) if sample else None
    return DataFacts(samples, inputs, labels, sampled)
