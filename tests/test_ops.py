"""Op (an allow-listed keras.ops function in a functional graph) and the layers keras.applications define for
themselves (LayerScale, CustomScaleLayer): shapes as Keras's, import, build, and what is refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras.src.applications.convnext import LayerScale
from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

import nnconf
from nnconf import codes
from nnconf.config.layers.ops import OPS
from nnconf.engine.importer import UnsupportedModel, config_from_keras

ROOT = Path(__file__).resolve().parents[1]
BINARY = [op for op, count in OPS.items() if count == 2]
UNARY = [op for op, count in OPS.items() if count == 1]


def op_config(op: str, operands: str, shapes: str = "{a: [4, 3], b: [1, 3]}") -> str:
    return f"""task: regression
loss: mse
model:
  inputs: {shapes}
  layers:
    - {{type: Op, name: result, op: {op}, inputs: {operands}}}
    - {{type: Flatten, name: flat, inputs: result}}
    - {{type: Dense, name: out, units: 1, inputs: flat}}
  outputs: out
"""


@pytest.mark.parametrize("op", list(OPS))
def test_each_op_builds_as_its_keras_function_and_imports_back(op):
    operands = "[a, b]" if OPS[op] == 2 else "a"
    config = nnconf.loads(op_config(op, operands))
    model = nnconf.build(config)
    recorded = [operation for operation in model.operations if not isinstance(operation, keras.layers.Layer)]
    assert len(recorded) == 1
    a, b = keras.Input((4, 3), name="a"), keras.Input((1, 3), name="b")
    direct = getattr(keras.ops, op)(a, b) if OPS[op] == 2 else getattr(keras.ops, op)(a)
    assert type(recorded[0]) is type(direct._keras_history.operation)
    imported = config_from_keras(model, task="regression", loss="mse")
    assert imported.model.layers[0].op == op and imported.model.layers[0].operands == config.model.layers[0].operands
    rebuilt = nnconf.build(imported)
    rebuilt.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.random((2, 4, 3), dtype="float32") + 0.5, rng.random((2, 1, 3), dtype="float32") + 0.5]
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("a, b", [((4, 3), (1, 3)), ((4, 3), (3,)), ((None, 3), (4, 1)), ((None, 3), (1, 3)),
                                  ((2, None), (2, 5)), ((5,), (2, 1))])
def test_broadcast_shapes_are_kerass(a, b):
    shapes = "{a: %s, b: %s}" % (list(a), list(b))
    inference = nnconf.check(op_config("add", "[a, b]", shapes.replace("None", "null"))).inference
    expected = keras.ops.add(keras.Input(a), keras.Input(b)).shape
    assert (None, *inference.layer("result").output_shape) == tuple(expected)


def test_a_constant_operand_keeps_its_place():
    model = nnconf.build(op_config("subtract", "[3.0, a]"))
    x = [np.ones((1, 4, 3), "float32"), np.ones((1, 1, 3), "float32")]
    result = keras.Model(model.inputs, model.get_layer("flat").output).predict(x, verbose=0)
    np.testing.assert_array_equal(result, np.full((1, 12), 2.0))


@pytest.mark.parametrize("change, words", [
    (("add", "[a, b]"), None),
    (("ad", "[a, b]"), "op 'ad' is not one of the allowed values"),
    (("add", "[3.0, 2.0]"), "add needs a tensor among its operands"),
    (("add", "a"), "add takes 2 operands, found 1"),
    (("sqrt", "[a, b]"), "sqrt takes 1 operand, found 2"),
    (("add", "[a, b, a]"), "inputs should have at most 2 items"),
])
def test_an_op_is_checked(change, words):
    report = nnconf.check(op_config(*change))
    if words is None:
        assert report.ok
    else:
        assert [f.rule for f in report.findings] == [codes.SCHEMA] and words in report.findings[0].message


def test_operands_that_do_not_broadcast_are_a_located_error():
    report = nnconf.check(op_config("multiply", "[a, b]", "{a: [4, 3], b: [4, 2]}"))
    assert [(f.rule, f.path, f.line) for f in report.findings] == [(codes.GRAPH, "model.layers[0].inputs", 6)]
    assert "on axis 2 the sizes 3 and 2 differ" in report.findings[0].message


def test_an_op_in_a_sequential_model_is_an_error():
    report = nnconf.check("task: regression\nloss: mse\nmodel:\n  input_shape: [3]\n  layers:\n"
                          "    - {type: Op, op: negative}\n    - {type: Dense, units: 1}\n")
    assert [f.rule for f in report.findings] == [codes.GRAPH]
    assert "only works in a functional model" in report.findings[0].message


def test_an_operation_outside_the_allow_list_is_unsupported_and_names_the_list():
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(keras.ops.sort(x)))
    with pytest.raises(UnsupportedModel, match="Op takes only add, subtract"):
        config_from_keras(model, task="regression", loss="mse")
    model = keras.Model(x, keras.layers.Dense(1)(keras.ops.add(x, np.ones((4,), "float32"))))
    with pytest.raises(UnsupportedModel, match="which an Op cannot express"):
        config_from_keras(model, task="regression", loss="mse")


def application_layers_model() -> keras.Model:
    x = keras.Input((4, 4, 8), name="x")
    scaled = LayerScale(0.5, 8, name="scale")(x)
    conv = keras.layers.Conv2D(8, 1, name="conv")(scaled)
    residual = CustomScaleLayer(0.17, name="residual")([x, conv])
    return keras.Model(x, keras.layers.Dense(2, name="out")(keras.layers.GlobalAveragePooling2D()(residual)))


def test_application_layers_import_count_and_build_back_with_identical_outputs():
    original = application_layers_model()
    config = config_from_keras(original, task="regression", loss="mse")
    kinds = [layer.type for layer in config.model.layers]
    assert kinds[:3] == ["LayerScale", "Conv2D", "CustomScaleLayer"]
    summary = nnconf.summary(config)
    assert {row.name: row.params for row in summary.rows}["scale"] == 8
    assert summary.total_params == original.count_params()
    rebuilt = nnconf.build(config)
    assert type(rebuilt.get_layer("scale")) is LayerScale and type(rebuilt.get_layer("residual")) is CustomScaleLayer
    rebuilt.set_weights([w * 0 + np.random.default_rng(1).random(w.shape) for w in original.get_weights()])
    original.set_weights(rebuilt.get_weights())
    x = np.random.default_rng(2).random((3, 4, 4, 8), dtype="float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-6)


def test_a_layer_scale_of_the_wrong_size_is_an_error():
    report = nnconf.check("""task: regression
loss: mse
model:
  input_shape: [4, 4, 8]
  layers:
    - {type: LayerScale, init_values: 0.5, projection_dim: 6}
    - {type: Flatten}
    - {type: Dense, units: 1}
""")
    assert [(f.rule, f.path) for f in report.findings] == [(codes.GRAPH, "model.layers[0].projection_dim")]
    assert report.findings[0].hint == "set projection_dim: 8"


def test_a_custom_class_named_as_an_application_layer_is_unsupported():
    class LayerScaleLookalike(LayerScale):
        pass

    LayerScaleLookalike.__name__ = "LayerScale"
    model = keras.Sequential([keras.Input((2, 8)), LayerScaleLookalike(0.5, 8), keras.layers.Dense(1)])
    with pytest.raises(UnsupportedModel, match="custom class"):
        config_from_keras(model, task="regression", loss="mse")


def test_a_saved_model_with_ops_and_application_layers_imports_through_the_cli(tmp_path):
    model = application_layers_model()
    x = model.inputs[0]
    model = keras.Model(x, keras.ops.multiply(keras.ops.add(model.outputs[0], 3.0), 0.5))
    model.compile(loss="mse")
    model.save(tmp_path / "ops.keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "import", str(tmp_path / "ops.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert re.search(r"{type: Op, name: add(_\d+)?, op: add, inputs: \[out, 3.0\]}", result.stdout)
    assert nnconf.lint(result.stdout).ok


def test_an_op_is_named_as_the_config_names_it_so_an_output_of_one_trains():
    text = """task: regression
loss: mse
model:
  inputs: {x: [3]}
  layers:
    - {type: Dense, name: hidden, units: 2, inputs: x}
    - {type: Op, name: halved, op: multiply, inputs: [hidden, 0.5]}
  outputs: halved
"""
    model = nnconf.build(text)
    assert model.output_names == ["halved"]
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
