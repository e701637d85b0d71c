"""Fixes: the lint rules that carry them, ``nnconf lint --fix`` and ``--diff``, and what they keep."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

import nnconf
from nnconf.analysis.fixes import FixError, apply_fix, fix_file, fix_text
from nnconf.analysis.lint import REGISTRY
from nnconf.cli import cli
from nnconf.findings import Edit, Fix

from tests.config.helpers import ROOT, dedent

# Every rule whose fix is certain; the test below fails if a rule gains or loses one unnoticed.
SAFE = {"NN101", "NN103", "NN104", "NN105", "NN115", "NN204", "NN205", "NN206"}

COMMENTED = dedent("""
    # yaml-language-server: $schema=nnconf.schema.json
    # A small binary classifier; the comments must survive --fix.
    name: commented
    task: binary          # one label per sample
    seed: 7
    model:
      input_shape: [8]    # eight features
      layers:
        # the hidden layer
        - type: Dense
          units: 16
          activation: relu
        - {type: Dense, units: 1}   # one logit
    loss: binary_crossentropy       # from_logits is missing
    optimizer: {name: adam, learning_rate: 1e-3}
    metrics: [accuracy]
    training:
      epochs: 3
""")


def lint_codes(text: str, **options) -> list[str]:
    return [finding.rule for finding in nnconf.lint_text(text, **options).findings]


def runner_lint(*args: str):
    return CliRunner().invoke(cli, ["lint", *args])


# --- the rules and their fixes -------------------------------------------------------------------


def rules_with_fixes() -> list[str]:
    return sorted(code for code, rule in REGISTRY.items()
                  if any(f.fixes for f in nnconf.lint_text(rule.failing, select=[code]).findings))


def test_the_rules_with_certain_fixes_are_the_expected_ones():
    safe = {code for code, rule in REGISTRY.items()
            if any(fix.safe for f in nnconf.lint_text(rule.failing, select=[code]).findings for fix in f.fixes)}
    assert safe == SAFE


@pytest.mark.parametrize("code", sorted(SAFE))
def test_fix_resolves_its_rule_on_the_failing_example(code):
    rule = REGISTRY[code]
    outcome = fix_text(rule.failing, select=[code])
    assert outcome.changed
    assert code not in lint_codes(outcome.text, select=[code])
    assert nnconf.check_text(outcome.text).ok


@pytest.mark.parametrize("code", rules_with_fixes())
def test_every_offered_fix_resolves_its_finding(code):
    rule = REGISTRY[code]
    for finding in nnconf.lint_text(rule.failing, select=[code]).findings:
        for fix in finding.fixes:
            fixed = apply_fix(rule.failing, fix)
            remaining = [f for f in nnconf.lint_text(fixed, select=[code]).findings if f.path == finding.path]
            assert not remaining, f"{fix.title} left {remaining}"


def test_unsafe_fixes_are_offered_not_applied():
    rule = REGISTRY["NN114"]  # from_logits on softmax: drop the softmax, or from_logits: false?
    outcome = fix_text(rule.failing, select=["NN114"])
    assert not outcome.changed and outcome.text == rule.failing
    assert sorted(fix.title for _, fix in outcome.offered) == ["remove activation: softmax (a linear output)",
                                                               "set from_logits: false"]


def test_an_unused_ignore_is_removed_but_not_one_of_a_data_rule():
    text = dedent("""
        task: regression
        model: {input_shape: [8], layers: [{type: Dense, units: 1}]}
        loss: mse
        lint: {ignore: [NN203, NN506, NN999]}
    """)
    outcome = fix_text(text)
    assert "lint: {ignore: [NN506]}" in outcome.text  # NN506 may silence something once the data is loaded
    assert [fix.title for _, fix in outcome.offered] == ["remove NN506 from lint.ignore"]


def test_flatten_is_inserted_only_in_sequential_models():
    fixed = fix_text(REGISTRY["NN205"].failing, select=["NN205"]).text
    layers = nnconf.check_text(fixed).config.model.layers
    assert [layer.type for layer in layers] == ["Conv2D", "Flatten", "Dense"]
    functional = dedent("""
        task: multiclass
        model:
          inputs: {image: [8, 8, 1]}
          layers:
            - {name: conv, type: Conv2D, filters: 4, kernel_size: 3, activation: relu, inputs: image}
            - {name: out, type: Dense, units: 3, activation: softmax, inputs: conv}
          outputs: out
        loss: sparse_categorical_crossentropy
    """)
    finding = next(f for f in nnconf.lint_text(functional).findings if f.rule == "NN205")
    assert finding.fixes == ()


def test_a_value_shared_through_an_alias_is_refused():
    text = dedent("""
        task: multiclass
        model:
          input_shape: [8]
          layers:
            - &block {type: Dense, units: 16}
            - {type: BatchNormalization}
            - {type: ReLU}
            - *block
            - {type: BatchNormalization}
            - {type: ReLU}
            - {type: Dense, units: 3, activation: softmax}
        loss: sparse_categorical_crossentropy
    """)
    outcome = fix_text(text, select=["NN206"])
    assert outcome.text == text
    assert [finding.rule for finding, _, _ in outcome.refused] == ["NN206", "NN206"]


def test_an_edit_of_something_not_written_in_the_file_is_refused():
    with pytest.raises(FixError):
        apply_fix(COMMENTED, Fix("x", (Edit(("training", "early_stopping", "patience"), 3),)))


# --- layout: comments, order, formatting ----------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "fixtures").rglob("*.yaml")), ids=lambda p: p.name)
def test_editing_nothing_keeps_every_shipped_config_byte_for_byte(path):
    text = path.read_text()
    assert apply_fix(text, Fix("nothing", ())) == text


def test_fix_changes_only_the_lines_it_fixes():
    outcome = fix_text(COMMENTED)
    before, after = COMMENTED.splitlines(), outcome.text.splitlines()
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after)
    assert changed == [
        ("loss: binary_crossentropy       # from_logits is missing",
         "loss: {name: binary_crossentropy, from_logits: true} # from_logits is missing"),
        ("metrics: [accuracy]", "metrics: [{name: binary_accuracy, threshold: 0.0}]"),
    ]


def test_windows_line_endings_are_kept():
    text = COMMENTED.replace("\n", "\r\n")
    fixed = fix_text(text).text
    assert fixed.count("\r\n") == text.count("\r\n") and "\n" not in fixed.replace("\r\n", "")


# --- the command line -----------------------------------------------------------------------------


def test_fix_rewrites_the_file_keeping_comments_and_a_second_fix_changes_nothing(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(COMMENTED)
    first = runner_lint("--fix", str(path))
    assert first.exit_code == 0, first.output
    fixed = path.read_text()
    assert "from_logits: true" in fixed
    assert [line for line in fixed.splitlines() if "#" in line] == [
        line if "# from_logits" not in line else "loss: {name: binary_crossentropy, from_logits: true} # from_logits "
                                                 "is missing" for line in COMMENTED.splitlines() if "#" in line]
    keys = [line.split(":")[0] for line in fixed.splitlines() if line and line[0].isalpha()]
    assert keys == ["name", "task", "seed", "model", "loss", "optimizer", "metrics", "training"]
    assert "fixed NN105 [loss]" in first.stderr
    second = runner_lint("--fix", str(path))
    assert second.exit_code == 0 and path.read_text() == fixed
    assert "fixed" not in second.stderr


def test_diff_prints_the_change_and_writes_nothing(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(COMMENTED)
    result = runner_lint("--diff", str(path))
    assert result.exit_code == 1
    assert path.read_text() == COMMENTED
    assert f"--- a/{path}" in result.stdout
    assert "-loss: binary_crossentropy       # from_logits is missing" in result.stdout
    assert "+loss: {name: binary_crossentropy, from_logits: true} # from_logits is missing" in result.stdout
    assert "would fix NN105" in result.stderr
    path.write_text(fix_text(COMMENTED).text)
    clean = runner_lint("--diff", str(path))
    assert clean.exit_code == 0 and clean.stdout == ""


def test_fix_keeps_json_output_parseable(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(COMMENTED)
    result = runner_lint("--fix", "--format", "json", str(path))
    assert json.loads(result.stdout)["findings"] == []


def test_fix_leaves_a_file_with_only_unsafe_fixes_alone(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(REGISTRY["NN114"].failing)
    result = runner_lint("--fix", str(path))
    assert result.exit_code == 1  # the error remains
    assert path.read_text() == REGISTRY["NN114"].failing
    assert "NN114 [loss] has a fix that may change what the model does, not applied" in result.stderr


def test_fix_does_not_combine_with_set(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(COMMENTED)
    result = runner_lint("--fix", "--set", "seed=1", str(path))
    assert result.exit_code == 2
    assert path.read_text() == COMMENTED


def test_fix_through_a_symbolic_link_rewrites_the_file_and_keeps_the_link_and_mode(tmp_path):
    target = tmp_path / "real.yaml"
    target.write_text(COMMENTED)
    target.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    result = runner_lint("--fix", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "from_logits: true" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]  # no temporary left


def test_fix_file_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(FixError):
        fix_file(fifo, write=True)


def test_fix_of_a_broken_file_changes_nothing_and_reports_it(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("task: binary\nmodel: [\n")
    result = runner_lint("--fix", str(path))
    assert result.exit_code == 1 and "NN001" in result.stdout
    assert path.read_text() == "task: binary\nmodel: [\n"
