"""nnconf export: a trained run's model as a SavedModel, a TFLite file or an ONNX file, each loaded back
here with the runtime that serves it and compared with the Keras model."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

import nnconf
from nnconf.cli import cli
from nnconf.engine.export import ONNX_PACKAGES, ExportError, _compare

from tests.config.helpers import dedent

IRIS = dedent("""
    name: iris-export
    task: multiclass
    seed: 3
    model:
      input_shape: [4]
      layers:
        - {type: Dense, units: 8, activation: relu, kernel_initializer: he_normal}
        - {type: Dense, units: 3}
    loss: {name: sparse_categorical_crossentropy, from_logits: true}
    metrics: [accuracy]
    data: {source: sklearn.iris, standardize: true}
    training: {epochs: 1, batch_size: 16}
""")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    config = folder / "iris.yaml"
    config.write_text(IRIS)
    return nnconf.train(config, run_dir=folder / "run")


def export(run, fmt: str, output) -> object:
    return CliRunner().invoke(cli, ["export", str(run.directory), "--format", fmt, "-o", str(output)])


def inputs() -> np.ndarray:
    return np.random.default_rng(42).standard_normal((5, 4)).astype(np.float32)


def served_by_tensorflow(path, x):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    return np.asarray(loaded.serve(x))


def served_by_tflite(path, x):
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    details = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(details["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(details["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def served_by_onnxruntime(path, x):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("fmt, name, serve", [
    ("saved_model", "model_savedmodel", served_by_tensorflow),
    ("tflite", "model.tflite", served_by_tflite),
    ("onnx", "model.onnx", served_by_onnxruntime),
])
def test_export_predicts_as_the_trained_model_does(run, tmp_path, fmt, name, serve):
    target = tmp_path / name
    result = export(run, fmt, target)
    assert result.exit_code == 0, result.output
    assert f"wrote {target} ({fmt}): it predicts as the model does on 8 samples" in result.stdout
    x = inputs()
    keras_model = nnconf.load_run(run.directory).model
    np.testing.assert_allclose(serve(target, x), keras_model.predict(x, verbose=0), rtol=1e-3, atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing temporary left beside it


def test_a_savedmodel_never_replaces_a_folder(run, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    result = export(run, "saved_model", target)
    assert result.exit_code == 1 and "exists" in result.stderr
    assert [p.name for p in target.iterdir()] == ["mine.txt"]


def test_a_file_export_refuses_a_folder_in_its_place(run, tmp_path):
    (tmp_path / "model.tflite").mkdir()
    result = export(run, "tflite", tmp_path / "model.tflite")
    assert result.exit_code == 1 and "is not a regular file" in result.stderr


def test_a_folder_that_is_no_run_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "--format", "onnx", "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and not (tmp_path / "m.onnx").exists()


def test_onnx_without_its_packages_says_what_to_install(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    result = export(run, "onnx", tmp_path / "model.onnx")
    assert result.exit_code == 1 and ONNX_PACKAGES in result.stderr
    assert not list(tmp_path.iterdir())


def test_predictions_that_disagree_are_refused():
    expected = [np.zeros((2, 3), dtype=np.float32)]
    assert _compare(expected, [np.full((2, 3), 1e-6, dtype=np.float32)], "tflite") == pytest.approx(1e-6)
    with pytest.raises(ExportError, match="predicts differently"):
        _compare(expected, [np.full((2, 3), 0.01, dtype=np.float32)], "tflite")
    with pytest.raises(ExportError, match="predicts shape"):
        _compare(expected, [np.zeros((2, 4), dtype=np.float32)], "onnx")
