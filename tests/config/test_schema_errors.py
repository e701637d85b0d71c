"""Schema errors: unknown keys are never dropped, names get 'did you mean', every problem is located."""

from __future__ import annotations

import textwrap

import pytest

import nnconf.api

from nnconf import codes
from nnconf.findings import Severity

from tests.config.helpers import MINIMAL, by_path, check, describe, errors

# --- 4. unknown keys are errors, never dropped ---------------------------------------------------


@pytest.mark.parametrize(("text", "path"), [
    (MINIMAL + "epochs: 10\n", "epochs"),
    (MINIMAL.replace("input_shape: [4]", "input_shape: [4]\n  batch_size: 32"), "model.batch_size"),
    (MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, dropout: 0.5}"), "model.layers[0].dropout"),
    (MINIMAL + "optimizer: {name: adam, momentum: 0.9}\n", "optimizer.momentum"),
    (MINIMAL.replace("loss: binary_crossentropy", "loss: {name: binary_crossentropy, logits: true}"),
     "loss.logits"),
    (MINIMAL + "metrics: [{name: auc, thresholds: 10}]\n", "metrics[0].thresholds"),
    (MINIMAL.replace("activation: sigmoid}", "activation: {name: sigmoid, alpha: 1.0}}"),
     "model.layers[0].activation"),
    (MINIMAL.replace("activation: sigmoid}", "kernel_initializer: {name: zeros, seed: 1}}"),
     "model.layers[0].kernel_initializer.seed"),
    (MINIMAL + "lint: {ignore: [], disable: [NN101]}\n", "lint.disable"),
])
def test_unknown_keys_are_errors_not_dropped(text, path):
    report = check(text)
    assert report.config is None, "an unknown key was silently dropped"
    finding = by_path(errors(report), path)
    assert finding.rule == codes.SCHEMA
    assert finding.file == "test.yaml" and finding.line is not None and finding.column is not None


def test_unknown_key_is_located_at_the_key():
    report = check("""
        task: binary
        model:
          input_shape: [4]
          layers:
            - type: Dense
              units: 1
              unitz: 2
        loss: binary_crossentropy
    """)
    finding = by_path(report.findings, "model.layers[0].unitz")
    assert (finding.line, finding.column) == (7, 7)
    assert "unknown key 'unitz'" in finding.message


def test_unknown_top_level_key_lists_the_allowed_keys_when_nothing_is_close():
    finding = by_path(check(MINIMAL + "zzzzzz: 1\n").findings, "zzzzzz")
    for key in ("task", "model", "loss", "optimizer", "metrics"):
        assert key in finding.hint


DID_YOU_MEAN = [
    pytest.param(MINIMAL + "optimiser: adam\n", "optimiser", "optimizer", id="top-level-key"),
    pytest.param(MINIMAL.replace("units: 1,", "unit: 1,"), "model.layers[0].unit", "units", id="layer-key"),
    pytest.param(MINIMAL + "optimizer: {name: adam, learning_rte: 0.1}\n", "optimizer.learning_rte",
                 "learning_rate", id="optimizer-key"),
    pytest.param(MINIMAL.replace("loss: binary_crossentropy", "loss: {name: binary_crossentropy, from_logit: true}"),
                 "loss.from_logit", "from_logits", id="loss-key"),
    pytest.param(MINIMAL.replace("type: Dense", "type: Dence"), "model.layers[0]", "Dense", id="layer-type"),
    pytest.param(MINIMAL.replace("type: Dense", "type: dense"), "model.layers[0]", "Dense", id="layer-type-case"),
    pytest.param(MINIMAL.replace("activation: sigmoid", "activation: sigmoud"), "model.layers[0].activation",
                 "sigmoid", id="activation"),
    pytest.param(MINIMAL.replace("activation: sigmoid", "activation: {name: reluu}"),
                 "model.layers[0].activation.name", "relu", id="activation-mapping"),
    pytest.param(MINIMAL.replace("loss: binary_crossentropy", "loss: binary_crossentropi"), "loss",
                 "binary_crossentropy", id="loss"),
    pytest.param(MINIMAL + "optimizer: adamw_\n", "optimizer", "adamw", id="optimizer"),
    pytest.param(MINIMAL + "optimizer: {name: rmsprob}\n", "optimizer", "rmsprop", id="optimizer-mapping"),
    pytest.param(MINIMAL + "metrics: [acuracy]\n", "metrics[0]", "accuracy", id="metric"),
    pytest.param(MINIMAL + "metrics: [{name: aucc}]\n", "metrics[0]", "auc", id="metric-mapping"),
    pytest.param(MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, kernel_initializer: he_normall}"),
                 "model.layers[0].kernel_initializer", "he_normal", id="initializer"),
    pytest.param(MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, kernel_regularizer: l1_l3}"),
                 "model.layers[0].kernel_regularizer", "l1_l2", id="regularizer"),
    pytest.param(MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, kernel_constraint: nonneg}"),
                 "model.layers[0].kernel_constraint", "non_neg", id="constraint"),
    pytest.param(MINIMAL.replace("task: binary", "task: multiclas"), "task", "multiclass", id="task"),
    pytest.param(MINIMAL + "optimizer: {name: sgd, learning_rate: {name: exponential_decai, "
                 "initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5}}\n",
                 "optimizer.learning_rate", "exponential_decay", id="learning-rate-schedule"),
]


@pytest.mark.parametrize(("text", "path", "suggestion"), DID_YOU_MEAN)
def test_misspelt_names_get_did_you_mean(text, path, suggestion):
    report = check(text)
    assert report.config is None
    finding = by_path(errors(report), path)
    assert finding.rule == codes.SCHEMA
    assert finding.hint is not None and f"did you mean {suggestion!r}?" in finding.hint, describe(report)
    assert finding.line is not None and finding.column is not None


@pytest.mark.parametrize(("text", "path", "word"), [
    (MINIMAL.replace("type: Dense", "type: Dnese"), "model.layers[0]", "layer type 'Dnese'"),
    (MINIMAL + "optimizer: adamm\n", "optimizer", "optimizer 'adamm'"),
    (MINIMAL.replace("loss: binary_crossentropy", "loss: crossentropy"), "loss", "loss 'crossentropy'"),
    (MINIMAL + "metrics: [acuracy]\n", "metrics[0]", "metric 'acuracy'"),
    (MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, bias_initializer: zeroes}"),
     "model.layers[0].bias_initializer", "initializer 'zeroes'"),
])
def test_unknown_names_say_what_kind_of_name(text, path, word):
    finding = by_path(check(text).findings, path)
    assert f"unknown {word}" in finding.message


def test_unknown_name_far_from_any_lists_the_choices():
    finding = by_path(check(MINIMAL + "optimizer: qqqqq\n").findings, "optimizer")
    assert "did you mean" not in finding.hint
    assert "adam" in finding.hint and "sgd" in finding.hint


@pytest.mark.parametrize(("text", "path", "choice"), [
    (MINIMAL + "optimizer: {learning_rate: 0.1}\n", "optimizer", "adam"),
    (MINIMAL + "metrics: [{threshold: 0.4}]\n", "metrics[0]", "binary_accuracy"),
    (MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, kernel_initializer: {seed: 1}}"),
     "model.layers[0].kernel_initializer", "glorot_uniform"),
])
def test_missing_name_lists_the_choices(text, path, choice):
    finding = by_path(check(text).findings, path)
    assert "missing required key 'name'" in finding.message
    assert choice in finding.hint


def test_wrong_learning_rate_message_is_readable():
    finding = by_path(check(MINIMAL + "optimizer: {name: adam, learning_rate: fast}\n").findings,
                      "optimizer.learning_rate")
    assert "_name_of" not in finding.message and "Input tag" not in finding.message
    assert "'fast'" in finding.message


# --- value errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("replace", "path", "words"), [
    (("units: 1,", "units: 0,"), "model.layers[0].units", "units should be greater than 0, found 0"),
    (("units: 1,", "units: two,"), "model.layers[0].units", "units should be an integer, found 'two'"),
    (("units: 1,", "units: 1.5,"), "model.layers[0].units", "units should be an integer, found 1.5"),
    (("units: 1,", "units: '1',"), "model.layers[0].units", "units should be an integer, found '1'"),
    (("input_shape: [4]", "input_shape: []"), "model.input_shape", "input_shape should have at least 1 item, found []"),
    (("input_shape: [4]", "input_shape: [-4]"), "model.input_shape[0]",
     "input_shape should be greater than 0, found -4"),
    (("task: binary", "task: classification"), "task", "allowed values"),
])
def test_values_that_do_not_fit_are_errors(replace, path, words):
    report = check(MINIMAL.replace(*replace))
    finding = by_path(errors(report), path)
    assert words in finding.message, describe(report)


@pytest.mark.parametrize(("extra", "path"), [
    ("seed: -1\n", "seed"),
    ("seed: 4294967296\n", "seed"),
    ("name: 'has spaces'\n", "name"),
    ("loss_weights: 0\n", "loss_weights"),
    ("metrics: accuracy\n", "metrics"),
    ("lint: {ignore: [E501]}\n", "lint.ignore[0]"),
    ("optimizer: {name: adam, beta_1: 1.0}\n", "optimizer.beta_1"),
    ("optimizer: {name: adam, learning_rate: .nan}\n", "optimizer.learning_rate"),
])
def test_top_level_value_errors(extra, path):
    by_path(errors(check(MINIMAL + extra)), path)


@pytest.mark.parametrize("rate", ["-0.001", "0"])
def test_a_non_positive_learning_rate_is_a_lint_error_not_a_schema_error(rate):
    # The schema takes any finite rate (a cosine warmup legitimately starts at 0); lint rule NN401
    # judges the range, with the optimizer's own default in mind.
    text = textwrap.dedent(MINIMAL) + f"optimizer: {{name: adam, learning_rate: {rate}}}\n"
    assert check(MINIMAL + f"optimizer: {{name: adam, learning_rate: {rate}}}\n").ok
    findings = nnconf.api.lint_text(text).findings
    assert [(f.rule, f.path, f.severity.value) for f in findings] == [("NN401", "optimizer.learning_rate", "error")]


def test_missing_required_keys_are_all_reported_at_their_parent():
    report = check("""
        name: incomplete
        model:
          layers:
            - type: Dense
    """)
    missing = {f.path: (f.line, f.column) for f in report.findings if "missing" in f.message}
    assert missing == {
        "task": (1, 1),
        "loss": (1, 1),
        "model.input_shape": (3, 3),
        "model.layers[0].units": (4, 7),
    }, describe(report)


def test_sequential_layer_with_inputs_is_an_error():
    report = check(MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, inputs: x}"))
    assert any("functional" in f.message for f in errors(report)), describe(report)


# --- 5. all problems at once, each located ---------------------------------------------------------

MANY_PROBLEMS = """
    name: many-problems
    task: binary
    model:
      input_shape: [4]
      layers:
        - type: Dense
          units: 8
          activation: relu
          activation: tanh
        - type: Dropout
          rate: 1.5
        - type: Dense
          units: -1
          kernel_initializer: !!python/name:os.system
        - {type: Dense, units: 1, activation: sigmoid, use_bias: yes}
    loss: binary_crossentropy
    optimizer: {name: adam, learning_rate: 0.01, beta_2: 2}
    metrics: [accuracy, acuracy]
    epochs: 10
"""


def test_every_problem_in_a_file_is_reported_at_once_and_located():
    report = check(MANY_PROBLEMS, name="many.yaml")
    located = [(f.rule, f.line, f.column, f.path) for f in report.findings if f.rule == codes.SCHEMA]
    assert located == [
        (codes.SCHEMA, 11, 13, "model.layers[1].rate"),
        (codes.SCHEMA, 13, 14, "model.layers[2].units"),
        (codes.SCHEMA, 15, 62, "model.layers[3].use_bias"),
        (codes.SCHEMA, 17, 54, "optimizer.beta_2"),
        (codes.SCHEMA, 18, 21, "metrics[1]"),
        (codes.SCHEMA, 19, 1, "epochs"),
    ], describe(report)
    reading = [(f.rule, f.line, f.column) for f in report.findings if f.rule == codes.YAML]
    assert reading == [(codes.YAML, 9, 7), (codes.YAML, 14, 27)], describe(report)
    assert all(f.file == "many.yaml" and f.severity is Severity.ERROR for f in report.findings)
    assert report.config is None


def test_findings_come_sorted_by_position():
    findings = check(MANY_PROBLEMS).findings
    positions = [(f.line or 0, f.column or 0) for f in findings]
    assert positions == sorted(positions)


def test_formatted_finding_is_file_line_column_then_path():
    finding = by_path(check(MANY_PROBLEMS, name="many.yaml").findings, "model.layers[2].units")
    assert finding.format().startswith(f"many.yaml:13:14: error {codes.SCHEMA} ")
    assert finding.format().splitlines()[0].endswith("[model.layers[2].units]")


def test_one_problem_per_layer_in_a_long_list_is_each_reported():
    layers = "\n".join(f"    - {{type: Dense, units: {-i}}}" for i in range(1, 21))
    text = "task: regression\nmodel:\n  input_shape: [4]\n  layers:\n" + layers + "\nloss: mse\n"
    report = check(text)
    assert [f.path for f in errors(report)] == [f"model.layers[{i}].units" for i in range(20)]
    assert [f.line for f in errors(report)] == list(range(5, 25))
