"""NN3xx (initialization and regularization) and NN4xx (optimizer) lint rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnconf import api
from nnconf.analysis.lint import REGISTRY, apply_ignores, run_rules
from nnconf.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
CODES = ["NN301", "NN302", "NN303", "NN304", "NN401", "NN402", "NN403", "NN404", "NN405", "NN406"]


def lint(text: str, select=("NN",)):
    """Every finding for a config: load, schema and shape findings, then the chosen lint rules."""
    report = api.check_text(text)
    assert report.config is not None, report.findings
    findings = list(report.findings)
    findings += run_rules(report.config, report.inference, report.source, select=select)
    return apply_ignores(findings, report.config, report.source, select=select)


def of(code: str, text: str, select=("NN",)):
    return [finding for finding in lint(text, select) if finding.rule == code]


def paths(code: str, text: str, select=("NN",)) -> list[str]:
    return [finding.path for finding in of(code, text, select)]


def mlp(hidden: str, output: str = "{type: Dense, units: 1}", *, optimizer: str = "adam", loss: str = "mse",
        input_shape: str = "[8]") -> str:
    return f"""
task: regression
model: {{input_shape: {input_shape}, layers: [{hidden}, {output}]}}
loss: {loss}
optimizer: {optimizer}
"""


HE_RELU = "{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}"


def with_optimizer(optimizer: str) -> str:
    return mlp(HE_RELU, optimizer=optimizer)


CNN = """
task: multiclass
model:
  input_shape: [16, 16, 3]
  layers:
    - {hidden}
    - {{type: GlobalAveragePooling2D}}
    - {{type: Dense, units: 4}}
loss: {{name: sparse_categorical_crossentropy, from_logits: true}}
"""

SEQUENCE = """
task: regression
model:
  input_shape: [10, 4]
  layers:
    - {hidden}
    - {{type: Dense, units: 1}}
loss: mse
"""

FUNCTIONAL = """
task: {{a: regression, b: regression}}
model:
  inputs: {{x: [8]}}
  layers:
    - {{name: trunk, type: Dense, units: 16, activation: relu, kernel_initializer: he_normal, inputs: x}}
    - {{name: a, type: Dense, units: 1, inputs: trunk}}
    - {{name: b, type: Dense, units: 1, inputs: trunk}}
  outputs: [a, b]
loss: {loss}
"""


# --- every rule: registered, fires on its failing example, and its fixed example is clean ----------


@pytest.mark.parametrize("code", CODES)
def test_rule_is_registered(code):
    rule = REGISTRY[code]
    assert rule.code == code and rule.name and rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Instead"):
        assert section in rule.documentation()


@pytest.mark.parametrize("code", CODES)
def test_failing_example_fires(code):
    assert of(code, REGISTRY[code].failing)


@pytest.mark.parametrize("code", CODES)
def test_failing_example_fires_with_default_selection(code):
    rule = REGISTRY[code]
    select = () if rule.enabled_by_default else (code,)
    assert of(code, rule.failing, select)


@pytest.mark.parametrize("code", CODES)
def test_fixed_example_is_clean_under_every_rule(code):
    assert lint(REGISTRY[code].fixed) == []


def test_severities_and_opt_in():
    assert REGISTRY["NN301"].severity == Severity.ERROR
    assert REGISTRY["NN302"].severity == Severity.INFO and not REGISTRY["NN302"].enabled_by_default
    assert REGISTRY["NN303"].severity == Severity.INFO and REGISTRY["NN303"].enabled_by_default
    assert REGISTRY["NN304"].severity == Severity.WARNING
    assert REGISTRY["NN403"].severity == Severity.ERROR
    assert REGISTRY["NN404"].severity == REGISTRY["NN405"].severity == REGISTRY["NN402"].severity == Severity.WARNING


# --- NN301 constant kernel init -------------------------------------------------------------------


def test_nn301_conv_kernel_ones():
    text = CNN.format(hidden="{type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: ones}")
    assert paths("NN301", text) == ["model.layers[0].kernel_initializer"]


def test_nn301_constant_in_functional_trunk():
    text = FUNCTIONAL.format(loss="mse").replace("kernel_initializer: he_normal",
                                                 "kernel_initializer: {name: constant, value: 0.5}")
    findings = of("NN301", text)
    assert [f.path for f in findings] == ["model.layers[0].kernel_initializer"]
    assert "constant (0.5)" in findings[0].message and findings[0].line is not None


def test_nn301_wrapped_recurrent_layer():
    text = SEQUENCE.format(hidden="{type: Bidirectional, layer: {type: LSTM, units: 8, kernel_initializer: zeros}}")
    assert paths("NN301", text) == ["model.layers[0].layer.kernel_initializer"]


def test_nn301_separable_pointwise_and_depthwise_multiplier():
    text = CNN.format(hidden="{type: SeparableConv2D, filters: 8, kernel_size: 3, depth_multiplier: 2, "
                             "depthwise_initializer: ones, pointwise_initializer: zeros}")
    assert paths("NN301", text) == ["model.layers[0].depthwise_initializer",
                                    "model.layers[0].pointwise_initializer"]


def test_nn301_single_unit_dead_relu():
    text = mlp("{type: Dense, units: 1, activation: relu, kernel_initializer: zeros}")
    assert "never learns" in of("NN301", text)[0].message


def test_nn301_zero_output_layer_is_fine():
    assert of("NN301", mlp(HE_RELU, "{type: Dense, units: 1, kernel_initializer: zeros}")) == []
    # The output layer with its activation as a separate layer is still the output layer.
    text = f"""
task: multiclass
model: {{input_shape: [8], layers: [{HE_RELU}, {{type: Dense, units: 3, kernel_initializer: zeros}},
        {{type: Activation, activation: softmax}}]}}
loss: sparse_categorical_crossentropy
"""
    assert of("NN301", text) == []


def test_nn301_inline_weights_are_skipped():
    text = mlp("{type: Dense, units: 2, activation: tanh, kernel_initializer: zeros, "
               "weights: {kernel: [[1.0, 0.5], [-0.5, 1.0]], bias: [0.0, 0.0]}}", input_shape="[2]")
    assert of("NN301", text) == []


@pytest.mark.parametrize("hidden", [
    "{type: LSTM, units: 8, recurrent_initializer: zeros}",  # the input kernel tells the units apart
    "{type: SimpleRNN, units: 8, recurrent_initializer: {name: constant, value: 0.0}}",
])
def test_nn301_constant_recurrent_kernel_alone_is_fine(hidden):
    assert of("NN301", SEQUENCE.format(hidden=hidden)) == []


def test_nn301_embedding_and_depthwise_without_multiplier_are_fine():
    text = CNN.format(hidden="{type: DepthwiseConv2D, kernel_size: 3, depthwise_initializer: ones}")
    assert of("NN301", text) == []
    embedding = """
task: regression
model: {input_shape: [5], layers: [{type: Embedding, input_dim: 50, output_dim: 8, embeddings_initializer: zeros},
        {type: GlobalAveragePooling1D}, {type: Dense, units: 1}]}
loss: mse
"""
    assert of("NN301", embedding) == []


# --- NN302 init vs activation (opt-in) ------------------------------------------------------------


def test_nn302_is_opt_in():
    text = mlp("{type: Dense, units: 16, activation: relu}")
    assert of("NN302", text, select=()) == []
    assert paths("NN302", text, select=("NN302",)) == ["model.layers[0].kernel_initializer"]


def test_nn302_conv_relu_with_default_glorot():
    text = CNN.format(hidden="{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}")
    assert paths("NN302", text) == ["model.layers[0].kernel_initializer"]


def test_nn302_activation_layer_after_linear_dense():
    text = f"""
task: regression
model: {{input_shape: [8], layers: [{{type: Dense, units: 16, kernel_initializer: lecun_normal}}, {{type: ReLU}},
        {{type: Dense, units: 1}}]}}
loss: mse
"""
    assert paths("NN302", text) == ["model.layers[0].kernel_initializer"]


def test_nn302_leaky_relu_layer_after_time_distributed_dense():
    text = """
task: regression
model:
  input_shape: [10, 4]
  layers:
    - {type: TimeDistributed, layer: {type: Dense, units: 8}}
    - {type: LeakyReLU}
    - {type: Flatten}
    - {type: Dense, units: 1}
loss: mse
"""
    assert paths("NN302", text) == ["model.layers[0].layer.kernel_initializer"]


def test_nn302_tanh_with_he():
    findings = of("NN302", mlp("{type: Dense, units: 16, activation: tanh, kernel_initializer: he_uniform}"))
    assert [f.path for f in findings] == ["model.layers[0].kernel_initializer"]
    assert "glorot" in findings[0].hint


@pytest.mark.parametrize("hidden", [
    "{type: Dense, units: 16, activation: relu, kernel_initializer: he_uniform}",
    "{type: Dense, units: 16, activation: relu, kernel_initializer: {name: variance_scaling, scale: 2.0}}",
    "{type: Dense, units: 16, activation: tanh}",
    "{type: Dense, units: 16, activation: sigmoid, kernel_initializer: lecun_normal}",
    "{type: Dense, units: 16, activation: gelu}",
    "{type: Dense, units: 16, activation: relu, kernel_initializer: orthogonal}",
    "{type: Dense, units: 16, activation: selu, kernel_initializer: lecun_normal}",
])
def test_nn302_quiet(hidden):
    assert of("NN302", mlp(hidden)) == []


def test_nn302_ignores_the_output_layer():
    text = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: tanh},
        {type: Dense, units: 1, activation: sigmoid, kernel_initializer: he_normal}]}
loss: binary_crossentropy
"""
    assert of("NN302", text) == []


# --- NN303 non-zero hidden bias init --------------------------------------------------------------


def test_nn303_conv_random_bias():
    text = CNN.format(hidden="{type: Conv2D, filters: 8, kernel_size: 3, activation: relu, "
                             "kernel_initializer: he_normal, bias_initializer: random_normal}")
    assert paths("NN303", text) == ["model.layers[0].bias_initializer"]


def test_nn303_small_constant():
    text = mlp("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal, "
               "bias_initializer: {name: constant, value: 0.1}}")
    findings = of("NN303", text, select=())
    assert [f.path for f in findings] == ["model.layers[0].bias_initializer"]
    assert findings[0].severity == Severity.INFO


@pytest.mark.parametrize("hidden, output", [
    (HE_RELU.replace("}", ", bias_initializer: {name: constant, value: 0.0}}"), "{type: Dense, units: 1}"),
    (HE_RELU.replace("}", ", use_bias: false, bias_initializer: ones}"), "{type: Dense, units: 1}"),
    (HE_RELU, "{type: Dense, units: 1, bias_initializer: {name: constant, value: 3.5}}"),
])
def test_nn303_quiet(hidden, output):
    assert of("NN303", mlp(hidden, output)) == []


def test_nn303_lstm_forget_bias_is_not_reported():
    assert of("NN303", SEQUENCE.format(hidden="{type: LSTM, units: 8, unit_forget_bias: true}")) == []


# --- NN304 over-regularisation --------------------------------------------------------------------


def test_nn304_bare_name_hint():
    findings = of("NN304", REGISTRY["NN304"].failing)
    assert [f.path for f in findings] == ["model.layers[0].kernel_regularizer"]
    assert "0.01" in findings[0].hint and "1e-5 to 1e-3" in findings[0].hint and "bare name" in findings[0].hint


def test_nn304_explicit_l1_on_bias():
    text = mlp(HE_RELU.replace("}", ", bias_regularizer: {name: l1, l1: 0.05}}"))
    assert paths("NN304", text) == ["model.layers[0].bias_regularizer.l1"]


def test_nn304_l1_l2_reports_the_large_factor():
    text = mlp(HE_RELU.replace("}", ", kernel_regularizer: {name: l1_l2, l1: 1e-5, l2: 0.01}}"))
    assert paths("NN304", text) == ["model.layers[0].kernel_regularizer.l2"]


def test_nn304_output_and_wrapped_layers():
    text = SEQUENCE.format(hidden="{type: Bidirectional, layer: {type: GRU, units: 8, recurrent_regularizer: l1}}")
    text = text.replace("{type: Dense, units: 1}", "{type: Dense, units: 1, activity_regularizer: {name: l2, l2: 0.1}}")
    assert paths("NN304", text) == ["model.layers[0].layer.recurrent_regularizer",
                                    "model.layers[1].activity_regularizer.l2"]


@pytest.mark.parametrize("regularizer", [
    "{name: l2, l2: 1e-4}", "{name: l1, l1: 0.009}", "{name: l1_l2, l1: 1e-5, l2: 1e-4}",
    "orthogonal_regularizer",
])
def test_nn304_quiet(regularizer):
    assert of("NN304", mlp(HE_RELU.replace("}", f", kernel_regularizer: {regularizer}}}"))) == []


# --- NN401 learning-rate range --------------------------------------------------------------------


def test_nn401_sgd_above_ten_times_default():
    findings = of("NN401", with_optimizer("{name: sgd, learning_rate: 0.2, momentum: 0.9}"))
    assert [(f.path, f.severity) for f in findings] == [("optimizer.learning_rate", Severity.WARNING)]


@pytest.mark.parametrize("rate", ["0.0", "-0.01"])
def test_nn401_non_positive_is_an_error(rate):
    text = with_optimizer(f"{{name: adam, learning_rate: {rate}}}")
    if api.check_text(text).config is None:
        pytest.skip("the schema itself now refuses a non-positive learning rate")
    findings = of("NN401", text)
    assert [(f.path, f.severity) for f in findings] == [("optimizer.learning_rate", Severity.ERROR)]


def test_nn401_too_small():
    findings = of("NN401", with_optimizer("{name: adam, learning_rate: 1e-7}"))
    assert [(f.path, f.severity) for f in findings] == [("optimizer.learning_rate", Severity.WARNING)]


def test_nn401_schedule_initial_rate():
    text = with_optimizer("{name: adam, learning_rate: {name: exponential_decay, initial_learning_rate: 0.5, "
                          "decay_steps: 1000, decay_rate: 0.9}}")
    assert paths("NN401", text) == ["optimizer.learning_rate.initial_learning_rate"]


def test_nn401_piecewise_checks_every_value():
    text = with_optimizer("{name: adam, learning_rate: {name: piecewise_constant_decay, boundaries: [100, 200], "
                          "values: [0.001, 0.5, 0.0]}}")
    findings = of("NN401", text)
    assert [(f.path, f.severity) for f in findings] == [
        ("optimizer.learning_rate.values[1]", Severity.WARNING),
        ("optimizer.learning_rate.values[2]", Severity.ERROR)]


def test_nn401_warmup_target_is_the_peak():
    text = with_optimizer("{name: adam, learning_rate: {name: cosine_decay, initial_learning_rate: 0.0, "
                          "decay_steps: 1000, warmup_target: 0.1, warmup_steps: 100}}")
    assert paths("NN401", text) == ["optimizer.learning_rate.warmup_target"]


def test_nn401_per_optimizer_default():
    assert paths("NN401", with_optimizer("{name: lion, learning_rate: 0.003}")) == ["optimizer.learning_rate"]
    assert of("NN401", with_optimizer("{name: sgd, learning_rate: 0.1}")) == []


@pytest.mark.parametrize("optimizer", [
    "adam", "adamw", "sgd", "rmsprop", "nadam", "adamax", "lion",
    "{name: adam, learning_rate: 0.01}",
    "{name: sgd, learning_rate: 0.1, momentum: 0.9}",
    "{name: sgd, learning_rate: 0.1, momentum: 0.9, nesterov: true}",
    "{name: adadelta, learning_rate: 1.0}",
    "{name: adagrad, learning_rate: 0.05}",
    "{name: sgd, learning_rate: {name: cosine_decay, initial_learning_rate: 0.01, decay_steps: 1000}}",
    "{name: adam, learning_rate: {name: cosine_decay, initial_learning_rate: 0.0, decay_steps: 1000, "
    "warmup_target: 0.001, warmup_steps: 100}}",
    "{name: sgd, learning_rate: {name: piecewise_constant_decay, boundaries: [100, 200, 300], "
    "values: [0.1, 0.01, 0.001, 1e-7]}}",
])
def test_nn401_quiet(optimizer):
    assert of("NN401", with_optimizer(optimizer)) == []


@pytest.mark.parametrize("optimizer, usual", [
    ("adadelta", "start near 1 (Keras's default 0.001 is too low)"),
    ("{name: adadelta, learning_rate: 0.01}", "start near 1"),
    ("adagrad", "start near 0.01 (Keras's default 0.001 is too low)"),
    ("{name: sgd, learning_rate: 5e-5}", "start near 0.01 (Keras's default for sgd)"),
])
def test_nn401_below_the_usual_range_of_its_optimizer(optimizer, usual):
    findings = of("NN401", with_optimizer(optimizer))
    assert [(f.path, f.severity) for f in findings] == [("optimizer.learning_rate", Severity.WARNING)]
    assert findings[0].hint.startswith(usual) and findings[0].line is not None


# --- NN406 SGD's effective step ---------------------------------------------------------------------

PLAIN_CNN = """
task: multiclass
model:
  input_shape: [16, 16, 3]
  layers:
    - {{type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: he_normal}}
    {normalization}
    - {{type: GlobalAveragePooling2D}}
    - {{type: Dense, units: 4}}
loss: {{name: sparse_categorical_crossentropy, from_logits: true}}
optimizer: {optimizer}
"""


def test_nn406_momentum_multiplies_the_step():
    findings = of("NN406", with_optimizer("{name: sgd, learning_rate: 0.2, momentum: 0.9}"))
    assert [(f.path, f.severity) for f in findings] == [("optimizer.momentum", Severity.WARNING)]
    assert "0.2 / 0.1 = 2" in findings[0].message and findings[0].hint.startswith("lower the learning rate to 0.01")


def test_nn406_an_effective_step_of_1_only_on_a_plain_cnn():
    sgd = "{name: sgd, learning_rate: 0.1, momentum: 0.9}"
    assert paths("NN406", PLAIN_CNN.format(normalization="", optimizer=sgd)) == ["optimizer.momentum"]
    normalized = PLAIN_CNN.format(normalization="- {type: BatchNormalization}", optimizer=sgd)
    assert of("NN406", normalized) == []  # ResNets train at 0.1 with momentum 0.9
    assert of("NN406", with_optimizer(sgd)) == []  # a small MLP trains at an effective 1


@pytest.mark.parametrize("optimizer", [
    "sgd", "{name: sgd, learning_rate: 0.5}", "{name: sgd, learning_rate: 0.01, momentum: 0.9}",
    "{name: sgd, learning_rate: 0.05, momentum: 0.9, nesterov: true}", "{name: adam, learning_rate: 0.01}",
    "{name: rmsprop, learning_rate: 0.001, momentum: 0.9}",
    "{name: sgd, momentum: 0.9, learning_rate: {name: cosine_decay, initial_learning_rate: 0.0, decay_steps: 100, "
    "warmup_target: 0.05, warmup_steps: 10}}",
])
def test_nn406_quiet(optimizer):
    assert of("NN406", with_optimizer(optimizer)) == []


def test_nn406_judges_every_rate_of_a_schedule():
    text = with_optimizer("{name: sgd, momentum: 0.99, learning_rate: {name: exponential_decay, "
                          "initial_learning_rate: 0.05, decay_steps: 100, decay_rate: 0.9}}")
    assert "0.05 / 0.01 = 5" in of("NN406", text)[0].message
    text = with_optimizer("{name: sgd, momentum: 0.9, learning_rate: {name: piecewise_constant_decay, "
                          "boundaries: [10], values: [0.05, 0.5]}}")
    assert "learning rate values[1] / (1 - momentum) = 0.5 / 0.1 = 5" in of("NN406", text)[0].message


# --- NN402 tiny Adam epsilon ----------------------------------------------------------------------


def test_nn402_nadam_at_the_threshold():
    assert paths("NN402", with_optimizer("{name: nadam, epsilon: 1e-10}")) == ["optimizer.epsilon"]


@pytest.mark.parametrize("optimizer", ["{name: adam, epsilon: 1e-8}", "{name: adamw, epsilon: 1.0}",
                                       "{name: rmsprop, epsilon: 1e-12}", "adam"])
def test_nn402_quiet(optimizer):
    assert of("NN402", with_optimizer(optimizer)) == []


# --- NN403 clipping conflict ----------------------------------------------------------------------


def test_nn403_clipnorm_and_global_clipnorm():
    findings = of("NN403", with_optimizer("{name: sgd, clipnorm: 1.0, global_clipnorm: 5.0}"))
    assert [(f.path, f.severity) for f in findings] == [("optimizer.global_clipnorm", Severity.ERROR)]


@pytest.mark.parametrize("clipping", ["global_clipnorm: 1.0", "clipvalue: 0.5", "clipnorm: 1.0"])
def test_nn403_one_kind_is_fine(clipping):
    assert of("NN403", with_optimizer(f"{{name: adam, {clipping}}}")) == []


# --- NN404 sum reduction --------------------------------------------------------------------------


def test_nn404_per_output_loss():
    text = FUNCTIONAL.format(loss="{a: {name: mse, reduction: sum}, b: mae}")
    assert paths("NN404", text) == ["loss.a.reduction"]


def test_nn404_one_loss_for_every_output_is_reported_once():
    assert paths("NN404", FUNCTIONAL.format(loss="{name: huber, reduction: sum}")) == ["loss.reduction"]


@pytest.mark.parametrize("loss", ["{name: mse, reduction: sum_over_batch_size}", "{name: mse, reduction: mean}",
                                  "mse"])
def test_nn404_quiet(loss):
    assert of("NN404", mlp(HE_RELU, loss=loss)) == []


# --- NN405 weight decay twice ---------------------------------------------------------------------


def test_nn405_sgd_weight_decay_with_l1_l2():
    text = mlp(HE_RELU.replace("}", ", kernel_regularizer: {name: l1_l2, l1: 1e-5, l2: 1e-4}}"),
               optimizer="{name: sgd, learning_rate: 0.1, weight_decay: 1e-4}")
    findings = of("NN405", text)
    assert [f.path for f in findings] == ["optimizer.weight_decay"] and "'dense'" in findings[0].message


@pytest.mark.parametrize("regularizer, optimizer", [
    ("kernel_regularizer: {name: l1, l1: 1e-5}", "adamw"),  # L1 is not a decay
    ("kernel_regularizer: {name: l2, l2: 1e-4}", "adam"),  # no weight decay in the optimizer
    ("kernel_regularizer: {name: l2, l2: 1e-4}", "{name: adamw, weight_decay: 0.0}"),
    ("kernel_regularizer: {name: l2, l2: 1e-4}", "{name: sgd, weight_decay: 0.0}"),
    ("activity_regularizer: {name: l2, l2: 1e-4}", "adamw"),  # penalises outputs, not weights
    ("kernel_regularizer: {name: l2, l2: 1e-4}, trainable: false", "adamw"),
])
def test_nn405_quiet(regularizer, optimizer):
    assert of("NN405", mlp(HE_RELU.replace("}", f", {regularizer}}}"), optimizer=optimizer)) == []


# --- no false alarms --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_stay_clean(path):
    report = api.lint(path)
    assert [f for f in report.findings if f.rule.startswith(("NN3", "NN4"))] == []
    assert report.findings == []


ORDINARY = [
    # Dense relu with Keras's default glorot init (NN302 is opt-in precisely for this).
    mlp("{type: Dense, units: 16, activation: relu}"),
    mlp("{type: Dense, units: 16, activation: relu}", optimizer="{name: sgd, learning_rate: 0.1, momentum: 0.9}"),
    mlp("{type: Dense, units: 16, activation: relu}", optimizer="adamw"),
    mlp("{type: Dense, units: 16, activation: relu}", optimizer="{name: sgd, learning_rate: {name: cosine_decay, "
                                                               "initial_learning_rate: 0.01, decay_steps: 1000}}"),
    mlp("{type: Dense, units: 16, activation: relu, kernel_regularizer: {name: l2, l2: 1e-4}}"),
    mlp("{type: Dense, units: 16, activation: relu, kernel_regularizer: {name: l2, l2: 1e-4}}",
        "{type: Dense, units: 1, kernel_regularizer: {name: l2, l2: 1e-4}}",
        optimizer="{name: sgd, learning_rate: 0.1, momentum: 0.9}"),
    SEQUENCE.format(hidden="{type: LSTM, units: 8}"),
    CNN.format(hidden="{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}"),
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_models_are_clean_by_default(text):
    assert lint(text, select=()) == []


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_models_trip_no_rule_of_ours_but_the_opt_in_hint(text):
    assert [f.rule for f in lint(text) if f.rule.startswith(("NN3", "NN4"))] in ([], ["NN302"])
