"""The ``search:`` section is checked like the rest of a config: every problem a located finding at
its key under ``search.space``, before any trial starts. No TensorFlow or Optuna here."""

import subprocess
import sys
import textwrap

import pytest

import nnconf
from nnconf import codes
from nnconf.config.search import Dimension

from tests.config.helpers import run_cli

BASE = """\
name: space
task: multiclass
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 32, activation: relu}
    - {type: Dense, units: 32, activation: relu}
    - {type: Dropout, rate: 0.1}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
optimizer: adam
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16}
search:
  metric: val_accuracy
  space:
"""
FIRST_KEY_LINE = BASE.count("\n") + 1  # the line of the first key under search.space


def check(*space_lines: str, search_extra: str = "", base: str = BASE):
    text = base.replace("search:\n", "search:\n" + search_extra) + "".join(f"    {line}\n" for line in space_lines)
    return nnconf.check_text(text, name="space.yaml")


def only_error(report, key: str):
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert len(errors) == 1, "\n".join(f.format() for f in report.findings)
    finding = errors[0]
    assert finding.path == f"search.space.{key}"
    assert finding.file == "space.yaml"
    return finding


def test_the_issue_example_is_valid():
    report = check("optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}",
                   "model.layers[1].units: {choice: [32, 64, 128]}",
                   "model.layers[2].rate: {uniform: [0.0, 0.5]}")
    assert report.ok, "\n".join(f.format() for f in report.findings)
    assert report.config.search.maximize


def test_an_index_past_the_end_names_nothing():
    finding = only_error(check("optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}",
                               "model.layers[7].units: {choice: [32, 64]}"), "model.layers[7].units")
    assert finding.rule == codes.OVERRIDE
    assert (finding.line, finding.column) == (FIRST_KEY_LINE + 1, 5)
    assert "[7] points nowhere" in finding.message


def test_an_unknown_key_names_nothing():
    finding = only_error(check("model.layers[1].unitz: {choice: [32, 64]}"), "model.layers[1].unitz")
    assert finding.rule == codes.SCHEMA
    assert (finding.line, finding.column) == (FIRST_KEY_LINE, 5)
    assert "unknown key 'unitz'" in finding.message
    assert finding.hint == "did you mean 'units'?"


def test_a_key_that_is_not_a_path():
    finding = only_error(check("model.layers[1]..units: {choice: [32, 64]}"), "model.layers[1]..units")
    assert finding.rule == codes.OVERRIDE
    assert "is not a config path" in finding.message


def test_a_fractional_range_for_a_whole_number():
    finding = only_error(check("model.layers[1].units: {uniform: [16, 128]}"), "model.layers[1].units")
    assert "uniform range gives fractional numbers" in finding.message
    assert finding.hint == "search it with int or log_int"


def test_a_range_end_the_schema_refuses_names_that_end():
    finding = only_error(check("model.layers[2].rate: {uniform: [0.0, 1.5]}"), "model.layers[2].rate")
    assert finding.line == FIRST_KEY_LINE
    assert "the high end of its range (1.5)" in finding.message
    assert "rate should be less than 1" in finding.message


def test_a_choice_the_schema_refuses_names_that_choice():
    finding = only_error(check('model.layers[0].activation: {choice: [relu, "reluu"]}'), "model.layers[0].activation")
    assert 'the choice "reluu"' in finding.message


def test_a_choice_the_shapes_refuse_is_a_shape_finding():
    finding = only_error(check("model.input_shape: {choice: [[64], [8, 8]]}",
                               base=BASE.replace("    - {type: Dense, units: 10}", "    - {type: Dense, units: 10}\n"
                                                 "    - {type: Reshape, target_shape: [5, 2]}")),
                         "model.input_shape")
    assert finding.rule == codes.GRAPH
    assert "the choice [8, 8]" in finding.message


@pytest.mark.parametrize(("dimension", "message"), [
    ("{uniform: [0.5, 0.1]}", "is empty"),
    ("{log_uniform: [0, 0.1]}", "must lie above 0"),
    ("{int: [16, 128.5]}", "should be an integer, found 128.5"),
    ("{int: [16, 128], step: 0.5}", "whole-number step"),
    ("{log_int: [16, 128], step: 2}", "step goes with uniform or int"),
    ("{uniform: [0.1, 0.5], choice: [0.2]}", "exactly one of"),
    ("{}", "exactly one of"),
    ("{choice: []}", "should have at least 1 item, found []"),
    ("{unifrom: [0.1, 0.5]}", "unknown key 'unifrom'"),
])
def test_a_malformed_dimension_is_located_in_it(dimension, message):
    report = check(f"model.layers[2].rate: {dimension}")
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert len(errors) == 1, "\n".join(f.format() for f in report.findings)
    assert message in errors[0].message
    assert errors[0].line == FIRST_KEY_LINE
    assert errors[0].path.startswith("search.space.model.layers[2].rate")


def test_a_grid_search_needs_finite_values():
    finding = only_error(check("optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}",
                               search_extra="  sampler: grid\n"), "optimizer.learning_rate")
    assert "grid search needs a finite list" in finding.message


def test_a_grid_too_large_to_hold_is_refused():
    report = check("model.layers[1].units: {int: [1, 100000]}", "model.layers[0].units: {int: [1, 100]}",
                   search_extra="  sampler: grid\n")
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert [f.path for f in errors] == ["search.sampler"]
    assert "the grid has 10,000,000 combinations" in errors[0].message


@pytest.mark.parametrize(("dimension", "grid"), [
    ({"int": [1, 5]}, [1, 2, 3, 4, 5]), ({"int": [0, 10], "step": 3}, [0, 3, 6, 9]),
    ({"uniform": [0.0, 0.5], "step": 0.1}, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]), ({"choice": [1, "a", [2]]}, [1, "a", [2]]),
    ({"log_int": [1, 8]}, None), ({"uniform": [0.0, 1.0]}, None),
])
def test_the_values_a_grid_search_tries(dimension, grid):
    parsed = Dimension.model_validate(dimension)
    assert parsed.grid() == grid
    assert parsed.grid_size() == (None if grid is None else len(grid))


def test_a_key_with_an_equals_sign_is_not_a_path():
    finding = only_error(check("model.layers[1].units=3: {choice: [32, 64]}"), "model.layers[1].units=3")
    assert "is not a config path" in finding.message


def test_a_validation_metric_needs_a_validation_split():
    report = check("model.layers[2].rate: {uniform: [0.0, 0.5]}",
                   base=BASE.replace("scale: 16}", "scale: 16, validation_split: 0}"))
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert [f.path for f in errors] == ["search.metric"]


@pytest.mark.parametrize(("metric", "direction", "maximize"), [
    ("val_accuracy", "", True), ("val_sparse_categorical_accuracy", "", True), ("val_auc", "", True),
    ("val_loss", "", False), ("mae", "", False), ("val_loss", "  direction: maximize\n", True),
    ("val_accuracy", "  direction: minimize\n", False),
])
def test_the_direction_follows_from_the_metric_unless_given(metric, direction, maximize):
    report = check("model.layers[2].rate: {uniform: [0.0, 0.5]}", search_extra=direction,
                   base=BASE.replace("metric: val_accuracy", f"metric: {metric}"))
    assert report.ok
    assert report.config.search.maximize is maximize


def test_a_plain_config_writes_no_search_section():
    config = nnconf.loads(textwrap.dedent(BASE).split("search:")[0])
    assert "search" not in config.to_yaml()


def test_validate_and_lint_import_neither_tensorflow_nor_optuna(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(BASE + "    model.layers[2].rate: {uniform: [0.0, 0.5]}\n")
    code = ("import sys\nfrom nnconf.cli import main\n"
            "sys.argv = ['nnconf', 'lint', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'optuna', 'sqlalchemy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
    assert run_cli("validate", str(path)).returncode == 0
