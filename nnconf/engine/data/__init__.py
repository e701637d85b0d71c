"""Loading and preparing training data: read the source, check it, split, scale and encode it.

One module per source (``sklearn_datasets``, ``keras_datasets``, ``npz``, ``csv_tables``, ``images``,
``texts``, ``given`` for data from Python) reads it into arrays behind one interface: a function
``read(request) -> Raw``, registered by its ``data.source`` in ``base.SOURCES`` (a new source is one
module, its schema class in nnconf/config/data.py, and its tests). The steps after reading are shared:
``checks``, ``splits``, ``preprocessing``, ``labels``, ``adapting`` and the tf.data ``pipeline``. A
streaming source (folders of images or texts) gives file paths instead of samples, with the settings
that read them; the pipeline reads them batch by batch, so memory does not grow with the number of
samples. ``folders`` lists class-folder layouts; ``samples`` writes the offline example datasets.

Only NumPy is imported here; scikit-learn, Keras and TensorFlow are imported where they are used,
so checking a config (and importing this package) stays light.

Every problem with the data is a :class:`DataError` raised before training starts, carrying
findings with the code ``NN007`` located at the ``data:`` section of the config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnconf.analysis.data_facts import describe
from nnconf.config.data import PythonData
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.engine.data.adapting import adapt
from nnconf.engine.data.base import Arrays, Prepared, Request, read
from nnconf.engine.data.checks import check_raw
from nnconf.engine.data.errors import DataError, Where, data_path
from nnconf.engine.data.given import fingerprint
from nnconf.engine.data.keras_datasets import DOWNLOAD_TIMEOUT, OFFLINE_CONFIGS
from nnconf.engine.data.labels import encode_labels
from nnconf.engine.data.npz import load_npz_inputs
from nnconf.engine.data.pipeline import READER_KEYS, make_dataset, read_batches, read_sample, readable, valid_reader
from nnconf.engine.data.preprocessing import apply_plan, make_plan, prepare_inputs
from nnconf.engine.data.splits import split

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference

__all__ = ["DOWNLOAD_TIMEOUT", "OFFLINE_CONFIGS", "Arrays", "DataError", "Prepared", "adapt", "encode_labels",
           "load_data",
           "load_npz_inputs", "make_dataset", "prepare_inputs", "READER_KEYS", "read_batches", "readable",
           "valid_reader"]

# Samples of a streaming source read to describe its inputs for the data-aware lint rules.
FACTS_SAMPLE = 256


def load_data(config: Config, inference: Inference, *, base_dir: Path, source: SourceMap | None = None,
              preprocessing: dict | None = None, given: Any = None) -> Prepared:
    """Read, check, split and preprocess the training data of ``config``.

    ``preprocessing`` (a run's saved ``preprocessing.json``) prepares the data exactly as the run's
    training data was, instead of with statistics of this data's own training split. ``given``: the
    samples handed over from Python, for ``data.source: python``.

    Raises:
        DataError: when the data is missing, unreadable or unusable, before any training.
    """
    where = Where(source or SourceMap())
    data = config.data
    if data is None:
        raise where.error(("data",), "the config has no data section, so there is nothing to train on",
                          hint="add e.g. data: {source: sklearn.digits}, or data: {source: npz, path: data.npz}")
    raw = read(Request(config, inference, Path(base_dir), where, given))
    check_raw(raw, where, data_path(config))
    fingerprinted = {"source": "python", "fingerprint": fingerprint(raw)} if data.source == "python" else None
    splits = split(raw, config, where)
    (x_train, y_train), val, test = splits

    saved = preprocessing
    preprocessing = {"inputs": {}}
    for key in list(x_train):
        plan = saved["inputs"][key] if saved else make_plan(config, inference, key, x_train[key], where,
                                                            raw.readers.get(key))
        preprocessing["inputs"][key] = plan
        x_train[key] = apply_plan(x_train[key], plan, key, where)
        for part in (val, test):
            if part is not None:
                part[0][key] = apply_plan(part[0][key], plan, key, where)
    if raw.classes:
        preprocessing["classes"] = raw.classes
    if fingerprinted:
        preprocessing["data"] = fingerprinted
    sample = {key: read_sample(x_train[key], plan, FACTS_SAMPLE, where)
              for key, plan in preprocessing["inputs"].items() if plan.get("read")}

    return Prepared(
        x_train=x_train, y_train=y_train,
        x_val=val[0] if val else None, y_val=val[1] if val else None,
        x_test=test[0] if test else None, y_test=test[1] if test else None,
        facts=describe(x_train, y_train, classes=raw.classes, sample=sample),
        preprocessing=preprocessing,
        output_shapes={name: (tuple(shape) if shape is not None else None)
                       for name, shape in inference.outputs.items()},
        source=source,
    )


def with_given_data(config: Config, given: Any) -> Config:
    """``config`` ready to train on samples handed over from Python: with ``data: {source: python}`` where
    it has no data section. A config that names another source is refused: which one is meant?"""
    if given is None:
        return config
    if config.data is None:
        return config.model_copy(update={"data": PythonData(source="python")})
    if config.data.source != "python":
        raise Where(SourceMap()).error(("data", "source"), f"data was given from Python, but the config reads "
                                       f"data.source {config.data.source}",
                                       hint="set data.source: python (keeping the split settings), or leave data= out")
    return config


def check_same_data(directory: Path, prepared: Prepared) -> None:
    """A resumed run trained on data from Python must be given the same data again (by its fingerprint)."""
    given = prepared.preprocessing.get("data")
    if given is None:
        return
    try:
        saved = json.loads((Path(directory) / "preprocessing.json").read_text()).get("data") or {}
    except (OSError, ValueError, AttributeError):
        return  # the run's preprocessing.json is checked where it is used
    if saved.get("fingerprint") not in (None, given["fingerprint"]):
        raise Where(prepared.source or SourceMap()).error(
            ("data",), f"the data given differs from the data {directory} began training on (another fingerprint: "
                       f"{given['fingerprint'][:12]}..., not {str(saved['fingerprint'])[:12]}...)",
            hint="resume with the same arrays, DataFrame or dataset, in the same order")

