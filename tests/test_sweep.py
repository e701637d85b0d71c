"""``nnconf sweep``: real Optuna studies of real (tiny) Keras trials, each an ordinary run directory.

Trials are kept tiny (a few hundred digits, one to three epochs) so that each test takes seconds of
training; most of their time is the start of the processes they run.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

import nnconf
from nnconf.engine.sweep import SweepError, sweep

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
name: tiny-sweep
task: multiclass
seed: 1
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 16, activation: relu}
    - {type: Dropout, rate: 0.1}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
optimizer: {name: adam, learning_rate: 1e-2}
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16, max_samples: 400}
training: {epochs: 2, batch_size: 32, tensorboard: false, diagnostics: false}
search:
  metric: val_accuracy
  trials: 3
  space:
    optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}
    model.layers[1].units: {choice: [32, 64, 128]}
    model.layers[2].rate: {uniform: [0.0, 0.5]}
"""
SWEEP_DIR = Path("runs/tiny-sweep/sweeps/tiny-sweep")  # the default, under the working directory


def write_config(folder: Path, text: str = CONFIG) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def nnconf_sweep(config: Path, *arguments: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nnconf", "sweep", str(config), *arguments], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finished(process: subprocess.Popen, timeout: float = 600) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def study_of(folder: Path, name: str = "tiny-sweep") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{folder / SWEEP_DIR / 'study.db'}")


def states(study: optuna.Study) -> dict[int, str]:
    return {trial.number: trial.state.name for trial in study.get_trials(deepcopy=False)}


def trial_dirs(folder: Path) -> list[Path]:
    return sorted((folder / SWEEP_DIR).glob("trial-*"))


def test_the_issue_example_sweeps_into_run_directories_and_a_best_config(tmp_path):
    output = finished(nnconf_sweep(write_config(tmp_path), cwd=tmp_path))
    study = study_of(tmp_path)
    assert states(study) == {0: "COMPLETE", 1: "COMPLETE", 2: "COMPLETE"}
    for number, directory in enumerate(trial_dirs(tmp_path)):
        assert directory.name == f"trial-{number:04d}"
        link = json.loads((directory / "trial.json").read_text())
        assert (link["study"], link["trial"], link["state"]) == ("tiny-sweep", number, "complete")
        assert link["value"] == study.trials[number].value
        run = nnconf.load_run(directory)  # an ordinary, finished run
        assert run.config.search is None
        assert "search" not in (directory / "config.yaml").read_text()
        assert run.config.model.layers[1].units == link["params"]["model.layers[1].units"]
        assert max(run.history["val_accuracy"]) == link["value"]
    best = tmp_path / SWEEP_DIR / "best.yaml"
    config = nnconf.load(best)
    assert config.search is None
    assert config.optimizer.learning_rate == study.best_params["optimizer.learning_rate"]
    assert config.model.layers[2].rate == study.best_params["model.layers[2].rate"]
    assert f"best: trial {study.best_trial.number}, val_accuracy" in output
    for picture in ("history.png", "importances.png", "slices.png"):
        assert (tmp_path / SWEEP_DIR / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    listed = subprocess.run([sys.executable, "-m", "nnconf", "runs", "--format", "json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    rows = json.loads(listed.stdout)
    assert [row["trial"] for row in rows] == ["tiny-sweep#0", "tiny-sweep#1", "tiny-sweep#2"]
    assert [row["objective"] for row in rows] == [trial.value for trial in study.trials]
    assert {"optimizer.learning_rate", "model.layers[2].rate"} <= set(rows[0])  # values that differ
    best_run = tmp_path / SWEEP_DIR / f"trial-{study.best_trial.number:04d}" / "config.yaml"
    assert config.model_dump() == nnconf.load(best_run).model_dump()  # what the best trial trained, as it trained it


def test_two_processes_on_one_sqlite_study_run_every_trial_exactly_once(tmp_path):
    config = write_config(tmp_path, CONFIG.replace("trials: 3", "trials: 4"))
    processes = [nnconf_sweep(config, "--set", "training.epochs=1", cwd=tmp_path) for _ in range(2)]
    outputs = [finished(process) for process in processes]
    assert states(study_of(tmp_path)) == {number: "COMPLETE" for number in range(4)}
    assert [directory.name for directory in trial_dirs(tmp_path)] == [f"trial-{n:04d}" for n in range(4)]
    reported = sorted(int(line.split(":")[0].split()[1]) for output in outputs for line in output.splitlines()
                      if line.startswith("trial "))
    assert reported == [0, 1, 2, 3]


def test_a_killed_sweep_started_again_ends_with_the_requested_trials(tmp_path):
    config = write_config(tmp_path, CONFIG.replace("epochs: 2", "epochs: 3"))
    first = nnconf_sweep(config, "--heartbeat", "1", cwd=tmp_path)
    link = tmp_path / SWEEP_DIR / "trial-0000" / "trial.json"
    # No clock: the sweep ends by itself, so the wait ends either way.
    while not (link.exists() and json.loads(link.read_text())["state"] == "running"):  # training has begun
        assert first.poll() is None, first.stdout.read() if first.stdout else ""
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    finished(nnconf_sweep(config, "--heartbeat", "1", cwd=tmp_path))
    trials = states(study_of(tmp_path))
    assert trials[0] == "FAIL"  # the trial that died: marked failed, its run directory kept
    assert sorted(trials.values()).count("COMPLETE") == 3
    assert set(trials.values()) == {"COMPLETE", "FAIL"}
    assert (tmp_path / SWEEP_DIR / "trial-0000" / "config.yaml").exists()


def test_ctrl_c_stops_the_sweep_and_fails_the_trial_under_way(tmp_path):
    config = write_config(tmp_path, CONFIG.replace("epochs: 2", "epochs: 50"))
    process = nnconf_sweep(config, cwd=tmp_path)
    history = tmp_path / SWEEP_DIR / "trial-0000" / "history.json"
    while not history.exists():  # an epoch has ended (the sweep ends by itself, so the wait does too)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 130, output
    assert "sweep stopped; run the same command again to continue the study" in output
    assert states(study_of(tmp_path)) == {0: "FAIL"}
    run = tmp_path / SWEEP_DIR / "trial-0000"
    assert json.loads((run / "state.json").read_text())["status"] == "interrupted"  # resumable by hand
    assert json.loads((run / "trial.json").read_text())["state"] == "failed"


def test_a_hopeless_trial_is_pruned_at_an_epoch_end(tmp_path):
    config = write_config(tmp_path, CONFIG.replace("epochs: 2", "epochs: 3").replace(
        "trials: 3", "trials: 5").replace("    model.layers[1].units: {choice: [32, 64, 128]}\n", "").replace(
        "    optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}\n", ""))
    sweep(config, runs_root=tmp_path / "runs")  # five trials that learn: the median pruner's baseline
    # A sixth whose learning rate is far too small to learn anything in its first epoch.
    result = sweep(config, ["search.trials=6", "optimizer.learning_rate=1e-9"], runs_root=tmp_path / "runs")
    assert result.trials["pruned"] == 1 and result.trials["complete"] == 5
    study = study_of(tmp_path)
    assert study.trials[5].state.name == "PRUNED"
    hopeless = tmp_path / SWEEP_DIR / "trial-0005"
    assert json.loads((hopeless / "trial.json").read_text())["state"] == "pruned"
    assert json.loads((hopeless / "state.json").read_text())["epochs_done"] < 3


def test_a_grid_search_tries_every_combination_once(tmp_path):
    space = CONFIG[CONFIG.index("    optimizer.learning_rate"):]
    config = write_config(tmp_path, CONFIG.replace("  trials: 3\n", "  trials: 10\n  sampler: grid\n  pruner: hyperband\n")
                          .replace(space, "    model.layers[1].units: {choice: [8, 16]}\n"
                                          "    model.layers[2].rate: {uniform: [0.0, 0.2], step: 0.2}\n"))
    result = sweep(config, ["training.epochs=1"], runs_root=tmp_path / "runs")
    assert result.trials["complete"] + result.trials["pruned"] == 4  # the grid's size, not the 10 asked for
    tried = {(trial.params["model.layers[1].units"], trial.params["model.layers[2].rate"])
             for trial in study_of(tmp_path).trials}
    assert tried == {(8, 0.0), (8, 0.2), (16, 0.0), (16, 0.2)}


def test_a_sampled_config_with_errors_fails_its_trial_at_the_space_key(tmp_path):
    searched = "    optimizer.learning_rate: {log_uniform: [1.0e-4, 1.0e-1]}"
    config = write_config(tmp_path, CONFIG.replace("trials: 3", "trials: 2").replace(
        searched, "    optimizer.learning_rate: {choice: [0.0]}"))  # valid for the schema; not for the lint rules
    process = nnconf_sweep(config, cwd=tmp_path)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 1, output
    line = CONFIG.splitlines().index(searched) + 1
    assert output.count(f"{config}:{line}:5: error NN401 optimizer.learning_rate = 0.0: ") == 2, output
    assert "2 trials of this process failed" in output
    assert not trial_dirs(tmp_path)  # refused before any training


def test_a_config_without_a_search_section_is_refused_before_tensorflow_starts(tmp_path):
    config = write_config(tmp_path, CONFIG.split("search:")[0])
    process = nnconf_sweep(config, cwd=tmp_path)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "has no search: section" in output


def test_an_objective_the_run_does_not_log_stops_the_sweep(tmp_path):
    config = write_config(tmp_path, CONFIG.replace("metric: val_accuracy", "metric: val_auc"))
    process = nnconf_sweep(config, "--set", "training.epochs=1", cwd=tmp_path)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 1, output
    assert "search.metric val_auc is not a metric the run logs; it logs accuracy, loss, val_accuracy, val_loss" in output
    assert states(study_of(tmp_path)) == {0: "FAIL"}


def test_a_storage_that_is_not_a_database_url_is_one_line(tmp_path):
    process = nnconf_sweep(write_config(tmp_path), "--storage", "not a url", cwd=tmp_path)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert output.strip().splitlines()[-1] == "error: --storage 'not a url' is not a database URL " \
                                              "(e.g. postgresql://user:password@host/db)"


def test_a_study_that_optimises_another_metric_is_refused(tmp_path):
    config = write_config(tmp_path)
    sweep(config, ["search.trials=1", "training.epochs=1"], runs_root=tmp_path / "runs")
    with pytest.raises(SweepError, match="optimises val_accuracy, and this config's search.metric is accuracy"):
        sweep(config, ["search.metric=accuracy"], runs_root=tmp_path / "runs")


def test_a_sweep_from_python_is_the_commands_sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, CONFIG.replace("trials: 3", "trials: 2").replace("epochs: 2", "epochs: 1"))
    result = nnconf.sweep(config, verbose=0)
    assert result.trials.get("complete", 0) + result.trials.get("pruned", 0) == 2
    assert result.best is not None and result.best_config is not None and result.best_config.is_file()
    assert "search" not in nnconf.load(result.best_config).model_dump(exclude_none=True)
    assert len(trial_dirs(tmp_path)) == 2
