"""Every lint rule is registered, documented and shown on its own examples; the lint command's
formats, exit codes and silencing work as documented."""

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnconf.analysis.lint as lint_package
from nnconf.analysis.lint import REGISTRY, Rule
from nnconf.analysis.lint.data import example_facts
from nnconf.api import check_text, lint_report
from nnconf.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted(REGISTRY.values(), key=lambda rule: rule.code)
DEFAULT_CODES = [rule.code for rule in RULES if rule.enabled_by_default]


def nnconf_cli(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", *arguments], capture_output=True, text=True, cwd=cwd)


def test_every_rule_class_in_the_rule_modules_is_registered():
    defined = set()
    for module_info in pkgutil.iter_modules(lint_package.__path__):
        module = importlib.import_module(f"nnconf.analysis.lint.{module_info.name}")
        defined |= {obj for obj in vars(module).values()
                    if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__}
    assert defined and defined == set(REGISTRY.values())


def test_codes_and_names_are_unique_and_well_formed():
    assert all(re.fullmatch(r"NN[1-9]\d\d", rule.code) for rule in RULES)
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rule_documents_what_why_and_instead(rule):
    documentation = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Instead"):
        assert section in documentation
    assert rule.summary().endswith(".") and isinstance(rule.severity, Severity)


def lint_example(rule: type[Rule], text: str):
    """A rule's example, linted with the example data that data-aware rules carry."""
    data = example_facts(rule, fixed=text == rule.fixed)
    return lint_report(check_text(text), select=DEFAULT_CODES + [rule.code], data=data)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rule_fires_on_its_failing_example(rule):
    report = lint_example(rule, rule.failing)
    assert report.config is not None, [f.format() for f in report.findings]
    assert rule.code in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rules_fixed_example_lints_clean(rule):
    report = lint_example(rule, rule.fixed)
    assert report.config is not None and report.findings == []


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")) +
                         sorted((ROOT / "tests" / "fixtures" / "clean").glob("*.yaml")), ids=lambda p: p.stem)
def test_well_known_architectures_and_shipped_configs_lint_clean(path):
    result = nnconf_cli("lint", str(path), "--strict")
    assert result.returncode == 0, result.stdout
    assert "0 errors, 0 warnings, 0 info" in result.stdout


BROKEN = """\
task: multiclass
model:
  input_shape: [8]
  layers:
    - {type: Dense, units: 16}
    - {type: Dense, units: 3, activation: softmax}
loss: mse
"""
WARNED = """\
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: mse
"""


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


@pytest.fixture
def warned(tmp_path):
    path = tmp_path / "warned.yaml"
    path.write_text(WARNED)
    return path


def test_text_output_locates_each_problem_with_its_rule_and_a_hint(broken):
    result = nnconf_cli("lint", str(broken))
    assert result.returncode == 1
    assert f"{broken}:6:7: error NN201" in result.stdout
    assert f"{broken}:7:7: error NN109 a multiclass task trained with the regression loss 'mse' [loss]" in result.stdout
    assert "hint: " in result.stdout


def test_json_output_has_the_documented_fields(broken):
    result = nnconf_cli("lint", str(broken), "--format", "json")
    document = json.loads(result.stdout)
    assert set(document) == {"findings", "files", "errors", "warnings"}
    assert document["files"] == 1 and document["errors"] == 2 and document["warnings"] == 0
    finding = next(f for f in document["findings"] if f["rule"] == "NN109")
    assert finding == {"file": str(broken), "line": 7, "column": 7, "rule": "NN109", "severity": "error",
                       "message": "a multiclass task trained with the regression loss 'mse'", "path": "loss",
                       "hint": finding["hint"]} and finding["hint"]


def test_github_output_is_workflow_annotations(broken):
    lines = nnconf_cli("lint", str(broken), "--format", "github").stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("::error file=") for line in lines)
    assert any(",line=7,col=7,title=nnconf NN109::" in line for line in lines)
    assert all("\n" not in line for line in lines)


def test_sarif_output_is_sarif_2_1_0_with_rules_and_located_results(broken):
    document = json.loads(nnconf_cli("lint", str(broken), "--format", "sarif").stdout)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert set(REGISTRY) <= rule_ids
    result = next(r for r in run["results"] if r["ruleId"] == "NN109")
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == str(broken)
    assert location["region"] == {"startLine": 7, "startColumn": 7}


def test_warnings_exit_0_unless_strict(warned):
    assert nnconf_cli("lint", str(warned)).returncode == 0
    assert nnconf_cli("lint", str(warned), "--strict").returncode == 1


def test_select_and_ignore_take_codes_and_prefixes(broken):
    only_outputs = json.loads(nnconf_cli("lint", str(broken), "--format", "json", "--select", "NN1").stdout)
    assert {f["rule"] for f in only_outputs["findings"]} == {"NN109"}
    ignored = nnconf_cli("lint", str(broken), "--ignore", "NN109,NN201")
    assert ignored.returncode == 0


def test_opt_in_rules_run_only_when_selected(tmp_path):
    path = tmp_path / "glorot.yaml"
    path.write_text("task: regression\nmodel: {input_shape: [4], layers: [{type: Dense, units: 8, activation: relu},"
                    " {type: Dense, units: 1}]}\nloss: mse\n")
    assert "NN302" not in nnconf_cli("lint", str(path)).stdout
    assert "NN302" in nnconf_cli("lint", str(path), "--select", "NN302").stdout


def test_a_config_can_silence_a_rule_and_a_useless_ignore_is_reported(tmp_path):
    path = tmp_path / "bounded.yaml"
    path.write_text(WARNED + "lint: {ignore: [NN111, NN203]}\n")
    report = json.loads(nnconf_cli("lint", str(path), "--format", "json").stdout)
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [("NN006", "lint.ignore[1]", 4)]


def test_schema_and_yaml_errors_are_findings_in_the_same_run(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("task: multiclass\nmodel: {input_shape: [8], layers: [{type: Dense, unitz: 3}]}\nloss: mse\nloss: mae\n")
    document = json.loads(nnconf_cli("lint", str(path), "--format", "json").stdout)
    assert {f["rule"] for f in document["findings"]} == {"NN001", "NN002"}


def test_directories_are_searched_recursively_and_globs_expanded(tmp_path, broken, warned):
    nested = tmp_path / "deeper" / "more"
    nested.mkdir(parents=True)
    (nested / "clean.yml").write_text((ROOT / "configs" / "binary.yaml").read_text())
    (tmp_path / "notes.txt").write_text("not a config")
    assert '"files": 3' in nnconf_cli("lint", str(tmp_path), "--format", "json").stdout
    assert '"files": 2' in nnconf_cli("lint", str(tmp_path / "*.yaml"), "--format", "json").stdout


@pytest.mark.parametrize("arguments", [["lint"], ["lint", "missing.yaml"], ["lint", "configs", "--format", "xml"],
                                       ["lint", "configs", "--select", "E501"], ["explain", "NN999"]])
def test_usage_errors_exit_2_with_one_line(arguments):
    result = nnconf_cli(*arguments)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_rules_lists_every_rule():
    listed = nnconf_cli("rules").stdout
    assert all(rule.code in listed and rule.name in listed for rule in RULES)


def test_explain_prints_the_documentation_and_both_examples():
    text = nnconf_cli("explain", "nn109").stdout
    assert "NN109 classification-with-regression-loss (error)" in text
    assert "## Why is this bad?" in text and "Reported:" in text and "Fixed:" in text


def test_linting_never_imports_tensorflow():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnconf", "lint", "configs",
                             "tests/fixtures/clean"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "nnconf.analysis.lint" in imported
    assert "tensorflow" not in imported and "keras" not in imported
