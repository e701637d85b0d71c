"""``nnconf predict``: a run's (or a saved model's) predictions for new inputs, read and prepared as its
training data was, named by their files, as probabilities, classes or logits with the class names.

Inputs are what the run trained on: image files or folders of them, text files, a CSV table or an
.npz file of arrays. A model saved by ``nnconf build -o`` has no saved preprocessing: its inputs are
read to fit its input shape and fed as they are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnconf.analysis.shapes import infer
from nnconf.config.model import Config
from nnconf.engine import data as datasets
from nnconf.engine.data.images import CHANNELS, IMAGE_EXTENSIONS
from nnconf.engine.data.texts import TEXT_EXTENSIONS

KINDS = ("probabilities", "classes", "logits")
BATCH_SIZE = 256


class PredictError(Exception):
    """The inputs or the choice of predictions do not fit the model; the message says why."""


@dataclass
class OutputPredictions:
    """One output's predictions: ``values`` (a row per input: probabilities or logits per class, class
    ids, or a regression's values) and the class each input is predicted to be, by name."""

    values: np.ndarray
    columns: list[str]
    predicted: list[str] | None


@dataclass
class Predictions:
    names: list[str]  # each input's file, or its row in a table or array file
    outputs: dict[str, OutputPredictions]  # by output name ('' for a one-output model)
    kind: str

    def to_csv(self) -> str:
        """One row per input: its name, then per output the predicted class and the chosen values."""
        header, columns = ["input"], []
        for output, result in self.outputs.items():
            prefix = f"{output}." if output else ""
            if result.predicted is not None:
                header.append(prefix + "class")
                columns.append(result.predicted)
            header += [prefix + column for column in result.columns]
            columns += [list(column) for column in np.asarray(result.values).reshape(len(self.names), -1).T]
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        for row, name in enumerate(self.names):
            writer.writerow([name, *(_cell(column[row]) for column in columns)])
        return text.getvalue()

    def to_npz(self) -> bytes:
        """``y`` (or one array per output name), ``<output>classes`` with the predicted class names,
        ``<output>columns`` naming the values' columns, and ``inputs`` naming the rows."""
        arrays = {"inputs": np.asarray(self.names, dtype=np.str_)}
        for output, result in self.outputs.items():
            arrays[output or "y"] = np.asarray(result.values)
            arrays[f"{output}.columns" if output else "columns"] = np.asarray(result.columns, dtype=np.str_)
            if result.predicted is not None:
                arrays[f"{output}.classes" if output else "classes"] = np.asarray(result.predicted, dtype=np.str_)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()


def _cell(value) -> str:
    """A value as written: a float as the shortest text that reads back as the same float of its precision."""
    if isinstance(value, np.floating):
        return str(value)
    return str(value.item() if isinstance(value, np.generic) else value)


def predict(target: str | Path, inputs: list[str | Path], *, kind: str = "probabilities") -> Predictions:
    """Predictions of a run's model (``target`` a run directory) or of a saved model (a ``.keras`` file).

    Args:
        target: the run directory, or a model saved by ``nnconf build -o``.
        inputs: image files or folders, text files or folders, one CSV table, or one .npz file.
        kind: ``probabilities`` (with the predicted class), ``classes``, or ``logits``.
    """
    if kind not in KINDS:
        raise PredictError(f"--as takes {', '.join(KINDS)}, not {kind!r}")
    model, config, preprocessing, classes = _open(Path(target))
    inference = infer(config)
    strings = {key for key, tensor in zip(inference.input_shapes, model.inputs) if "string" in str(tensor.dtype)}
    x, names = read_inputs([Path(p) for p in inputs], config, inference, preprocessing, strings)
    dataset = datasets.make_dataset(x, None, batch_size=BATCH_SIZE, shuffle=False, seed=None, cache=False,
                                    prefetch=True, preprocessing=preprocessing)
    raw = model.predict(dataset, verbose=0)
    outputs = config.output_names()
    if not isinstance(raw, (list, tuple, dict)):
        raw = [raw]
    values = [raw[name] for name in outputs] if isinstance(raw, dict) else list(raw)
    return Predictions(names, {name: _convert(config, name, np.asarray(value), classes.get(name), kind)
                               for name, value in zip(outputs, values)}, kind)


def _open(target: Path) -> tuple:
    """The model, its config, how inputs are prepared, and each output's class names (where known)."""
    from nnconf.engine.train import _read_preprocessing, load_run

    if target.is_dir():
        run = load_run(target)
        preprocessing = _read_preprocessing(target, infer(run.config))
        return run.model, run.config, preprocessing, preprocessing.get("classes", {})
    from nnconf.engine.importer import UnsupportedModel, config_from_keras, load_keras_model

    try:
        model = load_keras_model(target)
        config = config_from_keras(model)
    except UnsupportedModel as problem:
        raise PredictError(f"{target}: {problem}") from None
    return model, config, {"inputs": {}}, {}


def _convert(config: Config, output: str, raw: np.ndarray, names: list[str] | None, kind: str) -> OutputPredictions:
    task, loss = config.tasks()[output], config.losses()[output]
    label = f"output {output!r}" if output else "the model"
    if task == "regression":
        if kind != "probabilities":
            raise PredictError(f"{label} predicts values (task: regression), not classes: --as {kind} does not apply")
        return OutputPredictions(raw, [f"value{i}" for i in range(raw.reshape(len(raw), -1).shape[1])] if
                                 raw.ndim > 1 and raw.shape[-1] > 1 else ["value"], None)
    logits_given = bool(getattr(loss, "from_logits", False))
    if task == "multiclass":
        names = names or [str(i) for i in range(raw.shape[-1])]
        probabilities = _softmax(raw) if logits_given else raw
        predicted = [names[i] for i in np.argmax(probabilities, axis=-1).reshape(-1)]
        if kind == "classes":
            return OutputPredictions(np.argmax(probabilities, axis=-1), ["class_id"], predicted)
        if kind == "logits":
            return OutputPredictions(raw if logits_given else np.log(np.clip(raw, 1e-12, 1)), names, predicted)
        return OutputPredictions(probabilities, names, predicted)
    probabilities = 1 / (1 + np.exp(-raw)) if logits_given else raw
    if task == "binary" and raw.shape[-1] == 1:
        names = names or ["0", "1"]
        chosen = (probabilities.reshape(-1) > 0.5).astype(np.int64)
        predicted = [names[i] for i in chosen]
        if kind == "classes":
            return OutputPredictions(chosen, ["class_id"], predicted)
        if kind == "logits":
            logits = raw if logits_given else np.log(np.clip(raw, 1e-12, 1)) - np.log(np.clip(1 - raw, 1e-12, 1))
            return OutputPredictions(logits.reshape(-1, 1), [f"logit({names[1]})"], predicted)
        p = probabilities.reshape(-1, 1)
        return OutputPredictions(np.concatenate([1 - p, p], axis=1), names, predicted)
    names = names or [str(i) for i in range(raw.shape[-1])]  # multilabel: each label on its own
    if kind == "classes":
        return OutputPredictions((probabilities > 0.5).astype(np.int64), names, None)
    if kind == "logits":
        return OutputPredictions(raw if logits_given else np.log(np.clip(raw, 1e-12, 1)) -
                                 np.log(np.clip(1 - raw, 1e-12, 1)), names, None)
    return OutputPredictions(probabilities, names, None)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# --- reading the inputs ----------------------------------------------------------------------------


def read_inputs(paths: list[Path], config: Config, inference, preprocessing: dict,
                strings: set[str] = frozenset()) -> tuple[dict, list[str]]:
    """The inputs by model input name, prepared (or, for files the pipeline reads, as their paths), and a
    name per sample. ``strings`` names the model inputs that take strings."""
    for path in paths:
        if not path.exists():
            raise PredictError(f"{path} does not exist")
    tables = [p for p in paths if p.is_file() and p.suffix.lower() in (".npz", ".csv")]
    if tables:
        if len(paths) != 1:
            raise PredictError(f"give one {tables[0].suffix} file alone, not with other inputs")
        return _table(paths[0], config, inference, preprocessing)
    return _files(paths, inference, preprocessing, strings)


def _table(path: Path, config: Config, inference, preprocessing: dict) -> tuple[dict, list[str]]:
    if path.suffix.lower() == ".npz":
        arrays = datasets.load_npz_inputs(path)
        from nnconf.engine.train import _check_input_shapes

        plans = _plans(inference, preprocessing)
        _check_input_shapes(arrays, {"inputs": plans}, inference, path)
        x = datasets.prepare_inputs(arrays, {**preprocessing, "inputs": plans}, inference)
        return x, [str(row) for row in range(len(next(iter(x.values()))))]
    from nnconf.engine.data.csv_tables import read_inputs as read_csv_inputs

    arrays, lines = read_csv_inputs(path, config, inference, preprocessing)
    x = datasets.prepare_inputs(arrays, {**preprocessing, "inputs": _plans(inference, preprocessing)}, inference)
    return x, [f"line {line}" for line in lines]


def _plans(inference, preprocessing: dict) -> dict:
    """Each input's plan: the run's, or (for a saved model) none beyond float32."""
    saved = preprocessing.get("inputs", {})
    return {key: saved.get(key, {"dtype": "float32"}) for key in inference.input_shapes}


def _files(paths: list[Path], inference, preprocessing: dict, strings: set[str]) -> tuple[dict, list[str]]:
    """Image or text files (folders searched through), for a model whose one input reads such files."""
    inputs = list(inference.input_shapes)
    if len(inputs) != 1:
        raise PredictError(f"the model has {len(inputs)} inputs, so files of one kind cannot feed it: give an .npz "
                           "file with one array per input, or a CSV table")
    key = inputs[0]
    plan = preprocessing.get("inputs", {}).get(key) or _plan_for(inference.input_shapes[key], key in strings)
    extensions = {"image": IMAGE_EXTENSIONS, "text": TEXT_EXTENSIONS}.get(plan.get("read"))
    if extensions is None:
        raise PredictError("the model does not take image or text files (it was trained on arrays): give an .npz "
                           "file or a CSV table")
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in extensions)
            if not found:
                raise PredictError(f"{path} holds no {plan['read']} files ({', '.join(extensions)})")
            files += found
        elif path.suffix.lower() in extensions:
            files.append(path)
        else:
            raise PredictError(f"{path} is no {plan['read']} file ({', '.join(extensions)}), the kind of input "
                               "the model takes")
    if plan["read"] == "image":
        from nnconf.engine.data.images import image_problem

        bad = [(file, problem) for file in files if (problem := image_problem(file))]
        if bad:
            raise PredictError(f"{bad[0][0]} cannot be read: {bad[0][1]}" +
                               (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
    preprocessing.setdefault("inputs", {})[key] = plan
    return {key: np.asarray([str(file) for file in files], dtype=np.str_)}, [str(file) for file in files]


def _plan_for(shape: tuple, takes_strings: bool) -> dict:
    """How a saved model without a run reads files into its input: as text where it takes strings, as
    images where its shape is one (height, width, channels), else not at all."""
    shape = tuple(shape)
    if takes_strings:
        return {"read": "text", "dtype": "string", "reshape": list(shape), "scale": None, "mean": None, "std": None}
    if len(shape) == 3 and None not in shape and shape[2] in CHANNELS.values():
        return {"read": "image", "image_size": [shape[0], shape[1]], "channels": shape[2], "dtype": "float32",
                "reshape": None, "scale": None, "mean": None, "std": None}
    return {"dtype": "float32"}

