"""The data-aware lint rules NN501-NN508: each fires where the model and its data disagree, says so at
the config value to change, stays quiet before the data is known (except what the config alone
shows), and raises no false alarm on well-known good setups (digits, MNIST, token ids)."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from nnconf.analysis.data_facts import DataFacts, InputFacts, LabelFacts
from nnconf.analysis.lint import REGISTRY, run_rules
from nnconf.analysis.lint import data as data_rules
from nnconf.analysis.lint.data import example_facts, facts_from_example
from nnconf.api import check_text, lint_report
from nnconf.findings import Severity

CODES = [f"NN50{n}" for n in range(1, 10)]
RULES = [REGISTRY[code] for code in CODES]
DEFAULT_CODES = [code for code, rule in REGISTRY.items() if rule.enabled_by_default]
NEEDS_NO_DATA = {"NN501", "NN507"}  # their failing examples fire from the config alone


def lint(text: str, data: DataFacts | None = None, select=("NN5",)):
    """The findings of the chosen rules for one YAML config, which must itself be valid."""
    report = check_text(textwrap.dedent(text))
    assert report.ok and report.config is not None, [f.format() for f in report.findings]
    return run_rules(report.config, report.inference, report.source, select=select, data=data)


def found(text: str, code: str, data: DataFacts | None = None) -> list[tuple[str, str]]:
    """(path, severity) of each finding of one rule."""
    return [(f.path, f.severity.value) for f in lint(text, data, select=(code,)) if f.rule == code]


def messages(text: str, code: str, data: DataFacts | None = None) -> list[str]:
    return [f.message for f in lint(text, data, select=(code,)) if f.rule == code]


def features(shape=(8,), low=-3.0, high=3.0, integer=False) -> InputFacts:
    return InputFacts(tuple(shape), float(low), float(high), integer)


def class_ids(classes: int, counts=None) -> LabelFacts:
    counts = tuple(counts or [100] * classes)
    kind = "binary" if classes == 2 else "integer"
    return LabelFacts(kind, (), classes, counts, 0.0, float(classes - 1))


def one_hot(classes: int, counts=None) -> LabelFacts:
    return LabelFacts("one_hot", (classes,), classes, tuple(counts or [100] * classes), 0.0, 1.0)


def multi_hot(width: int) -> LabelFacts:
    return LabelFacts("multilabel", (width,), width, None, 0.0, 1.0)


def real(low: float, high: float, shape=()) -> LabelFacts:
    return LabelFacts("real", tuple(shape), None, None, float(low), float(high))


def facts(inputs=None, labels=None, samples=1000) -> DataFacts:
    """Facts of a sequential model's data: ``inputs`` for 'input', ``labels`` for ''."""
    return DataFacts(samples, {"input": inputs or features()}, {"": labels or class_ids(10)})


def classifier(units: int = 10, activation: str = "softmax", loss: str = "sparse_categorical_crossentropy",
               task: str = "multiclass", input_shape: str = "[8]", data: str = "") -> str:
    text = f"""
task: {task}
model: {{input_shape: {input_shape}, layers: [{{type: Dense, units: 16, activation: relu}}, {{type: Dense, units: {units}, activation: {activation}}}]}}
loss: {loss}
"""
    return text + (f"data: {data}\n" if data else "")


def regressor(activation: str = "linear", layers: str | None = None) -> str:
    layers = layers or f"{{type: Dense, units: 16, activation: relu}}, {{type: Dense, units: 1, activation: {activation}}}"
    return f"""
task: regression
model: {{input_shape: [8], layers: [{layers}]}}
loss: mse
"""


# --- every rule, documented and shown on its own examples ----------------------------------------------


def test_every_data_rule_is_registered_from_the_data_module():
    assert [code for code in sorted(REGISTRY) if code.startswith("NN5")] == CODES
    assert all(REGISTRY[code].__module__ == data_rules.__name__ for code in CODES)
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert {rule.code: rule.severity for rule in RULES} == {
        "NN501": Severity.ERROR, "NN502": Severity.ERROR, "NN503": Severity.ERROR, "NN504": Severity.ERROR,
        "NN505": Severity.WARNING, "NN506": Severity.WARNING, "NN507": Severity.ERROR, "NN508": Severity.ERROR,
        "NN509": Severity.WARNING}


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_rule_documents_itself(rule):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    documentation = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Instead"):
        assert section in documentation, section
    assert rule.summary().endswith(".")


def test_the_unscaled_inputs_threshold_is_documented():
    assert data_rules.UNSCALED_ABOVE == 10
    assert "above 10" in REGISTRY["NN505"].documentation()


def test_rules_that_need_data_carry_json_able_example_data():
    with_data = {rule.code for rule in RULES if hasattr(rule, "example_data")}
    assert with_data == set(CODES) - NEEDS_NO_DATA
    for code in with_data:
        example = REGISTRY[code].example_data
        assert json.loads(json.dumps(example)) == example
        assert isinstance(facts_from_example(example), DataFacts)


def test_facts_from_example_builds_every_field():
    built = facts_from_example({
        "samples": 12,
        "inputs": {"input": {"sample_shape": [4, 2], "minimum": 0, "maximum": 255, "integer": True}},
        "labels": {"": {"kind": "one_hot", "sample_shape": [3], "classes": 3, "class_counts": [4, 4, 4],
                        "minimum": 0, "maximum": 1},
                   "price": {"kind": "real", "minimum": -1.5, "maximum": 2}},
    })
    assert built == DataFacts(12, {"input": InputFacts((4, 2), 0.0, 255.0, True)},
                              {"": LabelFacts("one_hot", (3,), 3, (4, 4, 4), 0.0, 1.0),
                               "price": LabelFacts("real", (), None, None, -1.5, 2.0)})


def _example_data(rule, fixed: bool = False) -> DataFacts | None:
    return example_facts(rule, fixed=fixed)


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_failing_example_fires_with_its_example_data(rule):
    report = lint_report(check_text(rule.failing), select=DEFAULT_CODES + [rule.code], data=_example_data(rule))
    assert report.config is not None
    assert rule.code in {finding.rule for finding in report.findings}, [f.format() for f in report.findings]


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_fixed_example_lints_clean_with_its_example_data(rule):
    report = lint_report(check_text(rule.fixed), select=DEFAULT_CODES + [rule.code],
                         data=_example_data(rule, fixed=True))
    assert report.config is not None and report.findings == [], [f.format() for f in report.findings]


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_failing_example_fires_without_data_only_where_the_config_shows_it(rule):
    report = lint_report(check_text(rule.failing), select=[rule.code])
    assert (rule.code in {finding.rule for finding in report.findings}) == (rule.code in NEEDS_NO_DATA)


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_failing_examples_fire_no_other_data_rule(rule):
    report = lint_report(check_text(rule.failing), select=["NN5"], data=_example_data(rule))
    assert {finding.rule for finding in report.findings} == {rule.code}


# --- before the data is known, data rules pass ----------------------------------------------------------

DATA_ONLY = {
    "NN501": classifier(units=1, activation="sigmoid", loss="binary_crossentropy", task="binary"),
    "NN502": classifier(units=3),
    "NN503": classifier(input_shape="[28, 28]").replace("{type: Dense, units: 16", "{type: Flatten}, {type: Dense, units: 16"),
    "NN504": """
task: binary
model: {input_shape: [50], layers: [{type: Embedding, input_dim: 10, output_dim: 4}, {type: GlobalAveragePooling1D}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
""",
    "NN505": classifier(),
    "NN506": classifier(),
    "NN508": regressor("sigmoid"),
}
DATA_FOR = {
    "NN501": facts(labels=class_ids(10)),
    "NN502": facts(),
    "NN503": facts(features((100,))),
    "NN504": facts(features((50,), 0, 500, integer=True), class_ids(2)),
    "NN505": facts(features((8,), 0, 255, integer=True)),
    "NN506": facts(labels=class_ids(10, [1000] + [50] * 9)),
    "NN508": facts(labels=real(5, 50)),
}


@pytest.mark.parametrize("code", sorted(DATA_ONLY))
def test_data_rules_yield_nothing_without_data(code):
    assert found(DATA_ONLY[code], code, DATA_FOR[code]), "the case must be one the rule reports with data"
    assert found(DATA_ONLY[code], code) == []
    assert lint(DATA_ONLY[code], select=("NN5",)) == []


# --- NN501 label encoding vs loss --------------------------------------------------------------------


def test_nn501_forced_integer_labels_with_categorical_loss_need_no_data():
    config = classifier(loss="categorical_crossentropy", data="{source: sklearn.digits, labels: integer}")
    assert found(config, "NN501") == [("data.labels", "error")]
    assert "one-hot" in messages(config, "NN501")[0]
    hinge = classifier(loss="categorical_hinge", activation="linear", data="{source: sklearn.digits, labels: integer}")
    assert found(hinge, "NN501") == [("data.labels", "error")]


def test_nn501_forced_one_hot_labels_with_sparse_loss():
    config = classifier(data="{source: sklearn.digits, labels: one_hot}")
    assert found(config, "NN501") == [("data.labels", "error")]
    assert found(config, "NN501", facts(labels=one_hot(10))) == [("data.labels", "error")]


def test_nn501_matching_or_automatic_encodings_pass():
    for labels, loss in (("integer", "sparse_categorical_crossentropy"), ("one_hot", "categorical_crossentropy"),
                         ("auto", "categorical_crossentropy"), ("auto", "sparse_categorical_crossentropy")):
        config = classifier(loss=loss, data=f"{{source: sklearn.digits, labels: {labels}}}")
        assert found(config, "NN501") == []
        # auto converts integer labels to one-hot (and back) by itself
        assert found(config, "NN501", facts(labels=class_ids(10))) == []
        assert found(config, "NN501", facts(labels=one_hot(10))) == []


def test_nn501_binary_crossentropy_on_labels_outside_zero_one():
    config = classifier(units=1, activation="sigmoid", loss="binary_crossentropy", task="binary")
    assert found(config, "NN501", facts(labels=class_ids(10))) == [("loss", "error")]
    assert "from 0 to 9" in messages(config, "NN501", facts(labels=class_ids(10)))[0]
    assert found(config, "NN501", facts(labels=real(-1, 1))) == [("loss", "error")]
    assert found(config, "NN501", facts(labels=class_ids(2))) == []
    assert found(config, "NN501", facts(labels=real(0, 1))) == []  # soft targets in [0, 1]
    multilabel = classifier(units=5, activation="sigmoid", loss="binary_crossentropy", task="multilabel")
    assert found(multilabel, "NN501", facts(labels=multi_hot(5))) == []


def test_nn501_sparse_crossentropy_on_labels_that_are_not_class_ids():
    config = classifier()
    assert found(config, "NN501", facts(labels=real(-0.5, 3.2))) == [("loss", "error")]
    assert "real numbers from -0.5 to 3.2" in messages(config, "NN501", facts(labels=real(-0.5, 3.2)))[0]
    assert found(config, "NN501", facts(labels=multi_hot(10))) == [("loss", "error")]
    assert found(config, "NN501", facts(labels=class_ids(10))) == []


def test_nn501_leaves_per_position_labels_it_cannot_judge():
    # Sequence labels (one id per time step) are described as real; only a negative id is surely wrong.
    sequence = """
task: multiclass
model: {input_shape: [20], layers: [{type: Embedding, input_dim: 100, output_dim: 8}, {type: LSTM, units: 8, return_sequences: true}, {type: Dense, units: 5, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    tokens = features((20,), 0, 99, integer=True)
    assert found(sequence, "NN501", facts(tokens, real(0, 4, shape=(20,)))) == []
    assert found(sequence, "NN501", facts(tokens, real(-1, 4, shape=(20,)))) == [("loss", "error")]


def test_nn501_locates_each_output_of_a_functional_model():
    config = """
task: {kind: multiclass, price: regression}
model:
  inputs: {features: [8]}
  layers:
    - {name: hidden, type: Dense, units: 16, activation: relu, inputs: features}
    - {name: kind, type: Dense, units: 3, activation: sigmoid, inputs: hidden}
    - {name: price, type: Dense, units: 1, inputs: hidden}
  outputs: [kind, price]
loss: {kind: binary_crossentropy, price: mse}
"""
    data = DataFacts(100, {"features": features()}, {"kind": class_ids(3), "price": real(-5, 5)})
    assert found(config, "NN501", data) == [("loss.kind", "error")]
    assert "labels of output 'kind'" in messages(config, "NN501", data)[0]


# --- NN502 output units vs classes --------------------------------------------------------------------


def test_nn502_fewer_units_than_classes_is_an_error_at_the_units():
    config = classifier(units=3)
    assert found(config, "NN502", facts()) == [("model.layers[1].units", "error")]
    assert messages(config, "NN502", facts()) == ["the output has 3 units, but the labels have 10 classes"]


def test_nn502_more_units_than_classes_is_a_warning():
    assert found(classifier(units=12), "NN502", facts()) == [("model.layers[1].units", "warning")]
    assert found(classifier(units=10), "NN502", facts()) == []


def test_nn502_one_hot_rows_that_do_not_fit_the_output_are_an_error_either_way():
    config = classifier(units=12, loss="categorical_crossentropy")
    assert found(config, "NN502", facts(labels=one_hot(10))) == [("model.layers[1].units", "error")]
    assert found(classifier(units=10, loss="categorical_crossentropy"), "NN502", facts(labels=one_hot(10))) == []
    # sparse losses take one-hot rows too (as the index of their 1), but only as wide as the output
    assert found(classifier(units=12), "NN502", facts(labels=one_hot(10))) == [("model.layers[1].units", "error")]
    assert found(classifier(units=12), "NN502", facts(labels=class_ids(10))) == [("model.layers[1].units", "warning")]
    multilabel = classifier(units=4, activation="sigmoid", loss="binary_crossentropy", task="multilabel")
    assert found(multilabel, "NN502", facts(labels=multi_hot(5))) == [("model.layers[1].units", "error")]


def test_nn502_binary_labels_on_one_sigmoid_unit_or_two_softmax_units_pass():
    sigmoid = classifier(units=1, activation="sigmoid", loss="binary_crossentropy", task="binary")
    assert found(sigmoid, "NN502", facts(labels=class_ids(2))) == []
    logits = classifier(units=1, activation="linear", loss="{name: binary_crossentropy, from_logits: true}",
                        task="binary")
    assert found(logits, "NN502", facts(labels=class_ids(2))) == []
    assert found(classifier(units=2, task="binary"), "NN502", facts(labels=class_ids(2))) == []
    # but sparse categorical crossentropy on one unit has no score for label 1
    sparse = classifier(units=1, activation="linear", loss="{name: sparse_categorical_crossentropy, from_logits: true}",
                        task="binary")
    assert found(sparse, "NN502", facts(labels=class_ids(2))) == [("model.layers[1].units", "error")]


def test_nn502_finds_the_units_behind_an_activation_layer():
    config = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 4}, {type: Activation, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    assert found(config, "NN502", facts()) == [("model.layers[1].units", "error")]


def test_nn502_ignores_regression_targets():
    assert found(regressor(), "NN502", facts(labels=class_ids(50))) == []


# --- NN503 input shape vs data ---------------------------------------------------------------------------

IMAGE = """
task: multiclass
model: {{input_shape: {shape}, layers: [{{type: Flatten}}, {{type: Dense, units: 10, activation: softmax}}]}}
loss: sparse_categorical_crossentropy
data: {data}
"""


def image(shape: str, data: str = "{source: npz, path: x.npz}") -> str:
    return IMAGE.format(shape=shape, data=data)


def test_nn503_input_shape_differs_from_the_samples():
    config = image("[28, 28, 1]")
    assert found(config, "NN503", facts(features((28, 28)))) == [("model.input_shape", "error")]
    message, = messages(config, "NN503", facts(features((28, 28))))
    assert "[28, 28, 1]" in message and "[28, 28]" in message
    assert found(image("[32, 32, 3]"), "NN503", facts(features((28, 28, 1)))) == [("model.input_shape", "error")]
    assert found(image("[28, 28]"), "NN503", facts(features((28, 28)))) == []


def test_nn503_null_dimensions_match_anything():
    sequence = """
task: multiclass
model: {input_shape: [null, 16], layers: [{type: GlobalAveragePooling1D}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    assert found(sequence, "NN503", facts(features((40, 16)))) == []
    assert found(sequence, "NN503", facts(features((40, 8)))) == [("model.input_shape", "error")]
    assert found(sequence, "NN503", facts(features((640,)))) == [("model.input_shape", "error")]
    reshaped = sequence + "data: {source: npz, path: x.npz, reshape: true}\n"
    assert found(reshaped, "NN503", facts(features((640,)))) == []  # to [40, 16]
    assert found(reshaped, "NN503", facts(features((650,)))) == [("model.input_shape", "error")]


def test_nn503_reshape_needs_only_the_same_number_of_values():
    reshaped = image("[28, 28, 1]", "{source: npz, path: x.npz, reshape: true}")
    assert found(reshaped, "NN503", facts(features((784,)))) == []
    assert found(reshaped, "NN503", facts(features((28, 28)))) == []
    assert found(reshaped, "NN503", facts(features((1024,)))) == [("model.input_shape", "error")]
    assert "reshape cannot make 1024 values" in messages(reshaped, "NN503", facts(features((1024,))))[0]


def test_nn503_suggests_reshape_where_the_values_agree():
    report = check_text(image("[28, 28, 1]"))
    finding, = run_rules(report.config, report.inference, report.source, select=["NN503"],
                         data=facts(features((784,))))
    assert "data.reshape: true" in finding.hint


def test_nn503_locates_a_functional_input_by_name():
    config = """
task: regression
model:
  inputs: {pixels: [28, 28], extra: [4]}
  layers:
    - {name: flat, type: Flatten, inputs: pixels}
    - {name: both, type: Concatenate, inputs: [flat, extra]}
    - {name: out, type: Dense, units: 1, inputs: both}
  outputs: out
loss: mse
"""
    data = DataFacts(100, {"pixels": features((28, 28)), "extra": features((5,))}, {"out": real(0, 1)})
    assert found(config, "NN503", data) == [("model.inputs.extra", "error")]
    assert messages(config, "NN503", data)[0].startswith("input 'extra' takes samples of shape [4]")


# --- NN504 embedding vocabulary ----------------------------------------------------------------------------

TEXT = """
task: binary
model: {{input_shape: [200], layers: [{{type: Embedding, input_dim: {size}, output_dim: 16}}, {{type: GlobalAveragePooling1D}}, {{type: Dense, units: 1, activation: sigmoid}}]}}
loss: binary_crossentropy
"""


def token_ids(largest: int, smallest: int = 0) -> DataFacts:
    return facts(features((200,), smallest, largest, integer=True), class_ids(2))


def test_nn504_vocabulary_not_above_the_largest_token_id():
    assert found(TEXT.format(size=5000), "NN504", token_ids(9999)) == [("model.layers[0].input_dim", "error")]
    assert found(TEXT.format(size=9999), "NN504", token_ids(9999)) == [("model.layers[0].input_dim", "error")]
    assert "input_dim 5000, but the largest token id in its input is 9999" in \
        messages(TEXT.format(size=5000), "NN504", token_ids(9999))[0]
    assert found(TEXT.format(size=10000), "NN504", token_ids(9999)) == []


def test_nn504_negative_token_ids():
    assert found(TEXT.format(size=10000), "NN504", token_ids(9999, smallest=-1)) == [
        ("model.layers[0].input_dim", "error")]


def test_nn504_an_embedding_of_a_named_functional_input():
    config = """
task: binary
model:
  inputs: {numbers: [4], words: [30]}
  layers:
    - {name: embed, type: Embedding, input_dim: 100, output_dim: 8, inputs: words}
    - {name: pooled, type: GlobalAveragePooling1D, inputs: embed}
    - {name: both, type: Concatenate, inputs: [pooled, numbers]}
    - {name: out, type: Dense, units: 1, activation: sigmoid, inputs: both}
  outputs: out
loss: binary_crossentropy
"""
    data = DataFacts(100, {"numbers": features((4,), 0, 500), "words": features((30,), 0, 250, integer=True)},
                     {"out": class_ids(2)})
    assert found(config, "NN504", data) == [("model.layers[0].input_dim", "error")]


# --- NN505 unscaled inputs --------------------------------------------------------------------------------

PIXELS = facts(features((784,), 0, 255, integer=True))


def dense(data: str = "", first: str = "") -> str:
    first = f"{first}, " if first else ""
    text = f"""
task: multiclass
model: {{input_shape: [784], layers: [{first}{{type: Dense, units: 64, activation: relu}}, {{type: Dense, units: 10, activation: softmax}}]}}
loss: sparse_categorical_crossentropy
"""
    return text + (f"data: {data}\n" if data else "")


def test_nn505_raw_pixels_without_scaling():
    assert found(dense("{source: keras.mnist}"), "NN505", PIXELS) == [("data", "warning")]
    assert "from 0 to 255" in messages(dense("{source: keras.mnist}"), "NN505", PIXELS)[0]
    # without a data section, at the input
    assert found(dense(), "NN505", PIXELS) == [("model.input_shape", "warning")]


def test_nn505_any_scaling_silences_it():
    assert found(dense("{source: keras.mnist, scale: 255}"), "NN505", PIXELS) == []
    assert found(dense("{source: keras.mnist, standardize: true}"), "NN505", PIXELS) == []
    assert found(dense(first="{type: Rescaling, scale: 0.00392156862745098}"), "NN505", PIXELS) == []
    assert found(dense(first="{type: BatchNormalization}"), "NN505", PIXELS) == []
    assert found(dense(first="{type: Dropout, rate: 0.1}, {type: LayerNormalization}"), "NN505", PIXELS) == []


def test_nn505_threshold_is_a_magnitude_of_ten():
    assert found(dense(), "NN505", facts(features((784,), -10, 10))) == []
    assert found(dense(), "NN505", facts(features((784,), -10.5, 3))) == [("model.input_shape", "warning")]


def test_nn505_token_ids_feeding_an_embedding_are_no_magnitudes():
    assert found(TEXT.format(size=10000), "NN505", token_ids(9999)) == []


def test_nn505_judges_each_functional_input():
    config = """
task: binary
model:
  inputs: {numbers: [4], words: [30]}
  layers:
    - {name: embed, type: Embedding, input_dim: 300, output_dim: 8, inputs: words}
    - {name: pooled, type: GlobalAveragePooling1D, inputs: embed}
    - {name: both, type: Concatenate, inputs: [pooled, numbers]}
    - {name: out, type: Dense, units: 1, activation: sigmoid, inputs: both}
  outputs: out
loss: binary_crossentropy
"""
    data = DataFacts(100, {"numbers": features((4,), 0, 500), "words": features((30,), 0, 250, integer=True)},
                     {"out": class_ids(2)})
    assert found(config, "NN505", data) == [("model.inputs.numbers", "warning")]


# --- NN506 class imbalance ---------------------------------------------------------------------------------


def test_nn506_largest_class_ten_times_the_smallest():
    config = classifier(data="{source: npz, path: x.npz}")
    assert found(config, "NN506", facts(labels=class_ids(3, [1000, 300, 100]))) == [("data", "warning")]
    assert "class 0 has 1000 samples, class 2 only 100 (10x)" in \
        messages(config, "NN506", facts(labels=class_ids(3, [1000, 300, 100])))[0]
    assert found(config, "NN506", facts(labels=class_ids(3, [999, 300, 100]))) == []
    assert found(config, "NN506", facts(labels=one_hot(3, [50, 600, 40]))) == [("data", "warning")]


def test_nn506_without_a_data_section_points_at_the_loss():
    assert found(classifier(), "NN506", facts(labels=class_ids(2, [950, 50]))) == [("loss", "warning")]


def test_nn506_classes_with_no_samples_are_not_counted():
    # labels numbered from 1: class 0 has no samples
    assert found(classifier(), "NN506", facts(labels=class_ids(4, [0, 100, 120, 90]))) == []


def test_nn506_focal_losses_and_regression_are_left_alone():
    skewed = facts(labels=class_ids(2, [950, 50]))
    focal = classifier(units=1, activation="sigmoid", task="binary",
                       loss="{name: binary_focal_crossentropy, apply_class_balancing: true}")
    assert found(focal, "NN506", skewed) == []
    assert found(regressor(), "NN506", skewed) == []
    assert found(classifier(units=5, activation="sigmoid", loss="binary_crossentropy", task="multilabel"),
                 "NN506", facts(labels=multi_hot(5))) == []


# --- NN507 batch norm with batch size 1 ------------------------------------------------------------------

BATCH_NORM = """
task: regression
model: {{input_shape: [8], layers: [{{type: Dense, units: 16}}, {layer}, {{type: Activation, activation: relu}}, {{type: Dense, units: 1}}]}}
loss: mse
training: {{batch_size: {batch}}}
"""


def test_nn507_batch_norm_with_batch_size_one_needs_no_data():
    config = BATCH_NORM.format(layer="{type: BatchNormalization}", batch=1)
    assert found(config, "NN507") == [("training.batch_size", "error")]
    assert "'batch_normalization'" in messages(config, "NN507")[0]
    assert found(config, "NN507", facts(labels=real(0, 1))) == [("training.batch_size", "error")]


def test_nn507_larger_batches_or_other_normalization_pass():
    assert found(BATCH_NORM.format(layer="{type: BatchNormalization}", batch=2), "NN507") == []
    assert found(BATCH_NORM.format(layer="{type: LayerNormalization}", batch=1), "NN507") == []


def test_nn507_finds_a_wrapped_batch_norm():
    config = """
task: regression
model: {input_shape: [5, 8], layers: [{type: TimeDistributed, layer: {type: BatchNormalization}}, {type: Flatten}, {type: Dense, units: 1}]}
loss: mse
training: {batch_size: 1}
"""
    assert found(config, "NN507") == [("training.batch_size", "error")]


# --- NN508 regression targets outside the output range -----------------------------------------------------


def test_nn508_bounded_output_misses_the_targets():
    assert found(regressor("sigmoid"), "NN508", facts(labels=real(5, 50))) == [("model.layers[1].activation", "error")]
    assert messages(regressor("sigmoid"), "NN508", facts(labels=real(5, 50))) == [
        "the output ends in sigmoid, which predicts values in (0, 1), but the targets range from 5 to 50"]
    assert found(regressor("tanh"), "NN508", facts(labels=real(-2, 0.5))) == [("model.layers[1].activation", "error")]
    assert found(regressor("relu"), "NN508", facts(labels=real(-3, 10))) == [("model.layers[1].activation", "error")]
    assert found(regressor("softplus"), "NN508", facts(labels=real(-0.1, 1))) == [
        ("model.layers[1].activation", "error")]


def test_nn508_targets_within_the_range_pass():
    assert found(regressor("sigmoid"), "NN508", facts(labels=real(0, 1))) == []
    assert found(regressor("tanh"), "NN508", facts(labels=real(-1, 1))) == []
    assert found(regressor("relu"), "NN508", facts(labels=real(0, 1e6))) == []
    assert found(regressor("softplus"), "NN508", facts(labels=real(0, 3))) == []
    assert found(regressor(), "NN508", facts(labels=real(-1e6, 1e6))) == []


def test_nn508_finds_the_activation_layer_and_leaves_classifiers_alone():
    layers = "{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}, {type: Activation, activation: sigmoid}"
    assert found(regressor(layers=layers), "NN508", facts(labels=real(5, 50))) == [
        ("model.layers[2].activation", "error")]
    binary = classifier(units=1, activation="sigmoid", loss="binary_crossentropy", task="binary")
    assert found(binary, "NN508", facts(labels=class_ids(2))) == []


# --- no false alarms on well-known good setups ------------------------------------------------------------

DIGITS = """
task: multiclass
model: {input_shape: [64], layers: [{type: Dense, units: 64, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16}
"""
MNIST_CNN = """
task: multiclass
model:
  input_shape: [28, 28, 1]
  layers:
    - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
loss: sparse_categorical_crossentropy
data: {source: keras.mnist, scale: 255, reshape: true}
training: {batch_size: 128}
"""
IMDB = """
task: binary
model: {input_shape: [200], layers: [{type: Embedding, input_dim: 10000, output_dim: 16}, {type: GlobalAveragePooling1D}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
data: {source: keras.imdb}
"""
DIGITS_FACTS = DataFacts(1437, {"input": InputFacts((64,), 0.0, 16.0, False)},
                         {"": LabelFacts("integer", (), 10, (143, 146, 141, 146, 145, 145, 145, 143, 139, 144), 0.0, 9.0)})
MNIST_FACTS = DataFacts(60000, {"input": InputFacts((28, 28), 0.0, 255.0, True)},
                        {"": LabelFacts("integer", (), 10, (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
                                        0.0, 9.0)})
IMDB_FACTS = DataFacts(25000, {"input": InputFacts((200,), 0.0, 9999.0, True)},
                       {"": LabelFacts("binary", (), 2, (12500, 12500), 0.0, 1.0)})


@pytest.mark.parametrize("config, data", [(DIGITS, DIGITS_FACTS), (MNIST_CNN, MNIST_FACTS), (IMDB, IMDB_FACTS)],
                         ids=["digits", "mnist", "imdb"])
def test_well_known_setups_lint_clean_with_their_data(config, data):
    assert lint(config, data, select=("NN5",)) == []
    report = lint_report(check_text(config), select=DEFAULT_CODES, data=data)
    assert report.findings == [], [f.format() for f in report.findings]


def test_digits_as_one_hot_labels_with_categorical_crossentropy_lint_clean():
    config = DIGITS.replace("sparse_categorical_crossentropy", "categorical_crossentropy")
    labels = LabelFacts("one_hot", (10,), 10, DIGITS_FACTS.labels[""].class_counts, 0.0, 1.0)
    assert lint(config, DataFacts(1437, DIGITS_FACTS.inputs, {"": labels})) == []
    assert lint(config, DIGITS_FACTS) == []  # integer labels: auto encodes them one-hot


def test_facts_described_from_arrays_drive_the_rules():
    np = pytest.importorskip("numpy")
    from nnconf.analysis.data_facts import describe

    rng = np.random.default_rng(0)
    x = rng.integers(0, 17, size=(500, 64)).astype("float64")
    y = np.arange(500) % 10
    digits = describe({"input": x}, {"": y})
    assert lint(DIGITS, digits) == []
    assert found(DIGITS.replace("units: 10", "units: 8"), "NN502", digits) == [("model.layers[1].units", "error")]
    assert found(DIGITS.replace(", scale: 16", ""), "NN505", describe({"input": x * 16}, {"": y})) == [
        ("data", "warning")]
    one_hot_labels = describe({"input": x}, {"": np.eye(10)[y]})
    assert lint(DIGITS.replace("sparse_categorical_crossentropy", "categorical_crossentropy"), one_hot_labels) == []
