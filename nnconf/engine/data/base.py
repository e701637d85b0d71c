"""What every data source shares: the arrays it reads, the prepared splits, and the one interface.

A source is one module with a function ``read(request) -> Raw``, registered by its ``data.source``
kind in ``SOURCES``; everything after reading (checks, splits, preprocessing, labels) is shared.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnconf.analysis.data_facts import DataFacts
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.engine.data.errors import Where, count_of

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference

Arrays = dict[str, np.ndarray]


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


@dataclass
class Raw:
    """Arrays as read from a source, keyed by model input and output names.

    An input in ``readers`` holds file paths, one per sample, that the tf.data pipeline reads while
    training as its reader settings say (``{"read": "image", "image_size": [h, w], "channels": c}``).
    ``classes`` names the class ids of an output's labels (class folders, label words), in order.
    """

    x: Arrays
    y: Arrays
    x_test: Arrays | None = None
    y_test: Arrays | None = None
    readers: dict[str, dict] = field(default_factory=dict)
    classes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Request:
    """What a source reads for: the config, its model's shapes, the config's folder and where findings point."""

    config: Config
    inference: Inference
    base_dir: Path
    where: Where
    given: Any = None  # samples handed over from Python (data.source: python)


# The modules of nnconf.engine.data that read each kind of data.source (its part before the first dot).
SOURCES = {"sklearn": "sklearn_datasets", "keras": "keras_datasets", "npz": "npz", "csv": "csv_tables",
           "images": "images", "text": "texts", "python": "given"}


def read(request: Request) -> Raw:
    """The arrays of the config's data source, read by the source's own module."""
    kind = request.config.data.source.split(".", 1)[0]
    module = importlib.import_module(f"nnconf.engine.data.{SOURCES[kind]}")
    return module.read(request)


def single_names(config: Config, inference: Inference, where: Where) -> tuple[str, str]:
    """The model's one input and one output name, for a source that gives one input and one label per sample."""
    inputs, outputs = list(inference.input_shapes), config.output_names()
    if len(inputs) != 1 or len(outputs) != 1:
        raise where.error(("data", "source"), f"data.source {config.data.source} gives one input array and one "
                          f"label array, but the model has {count_of(inputs, 'input')} and "
                          f"{count_of(outputs, 'output')}",
                          hint="name the arrays by model input and output in an npz file, or use a model with "
                               "one input and one output")
    return inputs[0], outputs[0]


def single(config: Config, inference: Inference, where: Where, x: np.ndarray, y: np.ndarray,
           x_test: np.ndarray | None = None, y_test: np.ndarray | None = None) -> Raw:
    """One input array and one label array, for a model with one input and one output."""
    input_name, output_name = single_names(config, inference, where)
    raw = Raw({input_name: x}, {output_name: y})
    if x_test is not None:
        raw.x_test, raw.y_test = {input_name: x_test}, {output_name: y_test}
    return raw
