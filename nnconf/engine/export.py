"""``nnconf export``: a trained run's model in a serving format, checked by loading it back.

Each export is written beside its destination under a temporary name, loaded back with the runtime
that serves it (TensorFlow, TensorFlow Lite, ONNX Runtime), fed a sample, and compared with the Keras
model's own predictions; only an export that agrees is renamed into place. The exported model
takes inputs prepared as in training: scaled and standardized with the run's preprocessing.json.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnconf.analysis.pipeline import check
from nnconf.analysis.shapes import Inference
from nnconf.engine.files import write_bytes_atomically

FORMATS = ("saved_model", "tflite", "onnx")
SAMPLES = 8
# Float32 kernels differ between runtimes in the last bits, and a little more after TFLite's fusions.
RELATIVE_TOLERANCE, ABSOLUTE_TOLERANCE = 1e-3, 1e-4
ONNX_PACKAGES = "ONNX export needs tf2onnx, onnx and onnxruntime: pip install 'nnconf[onnx]'"


class ExportError(Exception):
    """The export cannot be made or does not agree with the model; the message says why."""


@dataclass
class Exported:
    """Args:
        path: where the export is.
        samples: how many inputs it was checked on.
        difference: the largest absolute difference from the Keras model's predictions.
    """

    path: Path
    samples: int
    difference: float


def export_run(run_dir: str | Path, fmt: str, output: str | Path) -> Exported:
    """The model of the run in ``run_dir`` exported to ``output`` in ``fmt``, checked against Keras."""
    from nnconf.engine.train import load_run

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    output = Path(output)
    _check_destination(output, fmt)
    run = load_run(run_dir)
    inference = check(Path(run_dir) / "config.yaml").inference
    sample = sample_inputs(run.model, inference)
    expected = _outputs(run.model.predict(sample if len(sample) > 1 else sample[0], verbose=0))
    exporter = {"saved_model": _saved_model, "tflite": _tflite, "onnx": _onnx}[fmt]
    difference = exporter(run.model, output, sample, expected)
    return Exported(output, len(sample[0]), difference)


def _check_destination(output: Path, fmt: str) -> None:
    if not output.parent.is_dir():
        raise ExportError(f"{output}: no such folder {str(output.parent)!r}")
    if fmt == "saved_model":
        if output.exists() or output.is_symlink():
            raise ExportError(f"{output} exists; a SavedModel is a new folder, and nnconf replaces no folder")
    elif output.exists() and not output.is_file() or output.is_symlink() and not output.exists():
        raise ExportError(f"{output} exists and is not a regular file")


def sample_inputs(model, inference: Inference, count: int = SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """Inputs of the model's shapes to compare predictions on: standard normal values, or token ids
    within the vocabulary where an input feeds an Embedding."""
    rng = np.random.default_rng(seed)
    vocabulary = {name: layer.spec.input_dim for layer in inference.layers if layer.spec.type == "Embedding"
                  for name in layer.input_names}
    names = list(inference.input_shapes)
    arrays = []
    for position, tensor in enumerate(model.inputs):
        name = names[position] if position < len(names) else ""
        shape = (count, *(8 if size is None else size for size in tensor.shape[1:]))
        if name in vocabulary:
            arrays.append(rng.integers(0, vocabulary[name], size=shape).astype(np.float32))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def _outputs(predictions) -> list[np.ndarray]:
    if isinstance(predictions, dict):
        return [np.asarray(predictions[key]) for key in sorted(predictions)]
    if isinstance(predictions, (list, tuple)):
        return [np.asarray(value) for value in predictions]
    return [np.asarray(predictions)]


def _compare(expected: list[np.ndarray], got: list[np.ndarray], fmt: str) -> float:
    if len(expected) != len(got):
        raise ExportError(f"the {fmt} export has {len(got)} outputs, the model {len(expected)}")
    difference = 0.0
    for want, have in zip(expected, got):
        have = np.asarray(have).reshape(want.shape) if np.asarray(have).size == want.size else np.asarray(have)
        if have.shape != want.shape:
            raise ExportError(f"the {fmt} export predicts shape {have.shape}, the model {want.shape}")
        difference = max(difference, float(np.max(np.abs(have - want))) if want.size else 0.0)
        if not np.allclose(have, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
            raise ExportError(f"the {fmt} export predicts differently from the model (by up to {difference:.3g}); "
                              "it was not kept")
    return difference


def _temporary_beside(output: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=suffix)
    os.close(handle)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(name, 0o666 & ~mask)  # as readable as any file the user writes, not mkstemp's owner-only
    return Path(name)


def _keep(temporary: Path, output: Path, check: Callable[[], float]) -> float:
    """Runs ``check`` on the temporary export and renames it into place only if it passes."""
    try:
        difference = check()
        if temporary.is_dir():
            os.rename(temporary, output)  # fails rather than replace a folder that appeared meanwhile
        else:
            os.replace(temporary, output)
        return difference
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)


# --- the formats ----------------------------------------------------------------------------------


def _saved_model(model, output: Path, sample: list[np.ndarray], expected: list[np.ndarray]) -> float:
    import tensorflow as tf

    temporary = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"))
    temporary.rmdir()  # the name is reserved; Keras makes the folder itself
    model.export(str(temporary), format="tf_saved_model", verbose=False)

    def check() -> float:
        loaded = tf.saved_model.load(str(temporary))  # held: its functions need its variables alive
        return _compare(expected, _outputs(_numpy(loaded.serve(*sample))), "saved_model")

    return _keep(temporary, output, check)


def _tflite(model, output: Path, sample: list[np.ndarray], expected: list[np.ndarray]) -> float:
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="nnconf-export-") as work:
        model.export(f"{work}/saved_model", format="tf_saved_model", verbose=False)
        data = tf.lite.TFLiteConverter.from_saved_model(f"{work}/saved_model").convert()
    difference = _compare(expected, _run_tflite(data, sample), "tflite")
    write_bytes_atomically(output, data)
    return difference


def _run_tflite(data: bytes, sample: list[np.ndarray]) -> list[np.ndarray]:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter announces its move to LiteRT
        interpreter = tf.lite.Interpreter(model_content=data)
    runner = interpreter.get_signature_runner()
    names = sorted(runner.get_input_details(), key=lambda name: runner.get_input_details()[name]["index"])
    results = runner(**dict(zip(names, sample)))
    return [np.asarray(results[key]) for key in sorted(results)]


def _onnx(model, output: Path, sample: list[np.ndarray], expected: list[np.ndarray]) -> float:
    try:
        import onnxruntime
        import tf2onnx  # noqa: F401 - Keras's ONNX export uses it with TensorFlow
    except ImportError:
        raise ExportError(ONNX_PACKAGES) from None
    temporary = _temporary_beside(output, ".tmp.onnx")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # Keras's tf2onnx shim probes np.object
            model.export(str(temporary), format="onnx", verbose=False)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise

    def check() -> float:
        session = onnxruntime.InferenceSession(str(temporary), providers=["CPUExecutionProvider"])
        feed = {given.name: array for given, array in zip(session.get_inputs(), sample)}
        return _compare(expected, session.run(None, feed), "onnx")

    return _keep(temporary, output, check)


def _numpy(value):
    if isinstance(value, dict):
        return {key: np.asarray(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [np.asarray(item) for item in value]
    return np.asarray(value)
