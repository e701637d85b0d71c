"""Functional models: named inputs and outputs, layers wired by name, checked as a graph."""

from __future__ import annotations

import pytest

import nnconf
from nnconf import FunctionalModel, codes
from nnconf.findings import Severity

from tests.config.helpers import CONFIGS, by_path, check, describe, errors


def graph(layers: str, outputs: str = "out", extra: str = "", loss: str = "{out: binary_crossentropy}",
          task: str = "{out: binary}") -> str:
    """A functional config with one input ``x: [4]``; ``layers`` are flow mappings, one a line."""
    lines = "\n".join(f"    - {layer.strip()}" for layer in layers.strip().splitlines())
    return (f"task: {task}\nmodel:\n  inputs:\n    x: [4]\n  layers:\n{lines}\n  outputs: {outputs}\n"
            f"loss: {loss}\n{extra}")


# Line numbers below: the first layer is on line 6.


def test_shipped_functional_config_validates():
    report = nnconf.check(CONFIGS / "functional.yaml")
    assert report.ok and report.findings == [], describe(report)
    config = report.config
    assert isinstance(config.model, FunctionalModel)
    assert config.output_names() == ["digit", "parity"]
    assert report.inference.outputs == {"digit": (10,), "parity": (1,)}
    merged = report.inference.layer("merged")
    assert merged.input_shape == [(64,), (4,)] and merged.output_shape == (68,)


def test_valid_graph():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
    """))
    assert report.ok and report.findings == [], describe(report)


def test_layer_inputs_naming_nothing():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: hiden}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
    """))
    finding = by_path(errors(report), "model.layers[0].inputs")
    assert finding.rule == codes.GRAPH
    assert "'hiden'" in finding.message
    assert (finding.line, finding.column) == (6, 48)
    assert len(errors(report)) == 1, describe(report)


def test_one_of_several_inputs_naming_nothing_is_located_at_its_item():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: both, type: Concatenate, inputs: [h, y]}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: both}
    """))
    finding = by_path(errors(report), "model.layers[1].inputs[1]")
    assert (finding.rule, finding.line, finding.column) == (codes.GRAPH, 7, 51)
    assert "'y'" in finding.message


def test_misspelt_input_gets_did_you_mean():
    report = check(graph("""
        {name: hidden, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: hiden}
    """))
    assert "did you mean 'hidden'?" in by_path(report.findings, "model.layers[1].inputs").hint


@pytest.mark.parametrize(("outputs", "path", "line", "column"), [
    ("nowhere", "model.outputs", 7, 12),
    ("[out, nowhere]", "model.outputs[1]", 7, 18),
    ("x", "model.outputs", 7, 12),  # a model input is not a layer output
])
def test_output_naming_no_layer(outputs, path, line, column):
    report = check(graph("""
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}
    """, outputs=outputs))
    finding = by_path(errors(report), path)
    assert (finding.rule, finding.line, finding.column) == (codes.GRAPH, line, column), describe(report)
    assert "names no layer" in finding.message


def test_misspelt_output_gets_did_you_mean():
    report = check(graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}", outputs="ot"))
    assert "did you mean 'out'?" in by_path(report.findings, "model.outputs").hint


def test_cycle():
    report = check(graph("""
        {name: a, type: Dense, units: 3, inputs: b}
        {name: b, type: Dense, units: 3, inputs: a}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: b}
    """))
    finding = by_path(errors(report), "model.layers[0].inputs")
    assert finding.rule == codes.GRAPH
    assert "cycle" in finding.message and "a -> b -> a" in finding.message
    assert (finding.line, finding.column) == (6, 48)


def test_layer_taking_itself_is_a_cycle():
    report = check(graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: out}"))
    finding = by_path(errors(report), "model.layers[0].inputs")
    assert "cycle" in finding.message


def test_duplicate_layer_name():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: h, type: Dense, units: 5, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
    """))
    finding = by_path(errors(report), "model.layers[1].name")
    assert (finding.rule, finding.line, finding.column) == (codes.GRAPH, 7, 14)
    assert "'h'" in finding.message and "twice" in finding.message


def test_layer_named_like_a_model_input():
    report = check(graph("""
        {name: x, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}
    """))
    finding = by_path(errors(report), "model.layers[0].name")
    assert finding.rule == codes.GRAPH


def test_loss_keyed_by_a_non_output():
    report = check(graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}",
                         loss="{out: binary_crossentropy, aux: mse}"))
    finding = by_path(errors(report), "loss.aux")
    assert finding.rule == codes.GRAPH
    assert "'aux'" in finding.message and "not an output" in finding.message
    assert (finding.line, finding.column) == (8, 39)
    assert len(errors(report)) == 1, describe(report)


@pytest.mark.parametrize(("extra", "path"), [
    ("loss_weights: {outt: 1.0}\n", "loss_weights.outt"),
    ("metrics: {ot: [accuracy]}\n", "metrics.ot"),
])
def test_per_output_section_keyed_by_a_non_output(extra, path):
    report = check(graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}", extra=extra))
    finding = by_path(errors(report), path)
    assert "did you mean 'out'?" in finding.hint


def test_task_keyed_by_a_non_output():
    report = check(graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}",
                         task="{out: binary, aux: regression}"))
    by_path(errors(report), "task.aux")


def test_output_without_a_loss():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
        {name: aux, type: Dense, units: 1, inputs: h}
    """, outputs="[out, aux]", task="{out: binary, aux: regression}"))
    finding = by_path(errors(report), "loss")
    assert "'aux'" in finding.message


def test_per_output_loss_on_a_sequential_model():
    report = check("""
        task: binary
        model:
          input_shape: [4]
          layers:
            - {type: Dense, units: 1, activation: sigmoid}
        loss: {out: binary_crossentropy}
    """)
    finding = by_path(errors(report), "loss")
    assert "sequential" in finding.message


def test_unused_layer_is_a_warning_and_the_config_is_ok():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: spare, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
    """))
    assert report.ok and report.config is not None
    assert len(report.findings) == 1, describe(report)
    finding = report.findings[0]
    assert finding.severity is Severity.WARNING
    assert (finding.rule, finding.path, finding.line, finding.column) == (codes.UNUSED_LAYER, "model.layers[1]", 7, 7)
    assert "'spare'" in finding.message


def test_unused_model_input_is_a_warning():
    text = graph("{name: out, type: Dense, units: 1, activation: sigmoid, inputs: x}").replace(
        "    x: [4]\n", "    x: [4]\n    extra: [2]\n")
    report = check(text)
    assert report.ok
    finding = by_path(report.findings, "model.inputs.extra")
    assert finding.severity is Severity.WARNING


def test_layer_without_inputs_in_a_functional_model():
    report = check(graph("""
        {name: h, type: Dense, units: 3}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: h}
    """))
    finding = by_path(errors(report), "model.layers[0]")
    assert "no 'inputs'" in finding.message


def test_single_input_layer_given_two_inputs():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: [x, h]}
    """))
    finding = by_path(errors(report), "model.layers[1].inputs")
    assert "Concatenate" in finding.hint


def test_several_graph_problems_are_reported_together():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: nothing}
        {name: h, type: Dense, units: 3, inputs: x}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: elsewhere}
    """, outputs="[out, gone]", task="{out: binary, gone: binary}",
        loss="{out: binary_crossentropy, gone: binary_crossentropy}"))
    paths = sorted(f.path for f in errors(report))
    assert paths == ["model.layers[0].inputs", "model.layers[1].name", "model.layers[2].inputs",
                     "model.outputs[1]"], describe(report)


def test_shape_mismatch_in_a_graph_is_located_at_the_layer():
    report = check(graph("""
        {name: h, type: Dense, units: 3, inputs: x}
        {name: both, type: Add, inputs: [x, h]}
        {name: out, type: Dense, units: 1, activation: sigmoid, inputs: both}
    """))
    finding = errors(report)[0]
    assert finding.rule == codes.GRAPH and finding.path.startswith("model.layers[1]"), describe(report)
