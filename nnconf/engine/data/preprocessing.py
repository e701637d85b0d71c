"""How inputs are prepared: reshaped, cast, scaled and standardized, by a JSON-able plan saved with the run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import SourceMap
from nnconf.config.suggest import did_you_mean
from nnconf.engine.data.base import Arrays
from nnconf.engine.data.checks import arrays_listing, check_dtype, check_finite, check_float32_range
from nnconf.engine.data.errors import Where, count_of

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference


def token_layer(config: Config, key: str):
    """The Embedding layer that takes model input ``key`` directly, if any."""
    if isinstance(config.model, FunctionalModel):
        return next((layer for layer in config.model.layers
                     if layer.type == "Embedding" and key in layer.input_names), None)
    first = config.model.layers[0]
    return first if first.type == "Embedding" else None


def make_plan(config: Config, inference: Inference, key: str, x: np.ndarray, where: Where,
              reader: dict | None = None) -> dict:
    """How input ``key`` is prepared, as JSON-serialisable settings (statistics from ``x``, the training split).

    An input whose samples are files has its source's ``reader`` settings in the plan: the pipeline
    reads each file and then reshapes and scales it as the plan says.
    """
    data = config.data
    target = list(inference.input_shapes[key]) if data.reshape else None
    if reader is not None and reader.get("dtype") == "string":  # texts, or categories a StringLookup reads
        return {**reader, "reshape": list(inference.input_shapes[key]), "scale": None, "mean": None, "std": None}
    if reader is not None and reader.get("read"):
        return {**reader, "dtype": "float32", "reshape": target,
                "scale": float(data.scale) if data.scale is not None else None, "mean": None, "std": None}
    if reader is not None:  # table columns, some of them categories: one-hot encoded, then as numbers
        columns = [{**column, "values": sorted(set(x[:, position].tolist()))} if column["kind"] == "category"
                   else dict(column) for position, column in enumerate(reader["columns"])]
        x = encode_columns(x, columns)
        plan = make_plan(config, inference, key, x, where)
        return {"columns": columns, **plan}
    tokens = token_layer(config, key) is not None and (x.dtype.kind in "biu" or bool(np.all(np.mod(x, 1) == 0)))
    plan = {"dtype": "int32" if tokens else "float32", "reshape": target, "scale": None, "mean": None, "std": None}
    if tokens:
        return plan  # token ids are kept as they are: scaling them would change which word they name
    plan["scale"] = float(data.scale) if data.scale is not None else None
    if data.standardize:
        scaled = apply_plan(x, plan, key, where).astype(np.float64)
        mean, std = scaled.mean(axis=0), scaled.std(axis=0)
        std[~(std > 0)] = 1.0  # a constant feature is only shifted
        plan["mean"], plan["std"] = mean.tolist(), std.tolist()
    return plan


def apply_plan(x: np.ndarray, plan: dict, key: str, where: Where) -> np.ndarray:
    x = np.asarray(x)
    if plan.get("read"):
        return x  # file paths: the pipeline reads and prepares each file
    if plan.get("columns"):
        x = encode_columns(x, plan["columns"])
    if plan.get("dtype") == "string":
        return _reshape(x.astype(object), plan["reshape"], key, where) if plan.get("reshape") else x.astype(object)
    if plan.get("reshape") is not None:
        x = _reshape(x, plan["reshape"], key, where)
    x = x.astype(plan.get("dtype", "float32"), copy=False)
    if plan.get("scale") is not None:
        x = x / np.float32(plan["scale"])
    if plan.get("mean") is not None:
        x = (x - np.asarray(plan["mean"], dtype=np.float32)) / np.asarray(plan["std"], dtype=np.float32)
    return x


def encode_columns(cells: np.ndarray, columns: list[dict]) -> np.ndarray:
    """Table cells (rows, columns) as float64 columns: numbers as they are, each category as one column per
    known value (one-hot; a value outside ``values`` is all zeros)."""
    parts = []
    for position, column in enumerate(columns):
        values = cells[:, position]
        if column["kind"] == "number":
            parts.append(values.astype(np.str_).astype(np.float64)[:, None])
            continue
        index = {value: slot for slot, value in enumerate(column["values"])}
        encoded = np.zeros((len(values), len(index)))
        rows = [(row, index[value]) for row, value in enumerate(values.tolist()) if value in index]
        if rows:
            encoded[tuple(np.asarray(rows).T)] = 1.0
        parts.append(encoded)
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(cells), 0))


def _reshape(x: np.ndarray, target: list, key: str, where: Where) -> np.ndarray:
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
    where = Where(SourceMap())
    inputs = list(inference.input_shapes)
    plans = preprocessing.get("inputs", {})
    if isinstance(x, np.ndarray):
        if len(inputs) != 1:
            raise where.error((), f"the model has {count_of(inputs, 'input')}, but one array was given",
                              hint="give an array per model input, named by the input")
        x = {inputs[0]: x}
    elif len(inputs) == 1 and inputs[0] not in x and "x" in x:
        x = {inputs[0]: x["x"]}
    missing = [key for key in inputs if key not in x]
    if missing:
        expected = " or ".join(repr(n) for n in (["x"] if len(inputs) == 1 else []) + [missing[0]])
        raise where.error((), f"no array for the model input {missing[0]!r} (expected {expected}); given: "
                          f"{arrays_listing(x)}", hint=did_you_mean(missing[0], x))
    prepared = {}
    for key in inputs:
        array, plan = np.asarray(x[key]), plans.get(key, {"dtype": "float32"})
        if not (plan.get("read") or plan.get("columns") or plan.get("dtype") == "string"):  # numbers
            check_dtype(array, f"the input {key!r}", where, ())
            check_finite(array, f"the input {key!r}", where, ())
            check_float32_range(array, f"the input {key!r}", where, ())
        prepared[key] = apply_plan(array, plan, key, where)
    lengths = {len(v) for v in prepared.values()}
    if len(lengths) > 1:
        raise where.error((), "the inputs have different numbers of samples: " +
                          ", ".join(f"{k!r} {len(v)}" for k, v in prepared.items()))
    return prepared
