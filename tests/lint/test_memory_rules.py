"""A model too large to allocate: NN008 (an error of the checking pipeline) and NN212 (lint, this machine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnconf import codes
from nnconf.analysis.memory import (BYTES_PER_VALUE, MAX_TENSOR_ELEMENTS, machine_memory, optimizer_slots,
                                    training_memory)
from nnconf.api import check_text, lint_text
from nnconf.findings import Severity

ROOT = Path(__file__).resolve().parents[2]


def _config(input_shape: str, *layers: str, extra: str = "") -> str:
    return ("task: regression\nmodel:\n  input_shape: " + input_shape + "\n  layers:\n"
            + "".join(f"    - {layer}\n" for layer in layers) + "loss: mse\n" + extra)


HUGE_UNITS = _config("[4]", "{type: Dense, units: 2147483647}")


def _only(report, code: str):
    found = [f for f in report.findings if f.rule == code]
    assert len(found) == 1, [f.format() for f in report.findings]
    return found[0]


# --- NN008: a tensor too large for TensorFlow, refused by validate --------------------------------


def test_validate_refuses_a_dense_of_2147483647_units_at_the_layer():
    report = check_text(HUGE_UNITS, name="huge.yaml")
    assert not report.ok
    finding = _only(report, codes.MEMORY)
    assert (finding.severity, finding.path, finding.file, finding.line, finding.column) == \
        (Severity.ERROR, "model.layers[0]", "huge.yaml", 5, 7)
    assert finding.message.startswith("layer 'dense' (Dense): its weight 'kernel' of shape [4, 2147483647] has "
                                      "8,589,934,588 elements (32.0 GiB), more than the 2,147,483,647")
    assert finding.hint


def test_a_huge_input_before_a_dense_is_refused_at_the_dense():
    text = _config("[100000000]", "{type: Dense, units: 64}", "{type: Dense, units: 1}")
    finding = _only(check_text(text, name="wide.yaml"), codes.MEMORY)
    assert (finding.path, finding.line) == ("model.layers[0]", 5)
    assert "[100000000, 64] has 6,400,000,000 elements" in finding.message


def test_an_output_too_large_for_one_tensor_is_refused_at_its_layer():
    text = _config("[60000, 60000]", "{type: Reshape, target_shape: [60000, 60000, 1]}",
                   "{type: GlobalAveragePooling2D}", "{type: Dense, units: 1}")
    finding = _only(check_text(text), codes.MEMORY)
    assert finding.path == "model.layers[0]"
    assert "its output of shape [60000, 60000, 1] has 3,600,000,000 elements for each sample" in finding.message


def test_a_weight_of_exactly_the_limit_is_accepted():
    report = check_text(_config("[1]", f"{{type: Dense, units: {MAX_TENSOR_ELEMENTS}}}"))
    assert report.ok, [f.format() for f in report.findings]
    assert report.inference.layers[0].weights["kernel"] == (1, MAX_TENSOR_ELEMENTS)


def test_a_functional_layer_too_large_is_refused_too():
    text = ("task: regression\nmodel:\n  inputs: {x: [8]}\n  layers:\n"
            "    - {name: big, type: Dense, units: 1000000000, inputs: x}\n"
            "    - {name: out, type: Dense, units: 1, inputs: big}\n  outputs: out\nloss: mse\n")
    finding = _only(check_text(text), codes.MEMORY)
    assert (finding.path, finding.line) == ("model.layers[0]", 5)


def test_the_error_cannot_be_ignored_or_deselected():
    report = lint_text(HUGE_UNITS + "lint: {ignore: [NN008]}\n", select=["NN1"])
    assert not report.ok
    assert codes.MEMORY in {f.rule for f in report.findings}


def _limits():
    import resource

    # If the check were gone, TensorFlow would try to allocate 32 GiB: the address-space limit turns
    # that into a failure of this test instead of a machine out of memory.
    resource.setrlimit(resource.RLIMIT_AS, (12 * 2**30, 12 * 2**30))
    resource.setrlimit(resource.RLIMIT_CPU, (300, 300))


@pytest.mark.skipif(os.name != "posix", reason="needs resource limits")
@pytest.mark.parametrize("command", ["validate", "build"])
def test_validate_and_build_exit_1_with_the_finding_and_no_traceback(command, tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE_UNITS)
    env = dict(os.environ, PYTHONIOENCODING="utf-8", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-m", "nnconf", command, str(path), "-o", str(tmp_path / "m.keras")]
                            if command == "build" else [sys.executable, "-m", "nnconf", command, str(path)],
                            cwd=ROOT, capture_output=True, text=True, env=env, preexec_fn=_limits,
                            stdin=subprocess.DEVNULL)
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed
    assert "Traceback" not in printed
    assert f"{path}:5:7: error {codes.MEMORY} layer 'dense' (Dense)" in printed
    assert not (tmp_path / "m.keras").exists()


# --- what training needs, and NN212 -------------------------------------------------------------


def test_training_memory_adds_weights_gradients_optimizer_state_and_a_batch_of_outputs():
    report = check_text(_config("[10]", "{type: Dense, units: 5}", "{type: Dense, units: 1}",
                                extra="training: {batch_size: 32}\n"))
    need = training_memory(report.config, report.inference)
    parameters = (10 * 5 + 5) + (5 * 1 + 1)
    assert need.weights == need.gradients == parameters * BYTES_PER_VALUE
    assert need.optimizer == 2 * parameters * BYTES_PER_VALUE  # Adam: momentum and velocity
    assert need.activations == 2 * (10 + 5 + 1) * 32 * BYTES_PER_VALUE
    assert need.total == need.weights + need.gradients + need.optimizer + need.activations


def test_frozen_layers_need_no_gradients_or_optimizer_state():
    report = check_text(_config("[10]", "{type: Dense, units: 5, trainable: false}", "{type: Dense, units: 1}"))
    need = training_memory(report.config, report.inference)
    assert need.weights == 61 * BYTES_PER_VALUE and need.gradients == 6 * BYTES_PER_VALUE


@pytest.mark.parametrize(("optimizer", "slots"), [
    ("adam", 2), ("{name: adam, amsgrad: true}", 3), ("adamw", 2), ("adamax", 2), ("nadam", 2), ("sgd", 0),
    ("{name: sgd, momentum: 0.9}", 1), ("rmsprop", 1), ("{name: rmsprop, momentum: 0.9, centered: true}", 3),
    ("adagrad", 1), ("adadelta", 2), ("lion", 1), ("{name: adam, use_ema: true}", 3),
    ("{name: sgd, gradient_accumulation_steps: 4}", 1),
])
def test_optimizer_state_per_parameter_is_what_keras_keeps(optimizer, slots):
    report = check_text(_config("[4]", "{type: Dense, units: 1}", extra=f"optimizer: {optimizer}\n"))
    assert report.ok, [f.format() for f in report.findings]
    assert optimizer_slots(report.config.optimizer) == slots


@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="reads /proc/meminfo to compare")
def test_machine_memory_is_at_most_the_physical_memory():
    total_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    assert 0 < machine_memory() <= total_kib * 1024


def test_a_model_beyond_this_machines_memory_is_a_warning_at_its_largest_layer():
    available = machine_memory()
    if available is None:
        pytest.skip("this machine's memory cannot be read")
    # Dense layers of ~2e9 parameters each (under the per-tensor limit): 8 GB of weights apiece, and
    # about 32 GB each to train with Adam; enough of them to exceed this machine.
    count = available // (32 * 10**9) + 2
    layers = ["{type: Dense, units: 40000, activation: relu}"] + [
        "{type: Dense, units: 50000, activation: relu}", "{type: Dense, units: 40000, activation: relu}"] * count
    report = lint_text(_config("[10]", *layers, "{type: Dense, units: 1}"), name="big.yaml", select=["NN212"])
    assert report.ok  # a warning: training may fit elsewhere
    finding = _only(report, "NN212")
    assert finding.severity is Severity.WARNING
    assert finding.path == "model.layers[1]"  # the first of the largest
    assert finding.message.startswith("training needs about ") and "more than this machine's" in finding.message


def test_a_small_model_gets_no_memory_warning():
    report = lint_text(_config("[10]", "{type: Dense, units: 5}", "{type: Dense, units: 1}"), select=["NN212"])
    assert report.findings == []
