"""``--set key.path=value`` overrides."""

from __future__ import annotations

import pytest

import nnconf
from nnconf import codes
from nnconf.config.loader import MAX_DEPTH, MAX_VALUES
from nnconf.config.overrides import OverrideError, parse_override

from tests.config.helpers import CONFIGS, MINIMAL, by_path, check, describe, errors, run_cli

MNIST = CONFIGS / "mnist.yaml"  # optimizer: {name: adam, learning_rate: 1e-3}; four layers; no lint
BINARY = CONFIGS / "binary.yaml"  # optimizer: adam (the name shorthand)


def checked(path, *overrides):
    report = nnconf.check(path, list(overrides))
    assert report.ok, describe(report)
    return report.config


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "path", "value"), [
    ("optimizer.learning_rate=3e-4", ("optimizer", "learning_rate"), 0.0003),
    ("model.layers[1].units=256", ("model", "layers", 1, "units"), 256),
    ("model.input_shape=[28, 28, 1]", ("model", "input_shape"), [28, 28, 1]),
    ("name=on", ("name",), "on"),
    ("loss={name: mse}", ("loss",), {"name": "mse"}),
    ("seed=", ("seed",), None),
    ("name=a=b", ("name",), "a=b"),
    (" seed = 3", ("seed",), 3),
])
def test_parse_override(expression, path, value):
    assert parse_override(expression) == (path, value)
    assert type(parse_override(expression)[1]) is type(value)


# --- applying ---------------------------------------------------------------------------------


def test_float_override():
    config = checked(MNIST, "optimizer.learning_rate=3e-4")
    assert config.optimizer.learning_rate == 0.0003
    assert isinstance(config.optimizer.learning_rate, float)


def test_nested_index_override():
    config = checked(MNIST, "model.layers[1].units=256")
    assert config.model.layers[1].units == 256
    assert config.model.layers[3].units == 10  # the others are untouched


def test_several_overrides_apply_in_order():
    config = checked(MNIST, "seed=1", "model.layers[2].rate=0.5", "seed=2")
    assert config.seed == 2
    assert config.model.layers[2].rate == 0.5


def test_override_creates_a_missing_section():
    config = checked(MNIST, "lint.ignore=[NN101]")
    assert config.lint.ignore == ["NN101"]


def test_override_creates_a_missing_key_in_a_layer():
    config = checked(MNIST, "model.layers[1].kernel_initializer=he_normal")
    assert config.model.layers[1].kernel_initializer.name == "he_normal"


def test_override_expands_the_name_shorthand():
    assert "optimizer: adam\n" in BINARY.read_text()
    config = checked(BINARY, "optimizer.learning_rate=3e-4")
    assert config.optimizer.name == "adam"
    assert config.optimizer.learning_rate == 0.0003


def test_override_expands_a_loss_and_an_activation_shorthand():
    config = checked(BINARY, "loss.label_smoothing=0.1", "model.layers[0].activation.negative_slope=0.2")
    assert config.loss.name == "binary_crossentropy" and config.loss.label_smoothing == 0.1
    assert config.model.layers[0].activation.name == "relu"
    assert config.model.layers[0].activation.negative_slope == 0.2


def test_override_expands_a_shorthand_held_in_a_list():
    config = checked(BINARY, "metrics[0].threshold=0.3")
    assert (config.metrics[0].name, config.metrics[0].threshold) == ("binary_accuracy", 0.3)
    assert config.metrics[1].name == "auc"


def test_override_replaces_a_whole_section():
    config = checked(MNIST, "optimizer={name: sgd, momentum: 0.9}")
    assert config.optimizer.name == "sgd" and config.optimizer.momentum == 0.9


def test_override_of_a_shorthand_name_keeps_it_a_name():
    config = checked(BINARY, "optimizer=rmsprop")
    assert config.optimizer.name == "rmsprop"


def test_override_does_not_touch_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL)
    checked(path, "seed=3")
    assert path.read_text() == MINIMAL


def test_override_of_the_default_optimizer():
    report = check(MINIMAL, ["optimizer.learning_rate=3e-4"])
    assert report.ok, describe(report)
    assert report.config.optimizer.name == "adam"
    assert report.config.optimizer.learning_rate == 0.0003


# --- an override whose value fails the schema --------------------------------------------------


@pytest.mark.parametrize(("expression", "path"), [
    ("model.layers[1].units=many", "model.layers[1].units"),
    ("model.layers[1].units=0", "model.layers[1].units"),
    ("model.layers[1].units=2.5", "model.layers[1].units"),
    ("model.layers[1].unitz=3", "model.layers[1].unitz"),
    ("optimizer.learning_rate=yes", "optimizer.learning_rate"),
    ("optimizer=adamm", "optimizer"),
    ("model.layers[1].activation=reluu", "model.layers[1].activation"),
    ("seed=-1", "seed"),
    ("task=classification", "task"),
])
def test_override_that_fails_the_schema_is_reported_against_the_override(expression, path):
    report = nnconf.check(MNIST, [expression])
    assert not report.ok
    finding = by_path(errors(report), path)
    assert finding.rule == codes.SCHEMA
    assert finding.file == f"--set {expression}"
    assert finding.file.startswith("--set ")
    assert finding.line is None
    assert finding.format().startswith(f"--set {expression}: error {codes.SCHEMA} ")


@pytest.mark.parametrize(("expression", "path"), [
    ("optimizer.name=adamm", "optimizer"),
    ("loss.name=mse2", "loss"),
    ("model.layers[1].type=Dence", "model.layers[1]"),
])
def test_unknown_name_set_by_an_override_is_reported_against_the_override(expression, path):
    report = nnconf.check(MNIST, [expression])
    finding = by_path(errors(report), path)
    assert "did you mean" in finding.hint
    assert finding.file == f"--set {expression}"


def test_override_finding_keeps_its_did_you_mean():
    finding = by_path(nnconf.check(MNIST, ["model.layers[1].unitz=3"]).findings, "model.layers[1].unitz")
    assert "did you mean 'units'?" in finding.hint


def test_file_problems_and_override_problems_are_reported_together(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("units: 1,", "units: 0,"))
    report = nnconf.check(path, ["seed=-1", "foo"])
    files = sorted(f.file for f in report.findings)
    assert files == ["--set foo", "--set seed=-1", str(path)], describe(report)


# --- overrides that cannot be applied --------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "foo", "a..b=1", "=3", "", "   ", ".a=1", "a.=1", "a[x]=1", "a[-1]=1", "a b=1", "a.[0]=1", "[0]=1", "1a=2",
])
def test_malformed_override(expression):
    report = nnconf.check(MNIST, [expression])
    assert not report.ok
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert finding.rule == codes.OVERRIDE
    assert finding.file == f"--set {expression}"
    assert "key.path=value" in finding.hint


def test_malformed_override_raises_override_error_from_the_parser():
    with pytest.raises(OverrideError) as caught:
        parse_override("a..b=1")
    assert caught.value.finding.rule == codes.OVERRIDE


@pytest.mark.parametrize("expression", ["seed=[1", "seed={a: 1, a: 2}", "seed=!!python/name:os.system",
                                        "seed=a: b: c"])
def test_override_value_that_is_not_valid_yaml(expression):
    report = nnconf.check(MNIST, [expression])
    finding = errors(report)[0]
    assert (finding.rule, finding.file) == (codes.OVERRIDE, f"--set {expression}"), describe(report)
    assert finding.message.startswith("the value cannot be used: ")


def test_override_value_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    expression = f"name=!!python/object/apply:os.system ['touch {marker}']"
    report = nnconf.check(MNIST, [expression])
    assert not marker.exists()
    assert errors(report)[0].rule == codes.OVERRIDE


@pytest.mark.parametrize(("expression", "words"), [
    ("model.layers[4].units=3", ["4 items", "[4]", "the last is [3]"]),
    ("model.layers[99].units=3", ["4 items", "[99]"]),
    ("model.input_shape[2]=3", ["2 items", "[2]"]),
])
def test_override_index_out_of_range(expression, words):
    report = nnconf.check(MNIST, [expression])
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.rule, finding.file) == (codes.OVERRIDE, f"--set {expression}")
    for word in words:
        assert word in f"{finding.message} {finding.hint}"


@pytest.mark.parametrize(("expression", "words"), [
    ("seed.value=3", "seed is not a mapping"),
    ("model.layers[1].units.max=3", "model.layers[1].units is not a mapping"),
    ("model.input_shape[0].x=1", "model.input_shape[0] is not a mapping"),
    ("model.input_shape.x=1", "model.input_shape is not a mapping"),
    ("model[0]=1", "model is not a list"),
    ("seed[0]=1", "seed is not a list"),
    ("model.layers.units=3", "model.layers is not a mapping"),
    ("task.kind=binary", "task is not a mapping"),  # a string that names no spec has no keys
    ("name.first=x", "name is not a mapping"),
])
def test_override_stepping_into_a_scalar_or_wrong_container(expression, words):
    report = nnconf.check(MNIST, [expression])
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.rule, finding.file) == (codes.OVERRIDE, f"--set {expression}")
    assert words in finding.message


@pytest.mark.parametrize("expression", ["name.first=x", "task.kind=binary"])
def test_override_stepping_into_a_string_is_reported_against_the_override(expression):
    report = nnconf.check(MNIST, [expression])
    assert not report.ok
    assert [f.file for f in errors(report)] == [f"--set {expression}"], describe(report)


@pytest.mark.parametrize("expression", ["epochs.count=3", "seed.value=3"])
def test_problem_in_a_created_section_is_reported_against_the_override(expression):
    report = check(MINIMAL, [expression])
    assert not report.ok
    assert [f.file for f in errors(report)] == [f"--set {expression}"], describe(report)


# --- hostile overrides: refused up front, in nnconf's words, abbreviated -----------------------------


@pytest.mark.parametrize("segments", [MAX_DEPTH, 4_000, 100_000])
def test_override_path_deeper_than_the_nesting_limit_is_refused_before_it_is_walked(segments):
    expression = "a." * (segments - 1) + "b=1"
    with pytest.raises(OverrideError) as caught:
        parse_override(expression)
    finding = caught.value.finding
    assert finding.rule == codes.OVERRIDE
    assert finding.message == (f"the path has {segments} levels; values in a config are nested at most "
                               f"{MAX_DEPTH} levels deep")
    assert len(finding.file) < 150  # the expression is abbreviated where it is named


def test_override_path_just_within_the_nesting_limit_is_applied():
    path, value = parse_override("a." * (MAX_DEPTH - 2) + "b=1")
    assert len(path) == MAX_DEPTH - 1 and value == 1
    report = check(MINIMAL, ["lint." + "x." * (MAX_DEPTH - 3) + "y=1"])
    assert [f.rule for f in errors(report)] == [codes.SCHEMA], describe(report)  # lint has no key x


def test_override_whose_path_and_value_together_nest_too_deep_is_refused():
    with pytest.raises(OverrideError) as caught:
        parse_override("a." * (MAX_DEPTH - 2) + "b=[1]")
    assert caught.value.finding.message == f"the value would be nested more than {MAX_DEPTH} levels deep in the config"


def test_deep_override_path_is_one_override_finding_of_the_config():
    expression = "model." * 3999 + "units=1"
    report = nnconf.check(MNIST, [expression])
    assert [(f.rule, f.severity.value) for f in report.findings] == [(codes.OVERRIDE, "error")], describe(report)


@pytest.mark.parametrize("index", ["99999999999999999999", "9" * 10_000, str(MAX_VALUES)])
def test_override_index_beyond_any_list_is_refused_before_it_is_converted(index):
    with pytest.raises(OverrideError) as caught:
        parse_override(f"model.layers[{index}].units=3")
    finding = caught.value.finding
    assert finding.message.startswith("the index [") and "is beyond any list in a config" in finding.message
    assert len(finding.message) < 150


@pytest.mark.parametrize("digits", ["0x" + "f" * 5000, "9" * 100_000])
def test_override_with_an_integer_too_large_is_one_override_finding(digits):
    expression = f"seed={digits}"
    report = nnconf.check(MNIST, [expression])
    assert len(report.findings) == 1, describe(report)
    finding = report.findings[0]
    assert finding.rule == codes.OVERRIDE
    assert finding.message.startswith("the value cannot be used: integer too large: ")
    assert finding.hint
    assert finding.file.startswith("--set seed=") and finding.file.endswith(f"({len(expression)} characters)")
    assert len(finding.format()) < 400, finding.format()


def test_override_with_an_integer_too_large_is_one_line_and_exit_2(tmp_path):
    digits = "9" * 100_000
    result = run_cli("validate", "--set", f"seed={digits}", str(MNIST))
    printed = result.stdout + result.stderr
    assert result.returncode == 2, printed
    assert "Traceback" not in printed
    lines = [line for line in printed.splitlines() if line.strip()]
    assert len(lines) == 1 and "integer too large" in lines[0] and len(lines[0]) < 500, printed


def test_override_schema_finding_names_a_long_expression_abbreviated():
    expression = "name=" + "x" * 5000
    finding = by_path(errors(nnconf.check(MNIST, [expression])), "name")
    assert finding.file.startswith("--set name=xxx") and finding.file.endswith("(5005 characters)")
