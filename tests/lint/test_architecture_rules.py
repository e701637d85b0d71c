"""The architecture lint rules NN201-NN211: each fires on its own failing example, is quiet on its fixed
one, finds located problems beyond its example, and raises no false alarm on well-known good models."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from nnconf.analysis.lint import REGISTRY, run_rules
from nnconf.analysis.lint import architecture
from nnconf.api import check_text
from nnconf.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
CODES = [f"NN2{n:02d}" for n in range(1, 12)]
RULES = [REGISTRY[code] for code in CODES]


def lint(text: str, select=("NN",)):
    """Every finding of the chosen rules for one YAML config, which must itself be valid."""
    report = check_text(textwrap.dedent(text))
    assert report.ok and report.config is not None, [f.format() for f in report.findings]
    return run_rules(report.config, report.inference, report.source, select=select)


def found(text: str, code: str) -> list[tuple[str, str]]:
    """(path, severity) of each finding of one rule."""
    return [(f.path, f.severity.value) for f in lint(text, select=(code,)) if f.rule == code]


def paths(text: str, code: str) -> list[str]:
    return [path for path, _ in found(text, code)]


# --- every rule, on its own examples -----------------------------------------------------------------


def test_every_architecture_rule_is_registered_from_this_module():
    assert [code for code, rule in REGISTRY.items() if rule.__module__ == architecture.__name__] == CODES
    assert len({rule.name for rule in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_rule_documents_itself(rule):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    doc = rule.documentation()
    assert rule.summary() and not rule.summary().startswith("#")
    for section in ("## What it does", "## Why is this bad?", "## Instead"):
        assert section in doc, section


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_failing_example_is_reported(rule):
    findings = lint(rule.failing)
    mine = [f for f in findings if f.rule == rule.code]
    assert mine, [f.format() for f in findings]
    assert all(f.severity is rule.severity for f in mine)
    assert all(f.path.startswith("model.layers[") and f.line is not None for f in mine)


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_fixed_example_is_clean_under_every_rule(rule):
    findings = lint(rule.fixed)
    assert findings == [], [f.format() for f in findings]


def test_design_smells_are_opt_in():
    assert not REGISTRY["NN211"].enabled_by_default
    assert not [f for f in lint(REGISTRY["NN211"].failing, select=()) if f.rule == "NN211"]


# --- NN201 linear stack ------------------------------------------------------------------------------


def test_linear_stack_is_reported_once_at_its_second_layer():
    text = """
    task: multiclass
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 32}
        - {type: Dropout, rate: 0.2}
        - {type: Dense, units: 16}
        - {type: BatchNormalization}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN201") == [("model.layers[2]", "error")]


def test_linear_convolutions_through_batch_norm_and_average_pooling():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 3]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3}
        - {type: BatchNormalization}
        - {type: AveragePooling2D, pool_size: 2}
        - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
        - {type: GlobalAveragePooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert paths(text, "NN201") == ["model.layers[3]"]


def test_linear_stack_in_a_functional_model():
    text = """
    task: regression
    model:
      inputs: {x: [8]}
      layers:
        - {name: hidden, type: Dense, units: 16, inputs: x}
        - {name: drop, type: Dropout, rate: 0.1, inputs: hidden}
        - {name: y, type: Dense, units: 1, inputs: drop}
      outputs: y
    loss: mse
    """
    assert paths(text, "NN201") == ["model.layers[2]"]


@pytest.mark.parametrize("layers", [
    # an activation layer, max pooling, or a nonlinear activation breaks the chain
    "[{type: Dense, units: 16}, {type: ReLU}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16}, {type: Activation, activation: tanh}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16, activation: gelu}, {type: Dropout, rate: 0.1}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16}, {type: BatchNormalization}, {type: LeakyReLU}, {type: Dense, units: 1}]",
])
def test_no_linear_stack_when_something_nonlinear_is_between(layers):
    text = f"""
    task: regression
    model: {{input_shape: [8], layers: {layers}}}
    loss: mse
    """
    assert paths(text, "NN201") == []


def test_max_pooling_counts_as_nonlinear():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 3]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3}
        - {type: MaxPooling2D}
        - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
        - {type: GlobalMaxPooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert paths(text, "NN201") == []


def test_deliberate_factorisations_are_not_linear_stacks():
    # MobileNetV2's linear bottleneck (project to 8 channels, expand again), and a depthwise-separable pair.
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 32]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 1, use_bias: false}
        - {type: BatchNormalization}
        - {type: Conv2D, filters: 32, kernel_size: 1, use_bias: false}
        - {type: BatchNormalization}
        - {type: ReLU, max_value: 6.0}
        - {type: DepthwiseConv2D, kernel_size: 3, use_bias: false}
        - {type: Conv2D, filters: 64, kernel_size: 1, use_bias: false}
        - {type: BatchNormalization}
        - {type: ReLU}
        - {type: GlobalAveragePooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert paths(text, "NN201") == []


def test_linear_autoencoder_bottleneck_is_not_a_linear_stack():
    text = """
    task: regression
    model: {input_shape: [64], layers: [{type: Dense, units: 8}, {type: Dense, units: 64}]}
    loss: mse
    """
    assert paths(text, "NN201") == []


def test_merges_end_a_linear_chain():
    text = """
    task: regression
    model:
      inputs: {a: [8], b: [8]}
      layers:
        - {name: pa, type: Dense, units: 16, inputs: a}
        - {name: pb, type: Dense, units: 16, inputs: b}
        - {name: sum, type: Add, inputs: [pa, pb]}
        - {name: act, type: ReLU, inputs: sum}
        - {name: y, type: Dense, units: 1, inputs: act}
      outputs: y
    loss: mse
    """
    assert paths(text, "NN201") == []


# --- NN202 double activation -------------------------------------------------------------------------


def test_softmax_layer_after_a_softmax_output():
    text = """
    task: multiclass
    model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}, {type: Softmax}]}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN202") == [("model.layers[2]", "warning")]


def test_double_activation_is_located_at_the_activation_argument_through_dropout():
    text = """
    task: binary
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16, activation: relu}
        - {type: Dropout, rate: 0.1}
        - {type: Activation, activation: relu}
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
    """
    assert paths(text, "NN202") == ["model.layers[2].activation"]


@pytest.mark.parametrize("layers", [
    "[{type: Dense, units: 16}, {type: ReLU}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16, activation: relu}, {type: BatchNormalization}, {type: ReLU}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16, activation: relu}, {type: Activation, activation: linear}, {type: Dense, units: 1}]",
    "[{type: Dense, units: 16, activation: relu}, {type: Dense, units: 8}, {type: ELU}, {type: Dense, units: 1}]",
])
def test_no_double_activation(layers):
    text = f"""
    task: regression
    model: {{input_shape: [8], layers: {layers}}}
    loss: mse
    """
    assert paths(text, "NN202") == []


# --- NN203 deep saturating stack ---------------------------------------------------------------------


def _stack(activation: str, depth: int, extra: str = "") -> str:
    hidden = "".join(f"\n        - {{type: Dense, units: 16, activation: {activation}}}" for _ in range(depth))
    return f"""
    task: binary
    model:
      input_shape: [8]
      layers:{hidden}{extra}
        - {{type: Dense, units: 1, activation: sigmoid}}
    loss: binary_crossentropy
    """


def test_six_tanh_layers_are_a_deep_saturating_stack():
    assert found(_stack("tanh", 6), "NN203") == [("model.layers[0].activation", "warning")]


def test_saturating_activation_layers_count_too():
    text = """
    task: regression
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16}
        - {type: Activation, activation: sigmoid}
        - {type: Dense, units: 16}
        - {type: Activation, activation: sigmoid}
        - {type: Dense, units: 16, activation: sigmoid}
        - {type: Dense, units: 16, activation: hard_sigmoid}
        - {type: Dense, units: 1}
    loss: mse
    """
    assert paths(text, "NN203") == ["model.layers[1].activation"]


@pytest.mark.parametrize("text", [
    _stack("tanh", 4),  # LeNet-like depth with tanh trains fine
    _stack("sigmoid", 3),
    _stack("sigmoid", 4, "\n        - {type: BatchNormalization}"),
    _stack("relu", 8),
])
def test_no_deep_saturating_stack(text):
    assert paths(text, "NN203") == []


def test_recurrent_tanh_is_not_counted():
    text = """
    task: binary
    model:
      input_shape: [10, 4]
      layers:
        - {type: LSTM, units: 8, return_sequences: true}
        - {type: LSTM, units: 8, return_sequences: true}
        - {type: GRU, units: 8, return_sequences: true}
        - {type: SimpleRNN, units: 8}
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
    """
    assert paths(text, "NN203") == []


# --- NN204 selu misconfigured ------------------------------------------------------------------------


def test_plain_dropout_in_a_selu_model():
    text = """
    task: binary
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16, activation: selu, kernel_initializer: lecun_normal}
        - {type: Dropout, rate: 0.1}
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
    """
    assert found(text, "NN204") == [("model.layers[1]", "warning")]
    finding = next(f for f in lint(text) if f.rule == "NN204")
    assert "AlphaDropout" in finding.hint and "activation" in finding.hint


def test_selu_activation_layer_checks_the_kernel_before_it():
    text = """
    task: regression
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16, kernel_initializer: he_normal}
        - {type: Activation, activation: selu}
        - {type: Dense, units: 1}
    loss: mse
    """
    assert paths(text, "NN204") == ["model.layers[0].kernel_initializer"]


@pytest.mark.parametrize("initializer", [
    "lecun_normal", "lecun_uniform", "{name: variance_scaling, scale: 1.0, mode: fan_in}",
])
def test_selu_with_lecun_variance_is_fine(initializer):
    text = f"""
    task: regression
    model: {{input_shape: [8], layers: [{{type: Dense, units: 16, activation: selu, kernel_initializer: {initializer}}}, {{type: Dense, units: 1}}]}}
    loss: mse
    """
    assert paths(text, "NN204") == []


def test_dropout_without_selu_is_fine():
    assert paths(REGISTRY["NN209"].fixed, "NN204") == []


# --- NN205 dense without flatten ---------------------------------------------------------------------


def test_dense_on_pooled_sequence_features():
    text = """
    task: binary
    model:
      input_shape: [20, 4]
      layers:
        - {type: Conv1D, filters: 8, kernel_size: 3, activation: relu}
        - {type: MaxPooling1D}
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
    """
    assert found(text, "NN205") == [("model.layers[2]", "error")]
    finding = next(f for f in lint(text) if f.rule == "NN205")
    assert "GlobalAveragePooling1D" in finding.hint


def test_dense_after_conv_through_batch_norm_and_activation():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 3]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3, use_bias: false}
        - {type: BatchNormalization}
        - {type: ReLU}
        - {type: Dense, units: 32, activation: relu}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert paths(text, "NN205") == ["model.layers[3]"]


@pytest.mark.parametrize("text", [
    # segmentation: a prediction per pixel, spatial size kept
    """
    task: multiclass
    model: {input_shape: [16, 16, 3], layers: [{type: Conv2D, filters: 8, kernel_size: 3, padding: same, activation: relu}, {type: Dense, units: 4, activation: softmax}]}
    loss: sparse_categorical_crossentropy
    """,
    # sequence tagging: a prediction per token
    """
    task: multiclass
    model: {input_shape: [20], layers: [{type: Embedding, input_dim: 100, output_dim: 8}, {type: Conv1D, filters: 8, kernel_size: 3, padding: same, activation: relu}, {type: Dense, units: 5, activation: softmax}]}
    loss: sparse_categorical_crossentropy
    """,
    # a regression map
    """
    task: regression
    model: {input_shape: [16, 16, 3], layers: [{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}, {type: Dense, units: 1}]}
    loss: mse
    """,
    # Flatten after the per-position Dense: one prediction per sample after all
    """
    task: binary
    model: {input_shape: [16, 16, 3], layers: [{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}, {type: MaxPooling2D}, {type: Dense, units: 4, activation: relu}, {type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]}
    loss: binary_crossentropy
    """,
    # recurrent sequences into Dense are per-step by design
    """
    task: multiclass
    model: {input_shape: [10, 4], layers: [{type: LSTM, units: 8, return_sequences: true}, {type: Dense, units: 3, activation: softmax}]}
    loss: sparse_categorical_crossentropy
    """,
])
def test_no_dense_without_flatten(text):
    assert paths(text, "NN205") == []


# --- NN206 bias before batch norm --------------------------------------------------------------------


def test_convolution_bias_before_batch_norm():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 3]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3}
        - {type: BatchNormalization}
        - {type: ReLU}
        - {type: GlobalAveragePooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN206") == [("model.layers[0].use_bias", "warning")]


@pytest.mark.parametrize("layers", [
    # the activation comes between the bias and the normalization
    "[{type: Dense, units: 16, activation: relu}, {type: BatchNormalization}, {type: Dense, units: 1}]",
    # no offset in the normalization
    "[{type: Dense, units: 16}, {type: BatchNormalization, center: false}, {type: ReLU}, {type: Dense, units: 1}]",
    # LayerNormalization normalizes across features, which does not remove a per-feature bias
    "[{type: Dense, units: 16}, {type: LayerNormalization}, {type: ReLU}, {type: Dense, units: 1}]",
])
def test_no_bias_before_batch_norm(layers):
    text = f"""
    task: regression
    model: {{input_shape: [8], layers: {layers}}}
    loss: mse
    """
    assert paths(text, "NN206") == []


def test_batch_norm_over_another_axis_keeps_the_bias():
    text = """
    task: regression
    model:
      input_shape: [4, 8]
      layers:
        - {type: Dense, units: 16}
        - {type: BatchNormalization, axis: 1}
        - {type: ReLU}
        - {type: Flatten}
        - {type: Dense, units: 1}
    loss: mse
    """
    assert paths(text, "NN206") == []


# --- NN207 dropout before batch norm -----------------------------------------------------------------


def test_spatial_dropout_then_activation_then_batch_norm():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 3]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3, use_bias: false}
        - {type: SpatialDropout2D, rate: 0.1}
        - {type: ReLU}
        - {type: BatchNormalization}
        - {type: GlobalAveragePooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN207") == [("model.layers[1]", "warning")]


def test_dropout_then_dense_then_batch_norm_is_fine():
    text = """
    task: regression
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16, activation: relu}
        - {type: Dropout, rate: 0.2}
        - {type: Dense, units: 16, use_bias: false}
        - {type: BatchNormalization}
        - {type: ReLU}
        - {type: Dense, units: 1}
    loss: mse
    """
    assert paths(text, "NN207") == []


# --- NN208 dropout before max pooling ----------------------------------------------------------------


def test_dropout_before_max_pooling_1d():
    text = """
    task: binary
    model:
      input_shape: [20, 4]
      layers:
        - {type: Conv1D, filters: 8, kernel_size: 3, activation: relu}
        - {type: Dropout, rate: 0.2}
        - {type: MaxPooling1D}
        - {type: GlobalAveragePooling1D}
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
    """
    assert found(text, "NN208") == [("model.layers[1]", "info")]


@pytest.mark.parametrize("between", ["{type: Dropout, rate: 0.2}, {type: AveragePooling2D, pool_size: 2}",
                                     "{type: SpatialDropout2D, rate: 0.2}, {type: MaxPooling2D}",
                                     "{type: MaxPooling2D}, {type: Dropout, rate: 0.2}"])
def test_no_dropout_before_max_pooling(between):
    text = f"""
    task: binary
    model: {{input_shape: [8, 8, 1], layers: [{{type: Conv2D, filters: 4, kernel_size: 3, activation: relu}}, {between}, {{type: Flatten}}, {{type: Dense, units: 1, activation: sigmoid}}]}}
    loss: binary_crossentropy
    """
    assert paths(text, "NN208") == []


# --- NN209 high dropout ------------------------------------------------------------------------------


def test_high_spatial_dropout_is_located_at_the_rate():
    text = """
    task: binary
    model: {input_shape: [8, 8, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: relu}, {type: SpatialDropout2D, rate: 0.6}, {type: GlobalAveragePooling2D}, {type: Dense, units: 1, activation: sigmoid}]}
    loss: binary_crossentropy
    """
    assert found(text, "NN209") == [("model.layers[1].rate", "warning")]


def test_dropout_of_one_half_is_fine():
    text = """
    task: binary
    model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dropout, rate: 0.5}, {type: Dense, units: 1, activation: sigmoid}]}
    loss: binary_crossentropy
    """
    assert paths(text, "NN209") == []


# --- NN210 dropout at output -------------------------------------------------------------------------


def test_gaussian_noise_on_a_regression_output():
    text = """
    task: regression
    model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}, {type: GaussianNoise, stddev: 0.1}]}
    loss: mse
    """
    assert found(text, "NN210") == [("model.layers[2]", "warning")]


def test_dropout_as_one_output_of_a_functional_model():
    text = """
    task: {a: regression, b: binary}
    model:
      inputs: {x: [8]}
      layers:
        - {name: hidden, type: Dense, units: 16, activation: relu, inputs: x}
        - {name: a_raw, type: Dense, units: 1, inputs: hidden}
        - {name: a, type: Dropout, rate: 0.1, inputs: a_raw}
        - {name: b, type: Dense, units: 1, activation: sigmoid, inputs: hidden}
      outputs: [a, b]
    loss: {a: mse, b: binary_crossentropy}
    """
    assert paths(text, "NN210") == ["model.layers[2]"]


def test_noise_on_the_input_is_fine():
    text = """
    task: regression
    model: {input_shape: [8], layers: [{type: GaussianNoise, stddev: 0.1}, {type: Dense, units: 16, activation: relu}, {type: Dropout, rate: 0.2}, {type: Dense, units: 1}]}
    loss: mse
    """
    assert paths(text, "NN210") == []


# --- NN211 cnn design smells -------------------------------------------------------------------------


def test_dense_widths_growing_towards_the_output():
    text = """
    task: multiclass
    model:
      input_shape: [16, 16, 1]
      layers:
        - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
        - {type: MaxPooling2D}
        - {type: Flatten}
        - {type: Dense, units: 32, activation: relu}
        - {type: Dropout, rate: 0.2}
        - {type: Dense, units: 64, activation: relu}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN211") == [("model.layers[5].units", "info")]


def test_filters_shrinking_along_the_stack():
    text = """
    task: multiclass
    model:
      input_shape: [32, 32, 3]
      layers:
        - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
        - {type: MaxPooling2D}
        - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
        - {type: MaxPooling2D}
        - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
        - {type: GlobalAveragePooling2D}
        - {type: Dense, units: 3, activation: softmax}
    loss: sparse_categorical_crossentropy
    """
    assert found(text, "NN211") == [("model.layers[2].filters", "info")]


@pytest.mark.parametrize("text", [
    # strided convolutions downsample
    """
    task: multiclass
    model: {input_shape: [16, 16, 1], layers: [{type: Conv2D, filters: 8, kernel_size: 3, strides: 2, activation: relu}, {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}, {type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
    loss: sparse_categorical_crossentropy
    """,
    # a dense-prediction network (denoising) needs no pooling
    """
    task: regression
    model: {input_shape: [16, 16, 1], layers: [{type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}, {type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}, {type: Conv2D, filters: 1, kernel_size: 3, padding: same}]}
    loss: mse
    """,
    # a ResNet-style bottleneck narrows and widens again; the 1x1 classifier convolution is no hidden layer
    """
    task: multiclass
    model: {input_shape: [16, 16, 3], layers: [{type: Conv2D, filters: 64, kernel_size: 3, activation: relu}, {type: MaxPooling2D}, {type: Conv2D, filters: 16, kernel_size: 1, activation: relu}, {type: Conv2D, filters: 64, kernel_size: 1, activation: relu}, {type: Conv2D, filters: 10, kernel_size: 1}, {type: GlobalAveragePooling2D}, {type: Softmax}]}
    loss: sparse_categorical_crossentropy
    """,
    # a convolutional decoder shrinks its filters by design
    """
    task: regression
    model: {input_shape: [16], layers: [{type: Dense, units: 256, activation: relu}, {type: Reshape, target_shape: [4, 4, 16]}, {type: UpSampling2D}, {type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu}, {type: Conv2D, filters: 8, kernel_size: 3, padding: same, activation: relu}, {type: Conv2D, filters: 1, kernel_size: 3, padding: same}]}
    loss: mse
    """,
])
def test_no_cnn_design_smell(text):
    assert paths(text, "NN211") == []


# --- no false alarms on good models ------------------------------------------------------------------

CLEAN = {
    "mlp-regression": """
        task: regression
        model: {input_shape: [13], layers: [{type: Dense, units: 64, activation: relu}, {type: Dense, units: 64, activation: relu}, {type: Dense, units: 1}]}
        loss: mse
        metrics: [mae]
    """,
    "binary-sigmoid": """
        task: binary
        model: {input_shape: [20], layers: [{type: Dense, units: 32, activation: relu}, {type: Dropout, rate: 0.2}, {type: Dense, units: 1, activation: sigmoid}]}
        loss: binary_crossentropy
        metrics: [accuracy]
    """,
    "binary-logits": """
        task: binary
        model: {input_shape: [20], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 1}]}
        loss: {name: binary_crossentropy, from_logits: true}
    """,
    "multiclass-softmax": """
        task: multiclass
        model: {input_shape: [64], layers: [{type: Dense, units: 128, activation: relu}, {type: Dropout, rate: 0.5}, {type: Dense, units: 10, activation: softmax}]}
        loss: sparse_categorical_crossentropy
    """,
    "multiclass-logits": """
        task: multiclass
        model: {input_shape: [28, 28], layers: [{type: Flatten}, {type: Dense, units: 128, activation: relu}, {type: Dense, units: 10}]}
        loss: {name: sparse_categorical_crossentropy, from_logits: true}
    """,
    "lenet5-tanh": """
        task: multiclass
        model:
          input_shape: [32, 32, 1]
          layers:
            - {type: Conv2D, filters: 6, kernel_size: 5, activation: tanh}
            - {type: AveragePooling2D, pool_size: 2}
            - {type: Conv2D, filters: 16, kernel_size: 5, activation: tanh}
            - {type: AveragePooling2D, pool_size: 2}
            - {type: Flatten}
            - {type: Dense, units: 120, activation: tanh}
            - {type: Dense, units: 84, activation: tanh}
            - {type: Dense, units: 10, activation: softmax}
        loss: sparse_categorical_crossentropy
    """,
    "lenet5-relu": """
        task: multiclass
        model:
          input_shape: [28, 28, 1]
          layers:
            - {type: Conv2D, filters: 6, kernel_size: 5, padding: same, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 16, kernel_size: 5, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 120, activation: relu}
            - {type: Dense, units: 84, activation: relu}
            - {type: Dense, units: 10}
        loss: {name: sparse_categorical_crossentropy, from_logits: true}
    """,
    "vgg-small": """
        task: multiclass
        model:
          input_shape: [32, 32, 3]
          layers:
            - {type: Rescaling, scale: 0.00392156862745098}
            - {type: Conv2D, filters: 32, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: ReLU}
            - {type: Conv2D, filters: 32, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: ReLU}
            - {type: MaxPooling2D}
            - {type: Dropout, rate: 0.25}
            - {type: Conv2D, filters: 64, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: ReLU}
            - {type: Conv2D, filters: 64, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: ReLU}
            - {type: MaxPooling2D}
            - {type: Dropout, rate: 0.25}
            - {type: GlobalAveragePooling2D}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dropout, rate: 0.5}
            - {type: Dense, units: 10, activation: softmax}
        loss: sparse_categorical_crossentropy
    """,
    "text-cnn": """
        task: binary
        model:
          input_shape: [200]
          layers:
            - {type: Embedding, input_dim: 20000, output_dim: 64}
            - {type: Conv1D, filters: 128, kernel_size: 5, activation: relu}
            - {type: GlobalMaxPooling1D}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dropout, rate: 0.5}
            - {type: Dense, units: 1, activation: sigmoid}
        loss: binary_crossentropy
    """,
    "lstm-classifier": """
        task: binary
        model:
          input_shape: [100]
          layers:
            - {type: Embedding, input_dim: 10000, output_dim: 32, mask_zero: true}
            - {type: LSTM, units: 32}
            - {type: Dense, units: 1, activation: sigmoid}
        loss: binary_crossentropy
    """,
    "dense-autoencoder-sigmoid": """
        task: multilabel
        model:
          input_shape: [784]
          layers:
            - {type: Dense, units: 128, activation: sigmoid}
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 128, activation: sigmoid}
            - {type: Dense, units: 784, activation: sigmoid}
        loss: binary_crossentropy
    """,
    "dense-autoencoder-mse": """
        task: regression
        model:
          input_shape: [784]
          layers:
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 784}
        loss: mse
    """,
    "selu-mlp": """
        task: regression
        model:
          input_shape: [8]
          layers:
            - {type: Dense, units: 64, activation: selu, kernel_initializer: lecun_normal}
            - {type: Dense, units: 64, activation: selu, kernel_initializer: lecun_normal}
            - {type: Dense, units: 1}
        loss: mse
    """,
    "multi-output": """
        task: {digit: multiclass, parity: binary}
        model:
          inputs: {image: [28, 28], meta: [4]}
          layers:
            - {name: flat, type: Flatten, inputs: image}
            - {name: hidden, type: Dense, units: 64, activation: relu, inputs: flat}
            - {name: merged, type: Concatenate, inputs: [hidden, meta]}
            - {name: digit, type: Dense, units: 10, activation: softmax, inputs: merged}
            - {name: parity, type: Dense, units: 1, activation: sigmoid, inputs: merged}
          outputs: [digit, parity]
        loss: {digit: sparse_categorical_crossentropy, parity: binary_crossentropy}
    """,
    "mobilenetv2-block": """
        task: multiclass
        model:
          inputs: {image: [32, 32, 16]}
          layers:
            - {name: expand, type: Conv2D, filters: 96, kernel_size: 1, use_bias: false, inputs: image}
            - {name: bn1, type: BatchNormalization, inputs: expand}
            - {name: r1, type: ReLU, max_value: 6.0, inputs: bn1}
            - {name: dw, type: DepthwiseConv2D, kernel_size: 3, padding: same, use_bias: false, inputs: r1}
            - {name: bn2, type: BatchNormalization, inputs: dw}
            - {name: r2, type: ReLU, max_value: 6.0, inputs: bn2}
            - {name: project, type: Conv2D, filters: 16, kernel_size: 1, use_bias: false, inputs: r2}
            - {name: bn3, type: BatchNormalization, inputs: project}
            - {name: add, type: Add, inputs: [image, bn3]}
            - {name: gap, type: GlobalAveragePooling2D, inputs: add}
            - {name: out, type: Dense, units: 10, inputs: gap}
          outputs: out
        loss: {name: sparse_categorical_crossentropy, from_logits: true}
    """,
    "gan-generator": """
        task: regression
        model:
          input_shape: [100]
          layers:
            - {type: Dense, units: 12544, use_bias: false}
            - {type: BatchNormalization}
            - {type: LeakyReLU}
            - {type: Reshape, target_shape: [7, 7, 256]}
            - {type: Conv2DTranspose, filters: 128, kernel_size: 5, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: LeakyReLU}
            - {type: Conv2DTranspose, filters: 64, kernel_size: 5, strides: 2, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: LeakyReLU}
            - {type: Conv2DTranspose, filters: 1, kernel_size: 5, strides: 2, padding: same}
        loss: mse
    """,
    "dcgan-discriminator": """
        task: binary
        model:
          input_shape: [28, 28, 1]
          layers:
            - {type: Conv2D, filters: 64, kernel_size: 5, strides: 2, padding: same}
            - {type: LeakyReLU}
            - {type: Dropout, rate: 0.3}
            - {type: Conv2D, filters: 128, kernel_size: 5, strides: 2, padding: same}
            - {type: LeakyReLU}
            - {type: Dropout, rate: 0.3}
            - {type: Flatten}
            - {type: Dense, units: 1}
        loss: {name: binary_crossentropy, from_logits: true}
    """,
    "cnn-lstm": """
        task: multiclass
        model:
          input_shape: [10, 32, 32, 3]
          layers:
            - {type: TimeDistributed, layer: {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}}
            - {type: TimeDistributed, layer: {type: MaxPooling2D}}
            - {type: TimeDistributed, layer: {type: Flatten}}
            - {type: LSTM, units: 32}
            - {type: Dense, units: 5, activation: softmax}
        loss: sparse_categorical_crossentropy
    """,
    "unet-mini": """
        task: binary
        model:
          inputs: {image: [32, 32, 3]}
          layers:
            - {name: c1, type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu, inputs: image}
            - {name: p1, type: MaxPooling2D, inputs: c1}
            - {name: c2, type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu, inputs: p1}
            - {name: u1, type: UpSampling2D, inputs: c2}
            - {name: cat, type: Concatenate, inputs: [u1, c1]}
            - {name: c3, type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu, inputs: cat}
            - {name: mask, type: Conv2D, filters: 1, kernel_size: 1, activation: sigmoid, inputs: c3}
          outputs: mask
        loss: binary_crossentropy
    """,
    "transformer-block": """
        task: multiclass
        model:
          inputs: {tokens: [16]}
          layers:
            - {name: emb, type: Embedding, input_dim: 1000, output_dim: 32, inputs: tokens}
            - {name: att, type: MultiHeadAttention, num_heads: 2, key_dim: 16, inputs: [emb, emb]}
            - {name: drop1, type: Dropout, rate: 0.1, inputs: att}
            - {name: add1, type: Add, inputs: [emb, drop1]}
            - {name: ln1, type: LayerNormalization, inputs: add1}
            - {name: ff1, type: Dense, units: 64, activation: relu, inputs: ln1}
            - {name: ff2, type: Dense, units: 32, inputs: ff1}
            - {name: drop2, type: Dropout, rate: 0.1, inputs: ff2}
            - {name: add2, type: Add, inputs: [ln1, drop2]}
            - {name: ln2, type: LayerNormalization, inputs: add2}
            - {name: pool, type: GlobalAveragePooling1D, inputs: ln2}
            - {name: out, type: Dense, units: 4, activation: softmax, inputs: pool}
          outputs: out
        loss: sparse_categorical_crossentropy
    """,
    "conv-autoencoder": """
        task: multilabel
        model:
          input_shape: [28, 28, 1]
          layers:
            - {type: Conv2D, filters: 32, kernel_size: 3, strides: 2, padding: same, activation: relu}
            - {type: Conv2D, filters: 64, kernel_size: 3, strides: 2, padding: same, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 16}
            - {type: Dense, units: 3136, activation: relu}
            - {type: Reshape, target_shape: [7, 7, 64]}
            - {type: Conv2DTranspose, filters: 64, kernel_size: 3, strides: 2, padding: same, activation: relu}
            - {type: Conv2DTranspose, filters: 32, kernel_size: 3, strides: 2, padding: same, activation: relu}
            - {type: Conv2D, filters: 1, kernel_size: 3, padding: same, activation: sigmoid}
        loss: binary_crossentropy
    """,
    "tcn": """
        task: regression
        model:
          input_shape: [64, 1]
          layers:
            - {type: Conv1D, filters: 16, kernel_size: 3, padding: causal, dilation_rate: 1, activation: relu}
            - {type: Conv1D, filters: 16, kernel_size: 3, padding: causal, dilation_rate: 2, activation: relu}
            - {type: Conv1D, filters: 16, kernel_size: 3, padding: causal, dilation_rate: 4, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 1}
        loss: mse
    """,
    "imdb-bilstm": """
        task: binary
        model:
          input_shape: [null]
          layers:
            - {type: Embedding, input_dim: 20000, output_dim: 128}
            - {type: Bidirectional, layer: {type: LSTM, units: 64, return_sequences: true}}
            - {type: Bidirectional, layer: {type: LSTM, units: 64}}
            - {type: Dense, units: 1, activation: sigmoid}
        loss: binary_crossentropy
    """,
}
SHIPPED = sorted((ROOT / "configs").glob("*.yaml")) + sorted((ROOT / "tests" / "fixtures" / "clean").glob("*.yaml"))


def _clean_findings(text: str) -> list[str]:
    """Findings of every rule enabled by default, and of every architecture rule (opt-in ones included)."""
    opt_in = [f for f in lint(text, select=("NN2",)) if not REGISTRY[f.rule].enabled_by_default]
    findings = lint(text, select=()) + opt_in
    return [f.format() for f in findings]


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_good_models_raise_no_alarm(name):
    assert _clean_findings(CLEAN[name]) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_shipped_and_fixture_configs_raise_no_alarm(path):
    assert _clean_findings(path.read_text()) == []


def test_severities_match_the_catalog():
    expected = {"NN201": Severity.ERROR, "NN205": Severity.ERROR, "NN208": Severity.INFO, "NN211": Severity.INFO}
    for code in CODES:
        assert REGISTRY[code].severity is expected.get(code, Severity.WARNING), code
