"""Severities tuned on real faults (issue 17): what trains correctly is not an error.

- binary crossentropy on two softmax units equals categorical crossentropy for two classes (NN106: info);
- a sigmoid output trained with mse is a warning (NN109), other regression losses on classifiers stay errors;
- a linear layer feeding a nonlinear one is redundant (NN201: warning); a chain with nothing nonlinear
  from the model's input to an output collapses the model (error); a chain is reported once, whole.
"""

from __future__ import annotations

import pytest

from nnconf import api
from nnconf.analysis.lint import run_rules
from nnconf.findings import Severity


def findings(text: str, code: str):
    report = api.check_text(text)
    assert report.config is not None, report.findings
    return [f for f in run_rules(report.config, report.inference, report.source) if f.rule == code]


def model(layers: str, task: str = "multiclass", loss: str = "sparse_categorical_crossentropy") -> str:
    return f"""
task: {task}
model: {{input_shape: [8], layers: {layers}}}
loss: {loss}
"""


# --- NN106 -----------------------------------------------------------------------------------------


def test_binary_crossentropy_on_two_softmax_units_is_information_not_an_error():
    text = model("[{type: Dense, units: 16, activation: relu}, {type: Dense, units: 2, activation: softmax}]",
                 loss="binary_crossentropy")
    [finding] = findings(text, "NN106")
    assert finding.severity is Severity.INFO and "equals categorical crossentropy" in finding.message


@pytest.mark.parametrize("output, loss", [
    ("{type: Dense, units: 3, activation: softmax}", "binary_crossentropy"),  # three classes
    ("{type: Dense, units: 2, activation: sigmoid}", "binary_crossentropy"),  # independent units
    ("{type: Dense, units: 2, activation: softmax}", "binary_focal_crossentropy"),  # not the same loss
])
def test_binary_crossentropy_on_exclusive_classes_stays_an_error(output, loss):
    text = model(f"[{{type: Dense, units: 16, activation: relu}}, {output}]", loss=loss)
    assert [f.severity for f in findings(text, "NN106")] == [Severity.ERROR]


# --- NN109 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "multilabel"])
def test_a_sigmoid_output_trained_with_mse_is_a_warning(task):
    units = 1 if task == "binary" else 4
    text = model(f"[{{type: Dense, units: 16, activation: relu}}, {{type: Dense, units: {units}, activation: sigmoid}}]",
                 task=task, loss="mse")
    [finding] = findings(text, "NN109")
    assert finding.severity is Severity.WARNING and "sigmoid" in finding.message and finding.path == "loss"


@pytest.mark.parametrize("activation, loss", [("softmax", "mse"), ("sigmoid", "mae"), ("linear", "mse")])
def test_other_regression_losses_on_classifiers_stay_errors(activation, loss):
    text = model(f"[{{type: Dense, units: 16, activation: relu}}, {{type: Dense, units: 1, activation: {activation}}}]",
                 task="binary", loss=loss)
    assert [f.severity for f in findings(text, "NN109")] == [Severity.ERROR]


# --- NN201 -----------------------------------------------------------------------------------------


def test_a_linear_layer_feeding_a_nonlinear_one_is_redundant_not_collapsed():
    text = model("[{type: Dense, units: 16}, {type: Dense, units: 16, activation: relu}, {type: Dense, units: 3}]",
                 loss="{name: sparse_categorical_crossentropy, from_logits: true}")
    [finding] = findings(text, "NN201")
    assert finding.severity is Severity.WARNING and finding.path == "model.layers[1]"
    assert "'dense' (linear) adds parameters and nothing else" in finding.message


def test_a_linear_chain_from_the_input_to_the_output_collapses_the_model():
    text = model("[{type: Dense, units: 16}, {type: Dropout, rate: 0.1}, {type: Dense, units: 3, activation: softmax}]")
    [finding] = findings(text, "NN201")
    assert finding.severity is Severity.ERROR and "the model into a linear one" in finding.message


def test_a_linear_layer_after_a_nonlinear_one_is_redundant():
    text = model("[{type: Dense, units: 16, activation: relu}, {type: Dense, units: 16}, {type: Dense, units: 3}]",
                 loss="{name: sparse_categorical_crossentropy, from_logits: true}")
    [finding] = findings(text, "NN201")
    assert finding.severity is Severity.WARNING and finding.path == "model.layers[2]"


def test_a_whole_linear_chain_is_reported_once_and_named_whole():
    text = model("[{type: Dense, units: 16}, {type: Dense, units: 16}, {type: Dense, units: 16},"
                 " {type: Dense, units: 16, activation: relu}, {type: Dense, units: 3}]",
                 loss="{name: sparse_categorical_crossentropy, from_logits: true}")
    [finding] = findings(text, "NN201")
    assert finding.path == "model.layers[1]" and finding.severity is Severity.WARNING
    assert finding.message.startswith("'dense' -> 'dense_1' -> 'dense_2' -> 'dense_3':")
    assert "'dense', 'dense_1', 'dense_2' (linear) add parameters" in finding.message
