"""nnconf graph: the model's graph as DOT (always) and SVG or PNG (through Graphviz), without TensorFlow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import nnconf
from nnconf.analysis.graph import INSTALL_GRAPHVIZ, to_dot
from nnconf.cli import cli

from tests.config.helpers import ROOT

NODE = re.compile(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', re.MULTILINE)
EDGE = re.compile(r"^  (\w+) -> (\w+);$", re.MULTILINE)


def graph_of(path):
    report = nnconf.check(path)
    assert report.ok
    dot = to_dot(report.config, report.inference)
    nodes = {node: (label.split("\\n"), rest) for node, label, rest in NODE.findall(dot)}
    names = {label[0]: node for node, (label, _) in nodes.items()}
    return report, dot, nodes, names


@pytest.mark.parametrize("config", ["functional.yaml", "cnn.yaml"])
def test_every_layer_is_a_node_with_its_type_shape_and_parameters(config):
    report, _, nodes, names = graph_of(ROOT / "configs" / config)
    for layer in report.inference.layers:
        label, _ = nodes[names[layer.name]]
        assert label == [layer.name, layer.spec.type, str((None, *layer.output_shape)),
                         f"{layer.params:,} params"]
    for name, shape in report.inference.input_shapes.items():
        assert nodes[names[name]][0] == [name, "Input", str((None, *shape))]
    assert len(nodes) == len(report.inference.layers) + len(report.inference.input_shapes)


def test_edges_follow_the_functional_wiring_and_outputs_are_marked():
    report, dot, nodes, names = graph_of(ROOT / "configs" / "functional.yaml")
    edges = set(EDGE.findall(dot))
    expected = {(names[source], names[layer.name]) for layer in report.inference.layers
                for source in layer.input_names}
    assert edges == expected
    marked = {nodes[node][0][0] for node, (_, rest) in nodes.items() if "peripheries=2" in rest}
    assert marked == set(report.config.model.output_names)


def test_a_sequential_model_is_a_chain_from_its_input():
    report, dot, _, names = graph_of(ROOT / "configs" / "cnn.yaml")
    order = ["input"] + [layer.name for layer in report.inference.layers]
    assert set(EDGE.findall(dot)) == {(names[a], names[b]) for a, b in zip(order, order[1:])}


def test_graph_prints_dot_and_writes_a_dot_file(tmp_path):
    printed = CliRunner().invoke(cli, ["graph", str(ROOT / "configs" / "digits.yaml")])
    assert printed.exit_code == 0 and printed.stdout.startswith('digraph "digits-mlp" {')
    target = tmp_path / "model.dot"
    written = CliRunner().invoke(cli, ["graph", str(ROOT / "configs" / "digits.yaml"), "-o", str(target)])
    assert written.exit_code == 0
    assert target.read_text() == printed.stdout


def test_graph_says_how_to_install_graphviz_where_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program anywhere on it
    target = tmp_path / "model.svg"
    result = CliRunner().invoke(cli, ["graph", str(ROOT / "configs" / "digits.yaml"), "-o", str(target)])
    assert result.exit_code == 1
    assert INSTALL_GRAPHVIZ in result.stderr
    assert not target.exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed on this machine")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG")])
def test_graph_draws_svg_and_png_with_graphviz(tmp_path, suffix, magic):
    target = tmp_path / f"model{suffix}"
    result = CliRunner().invoke(cli, ["graph", str(ROOT / "configs" / "functional.yaml"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert magic in data[:400]
    if suffix == ".svg":
        assert b"50,240 params" in data and b"Concatenate" in data


def test_graph_refuses_an_unknown_format_and_a_directory(tmp_path):
    config = str(ROOT / "configs" / "digits.yaml")
    assert CliRunner().invoke(cli, ["graph", config, "-o", str(tmp_path / "model.pdf")]).exit_code == 2
    (tmp_path / "taken.dot").mkdir()
    assert CliRunner().invoke(cli, ["graph", config, "-o", str(tmp_path / "taken.dot")]).exit_code == 2


def test_graph_of_an_invalid_config_is_its_findings_and_exit_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: binary\nmodel: {input_shape: [4], layers: [{type: Dense, unitz: 1}]}\nloss: mse\n")
    result = CliRunner().invoke(cli, ["graph", str(bad)])
    assert result.exit_code == 1 and "NN002" in result.stderr and result.stdout == ""


def test_graph_never_imports_tensorflow(tmp_path):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnconf", "graph", "configs/cnn.yaml", "-o",
                             str(tmp_path / "cnn.dot")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "nnconf.analysis.graph" in imported
    assert "tensorflow" not in imported and "keras" not in imported
