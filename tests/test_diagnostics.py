"""Training diagnostics (NN6xx): each finds its planted fault in a real (tiny) run at the right line of
the config, is quiet once the fault is fixed, and the shipped and clean configs trained briefly
raise none; a run with diagnostics trains exactly as one without; stop_on stops resumably.

The judgements themselves are also tested without TensorFlow, on evidence written by hand, at the
thresholds each diagnostic documents.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import get_args

import keras
import numpy as np
import pytest

from nnconf import api
from nnconf.analysis.diagnostics import REGISTRY, explanation, judge
from nnconf.analysis.diagnostics.baseline import baseline_loss
from nnconf.analysis.diagnostics.evidence import Check, Evidence, LayerFacts
from nnconf.config.model import FunctionalModel
from nnconf.config.training import DiagnosticCode
from nnconf.engine.train import TrainingError, resume, train
from nnconf.formats import render

ROOT = Path(__file__).resolve().parent.parent
CODES = sorted(REGISTRY)
# Where each planted fault is reported: the layer it shows in first, or the optimizer.
WHERE = {"NN601": "model.layers[0]", "NN602": "model.layers[0]", "NN603": "model.layers[0]",
         "NN604": "model.layers[0]", "NN605": "model.layers[0]", "NN606": "optimizer.learning_rate",
         "NN607": "optimizer.learning_rate", "NN608": "optimizer.learning_rate"}


class StopAfter(keras.callbacks.Callback):
    """Ends a run after some epochs, as if it were stopped early: the diagnostics still judge it
    against the epochs its config plans (a brief run of a 100-epoch config is not a 3-epoch config)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def run_config(tmp_path: Path, text: str, name: str = "config.yaml", overrides=(), callbacks=()):
    """Trains YAML text; returns the run directory, its saved findings and the Run (None if it raised)."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    directory = tmp_path / f"run-{path.stem}"
    try:
        run = train(path, list(overrides), run_dir=directory, callbacks=list(callbacks))
    except TrainingError:
        run = None
    saved = directory / "findings.json"
    return directory, json.loads(saved.read_text())["findings"] if saved.exists() else [], run


def expected_line(text: str, path: str) -> int:
    """The 1-based line a config path's value is on, found in the text itself."""
    lines = textwrap.dedent(text).splitlines()
    if path.startswith("model.layers["):
        index = int(path[len("model.layers["):-1])
        start = next(i for i, line in enumerate(lines) if line.strip() == "layers:")
        items = [i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("- ")]
        return items[index] + 1
    return next(i for i, line in enumerate(lines) if line.startswith(path.split(".")[0] + ":")) + 1


# --- the catalogue -------------------------------------------------------------------------------


def test_the_schema_accepts_exactly_the_diagnostics_codes():
    assert list(get_args(DiagnosticCode)) == CODES


@pytest.mark.parametrize("code", CODES)
def test_every_diagnostic_is_documented_with_its_sources(code):
    diagnostic = REGISTRY[code]
    assert diagnostic.name and diagnostic.summary()
    for section in ("## What it finds", "## Why is this bad?", "## Instead", "## Thresholds"):
        assert section in diagnostic.documentation(), section
    text = explanation(code.lower())
    assert text.startswith(f"{code} {diagnostic.name} ({diagnostic.severity.value}")
    assert "Reported by nnconf train:" in text and "Fixed:" in text
    assert api.check_text(diagnostic.failing).ok and api.check_text(diagnostic.fixed).ok


def test_explain_and_diagnose_never_import_tensorflow(tmp_path):
    for arguments in (["explain", "NN601"], ["diagnose", str(tmp_path)]):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnconf", *arguments],
                                capture_output=True, text=True, cwd=ROOT)
        imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
        assert "nnconf.analysis.diagnostics" in imported
        assert "tensorflow" not in imported and "keras" not in imported


# --- planted faults, found in real runs ------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_a_planted_fault_is_found_at_its_line(tmp_path, code):
    failing = REGISTRY[code].failing
    _, findings, _ = run_config(tmp_path, failing)
    mine = [f for f in findings if f["rule"] == code]
    assert mine, [f["rule"] for f in findings]
    first = mine[0]
    assert first["path"] == WHERE[code]
    assert first["line"] == expected_line(failing, WHERE[code])
    assert first["file"].endswith("config.yaml") and first["severity"] == REGISTRY[code].severity.value
    assert first["hint"] and first["message"]


@pytest.mark.parametrize("code", CODES)
def test_the_fixed_example_trains_without_findings(tmp_path, code):
    _, findings, run = run_config(tmp_path, REGISTRY[code].fixed)
    assert findings == []
    assert run is not None and run.status == "finished"
    assert not [f for f in run.findings if f.rule.startswith("NN6")]


# --- no false alarm ----------------------------------------------------------------------------------


def _shipped_with_offline_data() -> list[Path]:
    shipped = []
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        config = api.check(path).config
        if config is not None and config.data is not None and getattr(config.data, "source", "").startswith("sklearn."):
            shipped.append(path)
    return shipped


@pytest.mark.parametrize("path", _shipped_with_offline_data(), ids=lambda path: path.name)
def test_shipped_configs_trained_briefly_raise_no_diagnostic(tmp_path, path):
    _, findings, run = run_config(tmp_path, path.read_text(), name=path.name,
                                  overrides=["data.max_samples=400", "training.tensorboard=false"],
                                  callbacks=[StopAfter(3)])
    assert run is not None
    assert findings == [], [f"{f['rule']} {f['message']}" for f in findings]


def learnable_data(path: Path, config, inference, samples: int = 384) -> Path:
    """Inputs of the right shapes and labels that follow from them, for a config without data."""
    rng = np.random.default_rng(0)
    functional = isinstance(config.model, FunctionalModel)
    arrays, features = {}, []
    for name, shape in inference.input_shapes.items():
        shape = [20 if size is None else size for size in shape]
        tokens = next((layer for layer in config.model.layers if layer.type == "Embedding"
                       and (not functional or name in layer.input_names)), None)
        if tokens is not None:
            x = rng.integers(1, 50, size=(samples, *shape)).astype(np.int32)
            features.append(rng.normal(size=50)[x].reshape(samples, -1).mean(axis=1, keepdims=True))
        else:  # a few hidden factors, spread over every input: structure a model can find
            hidden = rng.normal(size=(samples, 8)) @ rng.normal(size=(8, int(np.prod(shape))))
            x = (hidden / np.sqrt(8)).reshape(samples, *shape).astype(np.float32)
            features.append(x.reshape(samples, -1))
        arrays[name if functional else "x"] = x
    flat = np.concatenate(features, axis=1)
    for output, task in config.tasks().items():
        layer = next(layer for layer in inference.layers if layer.name == output) if output else inference.layers[-1]
        units = layer.output_shape[-1]
        scores = flat[:, :16] @ rng.normal(size=(min(16, flat.shape[1]), units))
        if task == "multiclass":
            labels = np.argmax(scores, axis=1)
            if config.losses()[output].canonical == "categorical_crossentropy":
                labels = np.eye(units)[labels]
        elif task == "regression":
            labels = scores
        elif task == "multilabel" and flat.shape[1] >= units:
            labels = (flat[:, :units] > 0).astype(np.float32)  # an autoencoder's inputs, as 0/1
        else:
            labels = (scores > np.median(scores, axis=0)).astype(np.float32)
        arrays[output if functional else "y"] = labels
    target = path.with_suffix(".npz")
    np.savez(target, **arrays)
    return target


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "fixtures" / "clean").glob("*.yaml")),
                         ids=lambda path: path.stem)
def test_clean_fixtures_trained_briefly_raise_no_diagnostic(tmp_path, path):
    report = api.check(path)
    data = learnable_data(tmp_path / path.name, report.config, report.inference)
    _, findings, run = run_config(tmp_path, path.read_text(), name=path.name, callbacks=[StopAfter(3)],
                                  overrides=[f"data={{source: npz, path: {data}, validation_split: 0.25}}",
                                             "training.tensorboard=false"])
    assert run is not None
    assert findings == [], [f"{f['rule']} {f['message']}" for f in findings]


# --- what diagnostics do to a run ----------------------------------------------------------------------

DROPOUT = """
name: watched
task: multiclass
seed: 5
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 32, activation: relu}
    - {type: Dropout, rate: 0.3}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
data: {source: sklearn.digits, scale: 16, max_samples: 300}
training: {epochs: 3, steps_per_execution: 1, tensorboard: false, diagnostics: DIAGNOSTICS}
"""


def test_diagnostics_change_nothing_about_training(tmp_path):
    (tmp_path / "on").mkdir()
    (tmp_path / "off").mkdir()
    watched_dir, _, watched = run_config(tmp_path / "on", DROPOUT.replace("DIAGNOSTICS", "{every: 3, samples: 32}"))
    unwatched_dir, _, unwatched = run_config(tmp_path / "off", DROPOUT.replace("DIAGNOSTICS", "false"))
    assert watched.history == unwatched.history and watched.metrics == unwatched.metrics
    assert not (unwatched_dir / "findings.json").exists() and not (unwatched_dir / "activations.png").exists()
    evidence = Evidence.from_dict(json.loads((watched_dir / "diagnostics.json").read_text()))
    assert any(check.during for check in evidence.checks)  # every 3 steps, besides each epoch's end
    assert [check.epoch for check in evidence.checks if not check.during] == [0, 1, 2, 3]


def test_findings_json_has_the_shape_of_lint_json(tmp_path):
    directory, findings, run = run_config(tmp_path, REGISTRY["NN603"].failing)
    document = json.loads((directory / "findings.json").read_text())
    assert set(document) == set(json.loads(render("json", [], 1)))
    assert set(findings[0]) == {"file", "line", "column", "rule", "severity", "message", "path", "hint"}
    assert [f.rule for f in run.findings if f.rule.startswith("NN6")] == [f["rule"] for f in findings]
    for picture in ("training.png", "activations.png", "gradients.png"):
        assert (directory / picture).stat().st_size > 0


def test_stop_on_error_stops_after_the_epoch_and_resumes_to_where_an_unstopped_run_ends(tmp_path):
    failing = REGISTRY["NN601"].failing
    stopping = failing.replace("training: {", "training: {diagnostics: {stop_on: error}, ")
    directory, findings, run = run_config(tmp_path, stopping, name="stopping.yaml")
    assert run.status == "stopped" and len(run.history["loss"]) == 1  # found before the first step
    state = json.loads((directory / "state.json").read_text())
    assert state["status"] == "stopped" and state["epochs_done"] == 1
    resumed = resume(directory)
    assert resumed.status == "finished"
    _, _, whole = run_config(tmp_path, failing, name="whole.yaml")
    assert resumed.history == whole.history and resumed.metrics == whole.metrics
    saved = json.loads((directory / "findings.json").read_text())["findings"]
    assert len(saved) == len({(f["rule"], f["path"]) for f in saved})  # each reported once
    evidence = Evidence.from_dict(json.loads((directory / "diagnostics.json").read_text()))
    assert [check.epoch for check in evidence.checks] == [0, 1, 2, 3]


def test_nnconf_train_exits_1_when_a_diagnostic_stops_the_run(tmp_path):
    path = tmp_path / "stopping.yaml"
    path.write_text(REGISTRY["NN601"].failing.replace("training: {", "training: {diagnostics: {stop_on: error}, "))
    result = subprocess.run([sys.executable, "-m", "nnconf", "train", str(path), "--run-dir", str(tmp_path / "run")],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error NN601" in result.stdout and "nnconf train --resume" in result.stdout
    assert "Traceback" not in result.stderr


def test_diagnose_prints_each_finding_with_its_evidence(tmp_path):
    directory, findings, _ = run_config(tmp_path, REGISTRY["NN603"].failing)
    result = subprocess.run([sys.executable, "-m", "nnconf", "diagnose", str(directory)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0  # warnings only
    assert "warning NN603" in result.stdout
    assert "dead units of 'dense': e0 1, e1 1, e2 1, e3 1" in result.stdout
    assert "training loss by epoch: 1 " in result.stdout  # the evidence of NN606
    missing = subprocess.run([sys.executable, "-m", "nnconf", "diagnose", str(tmp_path)], capture_output=True,
                             text=True, cwd=ROOT)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_a_non_finite_loss_names_the_first_layer_whose_output_is_not_finite(tmp_path):
    directory, findings, run = run_config(tmp_path, REGISTRY["NN605"].failing)
    assert run is None  # the run stops with its message, and keeps its last good checkpoint
    nan = next(f for f in findings if f["rule"] == "NN605")
    assert "'dense'" in nan["message"] and "epoch 2" in nan["message"]


# --- judgements on hand-written evidence -------------------------------------------------------------


def layers(*specs) -> list[LayerFacts]:
    return [LayerFacts(name, index, kind, activation, output, weighted)
            for index, (name, kind, activation, output, weighted) in enumerate(specs)]


MLP = layers(("a", "Dense", "relu", False, True), ("b", "Dense", "sigmoid", False, True),
             ("out", "Dense", "linear", True, True))


def codes_for(evidence: Evidence) -> list[tuple[str, tuple]]:
    return [(symptom.code, symptom.keys) for symptom in judge(evidence)]


def test_gradients_explode_past_70_times_the_output_layers():
    check = Check(0, 0, gradients={"a": 70.5, "b": 1.0, "out": 1.0}, weights={"a": 1, "b": 1, "out": 1})
    assert codes_for(Evidence(MLP, 10, checks=[check])) == [("NN601", ("model", "layers", 0))]
    check.gradients["a"] = 69.0
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []


def test_an_sgd_step_larger_than_the_weights_explodes_but_an_adam_one_is_not_judged():
    check = Check(0, 0, gradients={"a": 1.0, "b": 1.0, "out": 30.0}, weights={"a": 1, "b": 1, "out": 2.0},
                  step_size=0.1)
    assert codes_for(Evidence(MLP, 10, checks=[check])) == [("NN601", ("model", "layers", 2))]
    check.step_size = 0.05
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []
    check.step_size = None  # Adam, RMSprop, ... or clipped gradients
    check.gradients["out"] = 3000.0
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []


def test_gradients_vanish_below_both_autotrainer_thresholds_and_a_zero_one_is_left_to_dead_units():
    check = Check(0, 0, gradients={"a": 5e-5, "b": 0.2, "out": 0.1}, weights={"a": 1, "b": 1, "out": 1})
    assert codes_for(Evidence(MLP, 10, checks=[check])) == [("NN602", ("model", "layers", 0))]
    check.gradients["a"] = 2e-4  # below 1/1000 of the output layer's, but not below 1e-4
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []
    check.gradients["a"], check.gradients["out"] = 5e-5, 0.01  # below 1e-4, but not 1/1000 of 0.01
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []
    check.gradients["a"], check.gradients["out"] = 0.0, 0.1
    assert codes_for(Evidence(MLP, 10, checks=[check])) == []


def test_a_layer_normalized_right_after_is_not_judged_for_vanishing_gradients():
    normalized = [LayerFacts("conv", 0, "Conv2D", "linear", False, True, normalized=True), *MLP[1:]]
    check = Check(0, 0, gradients={"conv": 5e-5, "b": 0.2, "out": 0.1}, weights={"conv": 1, "b": 1, "out": 1})
    assert codes_for(Evidence(normalized, 10, checks=[check])) == []


def test_dead_from_70_percent_and_saturated_past_half():
    check = Check(0, 0, dead={"a": 0.7}, saturated={"b": 0.5})
    assert codes_for(Evidence(MLP, 10, checks=[check])) == [("NN603", ("model", "layers", 0))]
    check.dead["a"], check.saturated["b"] = 0.69, 0.51
    assert codes_for(Evidence(MLP, 10, checks=[check])) == [("NN604", ("model", "layers", 1))]


def test_a_non_finite_loss_points_at_the_first_broken_layer_or_else_the_loss():
    evidence = Evidence(MLP, 10, losses=[1.0, float("nan")], checks=[Check(2, 0, non_finite="b")])
    assert codes_for(evidence) == [("NN605", ("model", "layers", 1))]
    evidence.checks[0].non_finite = None
    assert codes_for(evidence) == [("NN605", ("loss",))]


LEARNING_RATE = ("optimizer", "learning_rate")


def test_the_baseline_is_judged_from_30_percent_of_the_epochs_and_only_on_a_stalled_loss():
    stalled = Evidence(MLP, 10, baseline=2.3, baseline_kind="the class prior", losses=[2.31, 2.30])
    assert codes_for(stalled) == []  # 2 of 10 epochs: before the judgement point (3)
    stalled.losses.append(2.29)
    assert codes_for(stalled) == [("NN606", LEARNING_RATE)]
    falling = Evidence(MLP, 10, baseline=2.3, losses=[2.6, 2.5, 2.4])  # above the baseline, but learning
    assert codes_for(falling) == []
    beaten = Evidence(MLP, 10, baseline=2.3, losses=[2.3, 2.28, 2.27])  # 1.3% below it
    assert codes_for(beaten) == []


def test_a_loss_oscillates_when_it_swings_3_percent_in_a_fifth_of_its_epochs():
    swinging = Evidence(MLP, 10, losses=[2.0, 1.0, 1.2, 0.9, 1.1, 0.8, 0.7])
    assert codes_for(swinging) == [("NN607", LEARNING_RATE)]
    smooth = Evidence(MLP, 10, losses=[2.0, 1.0, 1.01, 0.9, 0.91, 0.8, 0.7])  # rises of 1%
    assert codes_for(smooth) == []


def test_a_loss_diverges_when_it_rises_three_epochs_in_a_row_to_half_again_its_lowest():
    assert codes_for(Evidence(MLP, 100, losses=[2.0, 1.0, 1.1, 1.3, 1.5])) == [("NN608", LEARNING_RATE)]
    assert codes_for(Evidence(MLP, 100, losses=[2.0, 1.0, 1.1, 1.3, 1.4])) == []  # 1.4 times the lowest
    assert codes_for(Evidence(MLP, 100, losses=[2.0, 1.0, 1.6, 1.5, 1.7])) == []  # not three rises


def test_ignored_diagnostics_are_not_judged():
    check = Check(0, 0, dead={"a": 1.0})
    assert judge(Evidence(MLP, 10, checks=[check]), ignore=["NN603"]) == []


def test_resuming_keeps_the_evidence_of_the_epochs_before_and_drops_the_epoch_redone():
    checks = [Check(0, 0), Check(1, 10), Check(1, 15, during=True), Check(2, 20)]
    evidence = Evidence(MLP, 10, losses=[1.0, 0.9], checks=checks)
    kept = Evidence.from_dict(json.loads(json.dumps(evidence.to_dict()))).up_to(1)
    assert [(c.epoch, c.step) for c in kept.checks] == [(0, 0), (1, 10)] and kept.losses == [1.0]


# --- the trivial baseline --------------------------------------------------------------------------


@pytest.mark.parametrize("loss, labels, prediction", [
    ("sparse_categorical_crossentropy", np.array([0, 0, 1, 2, 2, 2]), lambda y: np.tile([2, 1, 3], (len(y), 1)) / 6),
    ("{name: categorical_crossentropy, label_smoothing: 0.1}", np.eye(3)[[0, 1, 1, 2]],
     lambda y: np.tile((y * 0.9 + 0.1 / 3).mean(axis=0), (len(y), 1))),
    ("binary_crossentropy", np.array([[0.0], [1.0], [1.0], [1.0]]), lambda y: np.full_like(y, 0.75)),
    ("mse", np.array([[1.0], [2.0], [6.0]]), lambda y: np.full_like(y, 3.0)),
    ("mae", np.array([[1.0], [2.0], [6.0]]), lambda y: np.full_like(y, 2.0)),
])
def test_the_baseline_is_the_keras_loss_of_the_trivial_prediction(loss, labels, prediction):
    task = "regression" if loss in ("mse", "mae") else "multiclass"
    units = labels.shape[1] if labels.ndim > 1 else 3
    config = api.check_text(f"""
task: {task}
model: {{input_shape: [2], layers: [{{type: Dense, units: {units}, activation: {'linear' if task == 'regression' else 'softmax'}}}]}}
loss: {loss}
""").config
    value, kind = baseline_loss(config, {"": labels})
    keras_loss = keras.losses.get(config.loss.canonical) if isinstance(config.loss.arguments(), dict) and not \
        config.loss.arguments().get("label_smoothing") else keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    expected = float(np.mean(keras_loss(labels.astype("float32"), prediction(labels.astype("float32")))))
    assert value == pytest.approx(expected, rel=1e-5) and kind


def test_a_loss_without_a_baseline_is_not_judged():
    config = api.check_text("""
task: regression
model: {input_shape: [2], layers: [{type: Dense, units: 1}]}
loss: huber
""").config
    assert baseline_loss(config, {"": np.ones((4, 1))}) == (None, "")
