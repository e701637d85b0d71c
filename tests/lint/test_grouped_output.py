"""Lint on large models stays readable: a rule repeated over many layers is told once in text and github
output, with the layers listed; json and sarif keep every location."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nnconf.findings import Finding, Severity
from nnconf.formats import GROUPED_FROM, Group, grouped, render

ROOT = Path(__file__).resolve().parents[2]


def conv_bn_config(blocks: int) -> str:
    """A functional model of ``blocks`` Conv2D + BatchNormalization pairs, each conv keeping its bias (NN206)."""
    layers, previous = [], "image"
    for i in range(blocks):
        layers.append(f"    - {{type: Conv2D, name: conv{i}, filters: 4, kernel_size: 3, padding: same, "
                      f"inputs: {previous}}}")
        layers.append(f"    - {{type: BatchNormalization, name: bn{i}, inputs: conv{i}}}")
        layers.append(f"    - {{type: Activation, name: relu{i}, activation: relu, inputs: bn{i}}}")
        previous = f"relu{i}"
    layers.append(f"    - {{type: GlobalAveragePooling2D, name: pool, inputs: {previous}}}")
    layers.append("    - {type: Dense, name: out, units: 3, inputs: pool}")
    return ("task: multiclass\nloss: {name: sparse_categorical_crossentropy, from_logits: true}\nmodel:\n"
            "  inputs: {image: [16, 16, 3]}\n  outputs: out\n  layers:\n" + "\n".join(layers) + "\n")


def lint(path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "nnconf", "lint", str(path), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def test_text_output_tells_a_rule_over_many_layers_once_with_the_layers(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(conv_bn_config(12))
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    nn206 = [line for line in lines if " NN206 " in line]
    assert nn206 == [f"{path}:7:7: warning NN206 A bias right before BatchNormalization in 12 layers: "
                     "conv0, conv1, conv2, conv3, conv4 (and 7 more)"]
    assert lines[1].startswith("    first: the bias of 'conv0' is removed") and lines[1].endswith(
        "[model.layers[0].use_bias]")
    assert lines[2].startswith("    hint: ")
    assert lines[-1] == "1 file linted: 0 errors, 12 warnings, 0 info"  # the tally still counts every one


def test_json_and_sarif_keep_every_location(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(conv_bn_config(12))
    findings = json.loads(lint(path, "--format", "json").stdout)["findings"]
    assert [f["path"] for f in findings] == [f"model.layers[{3 * i}].use_bias" for i in range(12)]
    assert len({f["line"] for f in findings}) == 12
    results = json.loads(lint(path, "--format", "sarif").stdout)["runs"][0]["results"]
    assert len(results) == 12


def test_github_output_annotates_the_group_once(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(conv_bn_config(12))
    lines = lint(path, "--format", "github").stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"::warning file={path},line=7,col=7,title=nnconf NN206::A bias right before "
                               "BatchNormalization in 12 layers: conv0, conv1")
    assert "%0Afirst: the bias of 'conv0'" in lines[0]


def test_a_few_findings_of_a_rule_are_each_told(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(conv_bn_config(GROUPED_FROM - 1))
    lines = [line for line in lint(path).stdout.splitlines() if " NN206 " in line]
    assert len(lines) == GROUPED_FROM - 1
    assert all("the bias of 'conv" in line for line in lines)


def finding(rule: str, message: str, path: str, file: str = "a.yaml", line: int = 1) -> Finding:
    return Finding(rule, message, path=path, severity=Severity.WARNING, file=file, line=line)


def test_grouping_keeps_other_rules_files_and_non_layer_findings_apart():
    same = [finding("NN206", f"the bias of 'c{i}' is removed", f"model.layers[{i}].use_bias", line=i + 1)
            for i in range(5)]
    other_file = [finding("NN206", f"the bias of 'd{i}' is removed", f"model.layers[{i}].use_bias", "b.yaml")
                  for i in range(2)]
    not_layers = [finding("NN402", "epsilon is tiny", "optimizer.epsilon") for _ in range(5)]
    items = grouped(same + other_file + not_layers)
    assert isinstance(items[0], Group) and items[0].layers == ("c0", "c1", "c2", "c3", "c4")
    assert items[1:] == other_file + not_layers


def test_findings_about_one_layer_twice_are_not_grouped():
    repeated = [finding("NN206", "the bias of 'c0' is removed", f"model.layers[0].use_bias") for _ in range(5)]
    assert grouped(repeated) == repeated
    assert render("text", repeated, 1).count("NN206") == 5
