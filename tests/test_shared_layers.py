"""Shared layers: ``{apply: NAME, name: ..., inputs: ...}`` applies a layer again with the same weights,
as a Keras layer called twice does (Siamese towers): counted once, imported from Keras, built shared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

import nnconf
from nnconf import codes
from nnconf.engine.importer import UnsupportedModel, config_from_keras

ROOT = Path(__file__).resolve().parents[1]

SIAMESE = """
name: siamese
task: binary
loss: {name: binary_crossentropy, from_logits: true}
model:
  inputs: {left: [16, 16, 1], right: [16, 16, 1]}
  layers:
    - {type: Conv2D, name: conv, filters: 4, kernel_size: 3, activation: relu, inputs: left}
    - {type: GlobalAveragePooling2D, name: pool, inputs: conv}
    - {type: Dense, name: embed, units: 8, inputs: pool}
    - {apply: conv, name: conv_right, inputs: right}
    - {apply: pool, name: pool_right, inputs: conv_right}
    - {apply: embed, name: embed_right, inputs: pool_right}
    - {type: Subtract, name: difference, inputs: [embed, embed_right]}
    - {type: Dense, name: same, units: 1, inputs: difference}
  outputs: same
"""


def keras_siamese() -> keras.Model:
    left, right = keras.Input((16, 16, 1), name="left"), keras.Input((16, 16, 1), name="right")
    conv = keras.layers.Conv2D(4, 3, activation="relu", name="conv")
    pool, embed = keras.layers.GlobalAveragePooling2D(name="pool"), keras.layers.Dense(8, name="embed")
    towers = [embed(pool(conv(image))) for image in (left, right)]
    same = keras.layers.Dense(1, name="same")(keras.layers.Subtract(name="difference")(towers))
    return keras.Model([left, right], same, name="siamese")


def test_a_shared_layer_is_counted_once():
    summary = nnconf.summary(SIAMESE)
    rows = {row.name: row for row in summary.rows}
    assert rows["conv"].params == 4 * (9 + 1) and rows["conv_right"].params == 0
    assert rows["embed_right"].type == "Dense (shares embed)"
    assert rows["embed_right"].output_shape == rows["embed"].output_shape == (None, 8)
    assert summary.total_params == keras_siamese().count_params() == 40 + 40 + 9


def test_the_built_model_applies_one_layer_at_both_places():
    model = nnconf.build(SIAMESE)
    assert [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)] == [
        "conv", "pool", "embed", "difference", "same"]
    conv = model.get_layer("conv")
    assert len(conv._inbound_nodes) == 2 and len(model.weights) == 6
    images = np.random.default_rng(0).random((3, 16, 16, 1), dtype="float32")
    np.testing.assert_allclose(model.predict([images, images], verbose=0), model.get_layer("same").bias.numpy()
                               + np.zeros((3, 1)), atol=1e-6)  # the same image twice: the difference is 0


def test_a_keras_model_with_shared_layers_imports_and_builds_back_with_identical_outputs():
    original = keras_siamese()
    config = config_from_keras(original, task="binary", loss={"name": "binary_crossentropy", "from_logits": True})
    layers = yaml.safe_load(config.to_yaml(compact=True))["model"]["layers"]
    assert {"apply": "conv", "name": "conv_1", "inputs": "right"} in layers
    assert {"apply": "embed", "name": "embed_1", "inputs": "pool_1"} in layers
    rebuilt = nnconf.build(nnconf.loads(config.to_yaml(compact=True)))
    assert rebuilt.count_params() == original.count_params() == nnconf.summary(config).total_params
    rebuilt.set_weights(original.get_weights())
    rng = np.random.default_rng(1)
    images = [rng.random((4, 16, 16, 1), dtype="float32") for _ in range(2)]
    np.testing.assert_allclose(rebuilt.predict(images, verbose=0), original.predict(images, verbose=0), atol=1e-6)


def test_nnconf_import_writes_a_shared_layer_as_apply(tmp_path):
    model = keras_siamese()
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))
    model.save(tmp_path / "siamese.keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "import", str(tmp_path / "siamese.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "  - {apply: conv, name: conv_1, inputs: right}\n" in result.stdout
    assert nnconf.lint(result.stdout).ok


def test_a_config_with_shared_layers_reads_back_from_what_it_writes():
    config = nnconf.loads(SIAMESE)
    assert nnconf.loads(config.to_yaml(compact=True)) == config == nnconf.loads(config.to_yaml())


def test_a_layer_whose_own_output_is_unused_still_counts_as_used_when_applied():
    config = SIAMESE.replace("inputs: [embed, embed_right]", "inputs: [embed_right, embed_right]")
    report = nnconf.check(config)
    # conv, pool and embed hold the weights embed_right uses; only the input they were first applied to is unused
    assert [f.message for f in report.findings if f.rule == codes.UNUSED_LAYER] == [
        "the input 'left' is not used by any output"]
    assert report.ok


@pytest.mark.parametrize("change, path, words", [
    ("apply: embed,", "model.layers[5].apply", "'embed_right' applies 'embd', which is no layer"),
    ("apply: conv,", "model.layers[3].apply", "'conv_right' applies 'left', which is a model input"),
    ("apply: pool,", "model.layers[4].apply", "'pool_right' applies 'conv_right', which is another application"),
])
def test_applying_what_is_no_layer_is_an_error(change, path, words):
    target = {"apply: embed,": "apply: embd,", "apply: conv,": "apply: left,", "apply: pool,": "apply: conv_right,"}
    report = nnconf.check(SIAMESE.replace(change, target[change]))
    assert [(f.rule, f.path) for f in report.findings] == [(codes.GRAPH, path)]
    assert words in report.findings[0].message


def test_applying_a_layer_to_inputs_its_weights_do_not_fit_is_an_error():
    report = nnconf.check(SIAMESE.replace("right: [16, 16, 1]", "right: [16, 16, 3]"))
    assert [(f.rule, f.path, f.line) for f in report.findings] == [(codes.GRAPH, "model.layers[3].inputs", 11)]
    assert "would need its kernel to be [3, 3, 3, 4]; it is [3, 3, 1, 4]" in report.findings[0].message


def test_an_application_as_a_model_output_is_an_error_with_a_way_out():
    report = nnconf.check(SIAMESE.replace("outputs: same", "outputs: embed_right").replace(
        "task: binary", "task: regression").replace("{name: binary_crossentropy, from_logits: true}", "mse"))
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert [(f.rule, f.path) for f in errors] == [(codes.GRAPH, "model.outputs")]
    assert "Activation" in errors[0].hint


def test_an_application_needs_a_name_and_takes_no_layer_arguments():
    report = nnconf.check(SIAMESE.replace("{apply: conv, name: conv_right,", "{apply: conv,"))
    assert [(f.rule, f.message) for f in report.findings] == [(codes.SCHEMA, "missing required key 'name'")]
    report = nnconf.check(SIAMESE.replace("{apply: conv, name: conv_right,", "{apply: conv, units: 3, name: conv_right,"))
    assert [(f.rule, f.path) for f in report.findings] == [(codes.SCHEMA, "model.layers[3].units")]


def test_a_keras_output_from_a_later_application_is_unsupported():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = keras.layers.Dense(2, name="shared")
    model = keras.Model([a, b], [shared(a), shared(b)])
    with pytest.raises(UnsupportedModel, match="'shared' is a later application"):
        config_from_keras(model, task="regression", loss="mse")


def test_a_shared_layer_is_linted_once_where_it_is_defined():
    config = SIAMESE.replace("activation: relu, inputs: left}", "inputs: left}\n    - {type: BatchNormalization, "
                             "name: bn, inputs: conv}").replace("{type: GlobalAveragePooling2D, name: pool, inputs: conv}",
                                                                "{type: GlobalAveragePooling2D, name: pool, inputs: bn}")
    config = config.replace("{apply: pool, name: pool_right, inputs: conv_right}",
                            "{type: BatchNormalization, name: bn_right, inputs: conv_right}\n"
                            "    - {apply: pool, name: pool_right, inputs: bn_right}")
    findings = [f for f in nnconf.lint(config).findings if f.rule == "NN206"]
    assert [(f.path, f.line) for f in findings] == [("model.layers[0].use_bias", 8)]  # not again at conv_right
