"""Blocks: a small graph of layers defined once under ``blocks:`` and used many times with its own arguments.
Shapes, lint findings and errors point at the block's lines and name the use; each use builds as a nested
Keras model; nested Keras models import as blocks."""

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

RESNET = """name: tiny-resnet
task: multiclass
loss: {name: sparse_categorical_crossentropy, from_logits: true}
blocks:
  bottleneck:
    inputs: x
    arguments: {filters: null, strides: 1}
    layers:
      - {type: Conv2D, name: conv1, filters: $filters, kernel_size: 1, strides: $strides, use_bias: false, inputs: x}
      - {type: BatchNormalization, name: bn1, inputs: conv1}
      - {type: Activation, name: relu1, activation: relu, inputs: bn1}
      - {type: Conv2D, name: conv2, filters: $filters, kernel_size: 3, padding: same, use_bias: false, inputs: relu1}
      - {type: BatchNormalization, name: bn2, inputs: conv2}
      - {type: Conv2D, name: shortcut, filters: $filters, kernel_size: 1, strides: $strides, inputs: x}
      - {type: Add, name: add, inputs: [shortcut, bn2]}
      - {type: Activation, name: out, activation: relu, inputs: add}
    outputs: out
model:
  inputs: {image: [32, 32, 3]}
  layers:
    - {type: Conv2D, name: stem, filters: 16, kernel_size: 3, padding: same, activation: relu, inputs: image}
    - {block: bottleneck, name: stage1, inputs: stem, filters: 16}
    - {block: bottleneck, name: stage2, inputs: stage1, filters: 32, strides: 2}
    - {block: bottleneck, name: stage3, inputs: stage2, filters: 64, strides: 2}
    - {type: GlobalAveragePooling2D, name: pool, inputs: stage3}
    - {type: Dense, name: logits, units: 10, inputs: pool}
  outputs: logits
"""
# Lines of RESNET, 1-based.
LINE = {"conv1": 9, "bn1": 10, "conv2": 12, "arguments": 7, "stage2": 23, "stage3": 24}

STACK = """task: regression
loss: mse
blocks:
  dense_block:
    inputs: x
    arguments: {units: null, rate: 0.1}
    layers:
      - {type: Dense, name: d, units: $units, activation: relu, inputs: x}
      - {type: Dropout, name: drop, rate: $rate, inputs: d}
    outputs: drop
model:
  input_shape: [8]
  layers:
    - {block: dense_block, name: b1, units: 16}
    - {block: dense_block, name: b2, units: 8, rate: 0.2}
    - {type: Dense, units: 1}
"""


def changed(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors(report) -> list[tuple[str, str, int | None]]:
    return [(f.rule, f.path, f.line) for f in report.findings if f.severity.value == "error"]


# --- shapes, summary, build --------------------------------------------------------------------------


def test_each_use_has_layers_of_its_own_with_the_uses_arguments():
    summary = nnconf.summary(RESNET)
    rows = {row.name: row for row in summary.rows}
    assert rows["stage1/conv2"].output_shape == (None, 32, 32, 16)
    assert rows["stage2/conv2"].output_shape == (None, 16, 16, 32) and rows["stage2/conv2"].params == 9 * 32 * 32
    assert rows["stage3/out"].output_shape == (None, 8, 8, 64)
    assert rows["pool"].inputs == ("stage3/out",)
    model = nnconf.build(RESNET)
    assert summary.total_params == model.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert summary.trainable_params == trainable


def test_a_use_builds_as_a_nested_model_named_as_the_use():
    model = nnconf.build(RESNET)
    assert [layer.name for layer in model.layers] == ["image", "stem", "stage1", "stage2", "stage3", "pool", "logits"]
    stage2 = model.get_layer("stage2")
    assert isinstance(stage2, keras.Model)
    assert sorted(layer.name for layer in stage2.layers[1:]) == sorted(["conv1", "bn1", "relu1", "conv2", "bn2",
                                                                        "shortcut", "add", "out"])
    assert stage2.get_layer("conv1").strides == (2, 2) and stage2.get_layer("conv1").filters == 32
    assert model.get_layer("stage1").get_layer("conv1").strides == (1, 1)  # the block's default
    assert model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0).shape == (2, 10)


def test_blocks_in_a_sequential_model():
    summary = nnconf.summary(STACK)
    assert [(row.name, row.output_shape) for row in summary.rows] == [
        ("input", (None, 8)), ("b1/d", (None, 16)), ("b1/drop", (None, 16)), ("b2/d", (None, 8)),
        ("b2/drop", (None, 8)), ("dense", (None, 1))]
    model = nnconf.build(STACK)
    assert isinstance(model, keras.Sequential) and [layer.name for layer in model.layers][:2] == ["b1", "b2"]
    assert isinstance(model.layers[2], keras.layers.Dense)  # Keras names unnamed layers of a stack itself
    assert model.get_layer("b2").get_layer("drop").rate == 0.2 and model.get_layer("b1").get_layer("drop").rate == 0.1
    assert summary.total_params == model.count_params() == 8 * 16 + 16 + 16 * 8 + 8 + 9


def test_a_config_with_blocks_reads_back_from_what_it_writes():
    for text in (RESNET, STACK):
        config = nnconf.loads(text)
        compact = config.to_yaml(compact=True)
        assert nnconf.loads(compact) == config == nnconf.loads(config.to_yaml())
        assert "{block: bottleneck, name: stage2, inputs: stage1, filters: 32, strides: 2}" in compact or "b2" in compact


def test_inline_weights_in_a_block_are_each_uses():
    text = changed(STACK, "{type: Dense, name: d, units: $units, activation: relu, inputs: x}",
                   "{type: Dense, name: d, units: $units, activation: relu, inputs: x, weights: {bias: $bias}}")
    text = changed(text, "arguments: {units: null, rate: 0.1}", "arguments: {units: null, rate: 0.1, bias: null}")
    text = changed(text, "units: 16}", "units: 2, bias: [1.0, 2.0]}")
    text = changed(text, "units: 8, rate: 0.2}", "units: 1, rate: 0.2, bias: [5.0]}")
    model = nnconf.build(text)
    np.testing.assert_array_equal(model.get_layer("b1").get_layer("d").bias.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(model.get_layer("b2").get_layer("d").bias.numpy(), [5.0])


# --- findings at the block's lines, naming the use ----------------------------------------------------


def test_lint_findings_inside_a_block_point_at_its_lines_and_name_each_use():
    text = changed(RESNET, "kernel_size: 1, strides: $strides, use_bias: false, inputs: x}",
                   "kernel_size: 1, strides: $strides, inputs: x}")
    findings = [f for f in nnconf.lint(text).findings if f.rule == "NN206"]
    assert [(f.path, f.line) for f in findings] == [("blocks.bottleneck.layers[0].use_bias", LINE["conv1"])] * 3
    assert [f.message.split("'")[1] for f in findings] == ["stage1/conv1", "stage2/conv1", "stage3/conv1"]


def test_a_shape_error_inside_a_block_is_at_its_line_and_names_the_use():
    text = changed(RESNET, "filters: $filters, kernel_size: 3, padding: same,", "filters: $filters, kernel_size: 3,")
    report = nnconf.check(text)
    assert errors(report)[0][1:] == ("blocks.bottleneck.layers[6]", 15)
    assert "'stage1/add'" in report.findings[0].message


def test_a_bad_argument_value_is_at_the_uses_argument_once():
    report = nnconf.check(changed(RESNET, "filters: 32, strides: 2}", "filters: 0, strides: 2}"))
    assert [(f.rule, f.line) for f in report.findings] == [(codes.SCHEMA, LINE["stage2"])]
    assert report.findings[0].message == ("in use 'stage2' of block 'bottleneck': filters should be greater than 0, "
                                          "found 0")
    text = changed(RESNET, "filters: 32, strides: 2}", "filters: 0, strides: 2}")
    assert report.findings[0].column == text.splitlines()[LINE["stage2"] - 1].index("0, strides") + 1


def test_a_bad_default_is_at_the_blocks_argument():
    report = nnconf.check(changed(RESNET, "arguments: {filters: null, strides: 1}",
                                  "arguments: {filters: null, strides: -1}"))
    assert [(f.rule, f.line) for f in report.findings] == [(codes.SCHEMA, LINE["arguments"])]
    assert "in use 'stage1' of block 'bottleneck': strides should be greater than 0" in report.findings[0].message


def test_an_unknown_argument_and_a_missing_one_are_errors_at_the_use():
    report = nnconf.check(changed(RESNET, "filters: 32, strides: 2}", "filtrs: 32, strides: 2}"))
    found = {f.path: f for f in report.findings}
    assert set(found) == {"model.layers[2].filtrs", "model.layers[2]"}
    assert found["model.layers[2].filtrs"].hint == "did you mean 'filters'?"
    assert "does not give 'filters'" in found["model.layers[2]"].message


def test_an_unknown_block_is_an_error_with_a_suggestion():
    report = nnconf.check(changed(RESNET, "{block: bottleneck, name: stage3", "{block: botleneck, name: stage3"))
    assert errors(report) == [(codes.GRAPH, "model.layers[3].block", LINE["stage3"])]
    assert report.findings[0].hint == "did you mean 'bottleneck'?"
    assert not [f for f in report.findings if f.rule == codes.UNUSED_LAYER]  # what it takes is not "unused"


def test_a_reference_to_no_argument_is_an_error_at_it():
    report = nnconf.check(changed(RESNET, "strides: $strides, use_bias: false, inputs: x}",
                                  "strides: $stride, use_bias: false, inputs: x}"))
    assert errors(report) == [(codes.GRAPH, "blocks.bottleneck.layers[0].strides", LINE["conv1"])]
    assert report.findings[0].hint == "did you mean 'strides'?"


def test_an_unknown_key_in_a_blocks_layer_is_one_error_at_the_block():
    report = nnconf.check(changed(RESNET, "name: bn1, inputs: conv1}", "name: bn1, momentun: 0.9, inputs: conv1}"))
    assert errors(report) == [(codes.SCHEMA, "blocks.bottleneck.layers[1].momentun", LINE["bn1"])]
    assert report.findings[0].hint == "did you mean 'momentum'?"


def test_an_unknown_layer_type_in_a_block_is_an_error():
    report = nnconf.check(changed(RESNET, "{type: BatchNormalization, name: bn1", "{type: BatchNormalisation, name: bn1"))
    assert errors(report) == [(codes.SCHEMA, "blocks.bottleneck.layers[1].type", LINE["bn1"])]


def test_wiring_inside_a_block_is_checked_once():
    report = nnconf.check(changed(RESNET, "name: bn2, inputs: conv2}", "name: bn2, inputs: conv3}"))
    assert errors(report) == [(codes.GRAPH, "blocks.bottleneck.layers[4].inputs", 13)]
    assert report.findings[0].hint == "did you mean 'conv2'?"
    report = nnconf.check(changed(RESNET, "    outputs: out\n", "    outputs: ou\n"))
    assert errors(report) == [(codes.GRAPH, "blocks.bottleneck.outputs", 17)]


def test_a_use_giving_the_wrong_number_of_inputs_is_an_error():
    report = nnconf.check(changed(RESNET, "inputs: stage1, filters: 32", "inputs: [stage1, stem], filters: 32"))
    assert errors(report) == [(codes.GRAPH, "model.layers[2].inputs", LINE["stage2"])]
    assert "takes 1 input(s) (x), but use 'stage2' gives 2" in report.findings[0].message


def test_a_use_taking_an_unknown_name_is_an_error_at_the_use():
    report = nnconf.check(changed(RESNET, "inputs: stage1, filters: 32", "inputs: stage0, filters: 32"))
    assert errors(report) == [(codes.GRAPH, "model.layers[2].inputs", LINE["stage2"])]


@pytest.mark.parametrize("entry", ["{apply: conv1, name: again, inputs: x}", "{block: bottleneck, name: inner}"])
def test_a_blocks_layers_are_layers_of_their_own(entry):
    report = nnconf.check(changed(RESNET, "      - {type: Add, name: add", f"      - {entry}\n      - {{type: Add, name: add"))
    assert errors(report) == [(codes.SCHEMA, "blocks.bottleneck.layers[6]", 15)]


def test_a_block_with_two_outputs_in_a_sequential_model_is_an_error():
    report = nnconf.check(changed(STACK, "    outputs: drop\n", "    outputs: [drop, d]\n"))
    assert errors(report) == [(codes.GRAPH, "model.layers[0]", 14), (codes.GRAPH, "model.layers[1]", 15)]


def test_an_unused_layer_of_a_block_is_one_warning_at_the_block():
    text = changed(RESNET, "      - {type: Add, name: add", "      - {type: Dropout, name: spare, rate: 0.1, inputs: x}\n"
                   "      - {type: Add, name: add")
    unused = [f for f in nnconf.check(text).findings if f.rule == codes.UNUSED_LAYER]
    assert [(f.path, f.line) for f in unused] == [("blocks.bottleneck.layers[6]", 15)]


# --- importing nested Keras models -----------------------------------------------------------------


def nested_model() -> keras.Model:
    stack = keras.Sequential([keras.layers.Dense(8, activation="relu", name="d1"),
                              keras.layers.Dense(4, activation="relu", name="d2")], name="stack")
    inner_input = keras.Input((4,), name="features")
    branch = keras.layers.Dense(3, activation="tanh", name="proj")(inner_input)
    merged = keras.layers.Concatenate(name="join")([inner_input, branch])
    graph = keras.Model(inner_input, merged, name="graph")
    x = keras.Input((6,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name="head")(graph(stack(x))), name="nested")


def test_nested_keras_models_import_as_blocks_and_build_back_with_identical_outputs():
    original = nested_model()
    config = config_from_keras(original, task="regression", loss="mse")
    data = yaml.safe_load(config.to_yaml(compact=True))
    assert data["blocks"]["stack"] == {"inputs": "x", "outputs": "d2", "layers": [
        {"type": "Dense", "name": "d1", "units": 8, "activation": "relu", "inputs": "x"},
        {"type": "Dense", "name": "d2", "units": 4, "activation": "relu", "inputs": "d1"}]}
    assert data["blocks"]["graph"]["inputs"] == "features"
    assert data["model"]["layers"][:2] == [{"block": "stack", "name": "stack", "inputs": "x"},
                                           {"block": "graph", "name": "graph", "inputs": "stack"}]
    rebuilt = nnconf.build(config)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in original.layers]
    rebuilt.set_weights(original.get_weights())
    x = np.random.default_rng(0).random((5, 6), dtype="float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), original.predict(x, verbose=0), atol=1e-6)
    assert nnconf.summary(config).total_params == original.count_params()


def test_a_nested_model_in_a_sequential_model_imports_as_a_block(tmp_path):
    original = keras.Sequential([keras.Input((6,)), keras.Sequential([keras.layers.Dense(4, activation="relu")],
                                                                       name="inner"), keras.layers.Dense(1)])
    original.compile(loss="mse")
    original.save(tmp_path / "stack.keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "import", str(tmp_path / "stack.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    config = nnconf.loads(result.stdout)
    assert list(config.blocks) == ["inner"] and config.model.layers[0].block == "inner"
    rebuilt = nnconf.build(config)
    rebuilt.set_weights(original.get_weights())
    x = np.ones((2, 6), "float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), original.predict(x, verbose=0), atol=1e-6)


def test_a_nested_model_applied_twice_or_nested_twice_is_unsupported():
    inner = keras.Sequential([keras.layers.Dense(2)], name="tower")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    twice = keras.Model([a, b], keras.layers.Add()([inner(a), inner(b)]))
    with pytest.raises(UnsupportedModel, match="'tower' is applied 2 times"):
        config_from_keras(twice, task="regression", loss="mse")
    deep = keras.Sequential([keras.Input((3,)), keras.Sequential([keras.Sequential([keras.layers.Dense(2)],
                                                                                    name="core")], name="shell")])
    with pytest.raises(UnsupportedModel, match="'core' is nested in a model that is itself nested"):
        config_from_keras(deep, task="regression", loss="mse")


@pytest.mark.parametrize("target, code, words", [("stage1", codes.GRAPH, "a block's use, not a layer"),
                                                 ("stage1/conv1", codes.SCHEMA, "is not allowed")])
def test_applying_a_block_use_or_a_layer_inside_one_is_an_error(target, code, words):
    text = changed(RESNET, "    - {type: GlobalAveragePooling2D, name: pool, inputs: stage3}",
                   f"    - {{apply: {target}, name: again, inputs: stage3}}\n"
                   "    - {type: GlobalAveragePooling2D, name: pool, inputs: again}")
    report = nnconf.check(text)
    assert errors(report) == [(code, "model.layers[4].apply", 25)]
    assert words in report.findings[0].message


def test_blocks_and_applications_made_in_python_read_as_the_yaml_does():
    from nnconf.layers import Dense

    made = nnconf.Config(
        task="regression", loss="mse",
        blocks={"dense_block": nnconf.Block(inputs="x", arguments={"units": None, "rate": 0.1}, layers=[
            {"type": "Dense", "name": "d", "units": "$units", "activation": "relu", "inputs": "x"},
            {"type": "Dropout", "name": "drop", "rate": "$rate", "inputs": "d"}], outputs="drop")},
        model=nnconf.Sequential(input_shape=[8], layers=[
            nnconf.BlockUse(block="dense_block", name="b1", units=16),
            nnconf.BlockUse(block="dense_block", name="b2", units=8, rate=0.2), Dense(1)]))
    assert made == nnconf.loads(STACK)
    shared = nnconf.Config(task="regression", loss="mse", model=nnconf.FunctionalModel(
        inputs={"a": [3], "b": [3]}, outputs="sum", layers=[
            Dense(2, name="enc", inputs="a"), nnconf.SharedCall(apply="enc", name="enc_b", inputs="b"),
            {"type": "Add", "name": "sum", "inputs": ["enc", "enc_b"]}]))
    assert nnconf.summary(shared).total_params == 8
