"""Real training runs on small offline data: run directories, reproducibility, resume, faults."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import nnconf
from nnconf.engine.runs import RunDirError
from nnconf.engine.train import TrainingError, evaluate, predict
from nnconf.findings import ConfigError

ROOT = Path(__file__).resolve().parent.parent

SMALL = """
name: small-digits
task: multiclass
seed: 3
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 32, activation: relu}
    - {type: Dropout, rate: 0.2}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16, max_samples: 600}
training: {epochs: EPOCHS, batch_size: 32, tensorboard: true}
"""


def small_config(tmp_path: Path, epochs: int = 3, extra: str = "") -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL).replace("EPOCHS", str(epochs)) + extra)
    return path


def nnconf_cli(*arguments: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", *arguments], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def epochs_done(run: Path) -> int:
    try:
        return json.loads((run / "state.json").read_text())["epochs_done"]
    except (OSError, ValueError, KeyError):
        return 0


def start_and_wait(tmp_path: Path, run: Path, config: Path, epochs: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "nnconf", "train", str(config), "--run-dir", str(run)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 240
    while epochs_done(run) < epochs and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return process


def test_a_run_directory_holds_every_file(tmp_path):
    run = nnconf.train(small_config(tmp_path), run_dir=tmp_path / "run")
    files = {p.relative_to(run.directory).as_posix() for p in run.directory.rglob("*") if p.is_file()}
    for expected in ("config.yaml", "model.keras", "history.csv", "history.json", "metrics.json", "description.json",
                     "preprocessing.json", "state.json", "training.png", "checkpoints/last.keras",
                     "checkpoints/best.keras"):
        assert expected in files
    assert any(name.startswith("tensorboard/") for name in files)
    description = json.loads((run.directory / "description.json").read_text())
    assert {"nnconf", "tensorflow", "keras", "numpy", "python", "command", "seed", "device", "git_commit"} <= set(description)
    assert description["seed"] == 3 and description["device"] in ("/CPU:0", "/GPU:0")
    assert len((run.directory / "history.csv").read_text().strip().splitlines()) == 1 + 3
    assert set(json.loads((run.directory / "metrics.json").read_text())) >= {"split", "accuracy", "loss"}
    assert json.loads((run.directory / "state.json").read_text())["status"] == "finished"
    assert nnconf.load(run.directory / "config.yaml") == run.config
    assert run.status == "finished" and len(run.history["loss"]) == 3


def test_runs_go_under_runs_name_time_and_never_share_a_directory(tmp_path):
    config = small_config(tmp_path, epochs=1)
    first = nnconf_cli("train", str(config), cwd=tmp_path)
    second = nnconf_cli("train", str(config), cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    runs = sorted((tmp_path / "runs" / "small-digits").iterdir())
    assert len(runs) == 2 and all((run / "model.keras").exists() for run in runs)
    assert f"run finished: runs/small-digits/{runs[0].name}" in first.stdout


def test_an_existing_run_directory_is_never_overwritten(tmp_path):
    config = small_config(tmp_path, epochs=1)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "precious.txt").write_text("keep me")
    result = nnconf_cli("train", str(config), "--run-dir", str(tmp_path / "taken"))
    assert result.returncode == 1 and "already exists and is not empty" in result.stderr
    assert (tmp_path / "taken" / "precious.txt").read_text() == "keep me"


def test_a_run_directory_that_cannot_be_written_fails_before_training(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(RunDirError, match="cannot create the run directory"):
        nnconf.train(small_config(tmp_path, epochs=1), run_dir=tmp_path / "a-file" / "run")


def test_the_same_config_and_seed_give_the_same_metrics_to_the_last_digit(tmp_path):
    config = small_config(tmp_path)
    first = nnconf.train(config, run_dir=tmp_path / "one")
    second = nnconf.train(config, run_dir=tmp_path / "two")
    assert first.metrics == second.metrics
    assert first.history == second.history


def test_a_killed_run_resumes_and_ends_exactly_where_an_uninterrupted_one_does(tmp_path):
    config = small_config(tmp_path, epochs=6)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    process = start_and_wait(tmp_path, tmp_path / "cut", config, epochs=3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 3 <= epochs_done(tmp_path / "cut") < 6
    resumed = nnconf.resume(tmp_path / "cut")
    assert resumed.metrics == whole.metrics
    assert resumed.history == whole.history
    assert len((tmp_path / "cut" / "history.csv").read_text().strip().splitlines()) == 1 + 6


def test_ctrl_c_stops_cleanly_with_a_resumable_checkpoint(tmp_path):
    config = small_config(tmp_path, epochs=30)
    process = start_and_wait(tmp_path, tmp_path / "run", config, epochs=1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "nnconf train --resume" in output and "Traceback" not in output
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["status"] == "interrupted" and state["epochs_done"] >= 1
    resumed = nnconf_cli("train", "--resume", str(tmp_path / "run"), "--set", "seed=1")
    assert resumed.returncode == 2  # a resumed run is the run as it was
    finished = nnconf.resume(tmp_path / "run")
    assert finished.status == "finished" and len(finished.history["loss"]) == 30


def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path):
    config = small_config(tmp_path, epochs=4)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    process = start_and_wait(tmp_path, tmp_path / "cut", config, epochs=3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    newest = sorted((tmp_path / "cut" / "checkpoints").glob("epoch-*.keras"))[-1]
    newest.write_bytes(newest.read_bytes()[:100])  # as a crash mid-copy would leave it
    resumed = nnconf.resume(tmp_path / "cut")
    assert resumed.metrics == whole.metrics


def test_resuming_a_finished_run_or_a_stranger_directory_is_refused(tmp_path):
    run = nnconf.train(small_config(tmp_path, epochs=1), run_dir=tmp_path / "run")
    with pytest.raises(TrainingError, match="finished already"):
        nnconf.resume(run.directory)
    with pytest.raises(TrainingError, match="not a run directory"):
        nnconf.resume(tmp_path)


def test_a_loss_that_becomes_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "diverge.yaml"
    path.write_text(textwrap.dedent("""
        task: regression
        seed: 1
        model: {input_shape: [10], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
        loss: mse
        optimizer: {name: sgd, learning_rate: 1.0e+6}
        data: {source: sklearn.diabetes, standardize: true}
        training: {epochs: 5, batch_size: 16, tensorboard: false}
        lint: {ignore: [NN401]}
    """))
    with pytest.raises(TrainingError, match=r"the loss became (nan|inf) in epoch 1.*lower the learning rate"):
        nnconf.train(path, run_dir=tmp_path / "run")
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["status"] == "diverged"
    assert (tmp_path / "run" / "checkpoints" / "last.keras").exists()


def test_evaluate_and_predict_use_the_runs_model_and_preprocessing(tmp_path):
    run = nnconf.train(small_config(tmp_path), run_dir=tmp_path / "run")
    assert evaluate(run.directory) == run.metrics
    from sklearn.datasets import load_digits

    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=load_digits().data[:5])  # raw 0..16 pixels: the run scales them as in training
    predictions = predict(run.directory, inputs)["y"]
    expected = run.model.predict(load_digits().data[:5] / 16, verbose=0)
    assert predictions.shape == (5, 10) and np.allclose(predictions, expected, atol=1e-5)
    result = nnconf_cli("predict", str(run.directory), str(inputs), "-o", str(tmp_path / "out.npz"))
    assert result.returncode == 0 and np.load(tmp_path / "out.npz")["y"].shape == (5, 10)
    assert nnconf_cli("evaluate", str(run.directory)).stdout.startswith("test (")


def test_without_network_a_downloadable_dataset_says_how_to_get_it(tmp_path):
    result = nnconf_cli("train", "configs/mnist.yaml", env={
        "KERAS_HOME": str(tmp_path), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "mnist.npz" in result.stderr and "data.path" in result.stderr and "digits" in result.stderr


def test_asking_for_a_gpu_where_none_is_visible_is_a_clear_error(tmp_path):
    from nnconf.engine.devices import visible_gpus

    if visible_gpus():
        pytest.skip("this machine has a GPU")
    result = nnconf_cli("train", str(small_config(tmp_path, epochs=1)), "--set", "training.device=gpu")
    assert result.returncode == 1 and "sees no GPU" in result.stderr


def test_the_device_used_is_printed_and_recorded(tmp_path):
    result = nnconf_cli("train", str(small_config(tmp_path, epochs=1)), "--set", "training.device=cpu",
                        "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0 and "device: /CPU:0" in result.stdout
    assert json.loads((tmp_path / "run" / "description.json").read_text())["device"] == "/CPU:0"


def test_mixed_precision_stays_float32_on_a_cpu(tmp_path):
    config = small_config(tmp_path, epochs=1, extra="").read_text().replace("tensorboard: true",
                                                                              "tensorboard: false, device: cpu, mixed_precision: true")
    (tmp_path / "mixed.yaml").write_text(config)
    run = nnconf.train(tmp_path / "mixed.yaml", run_dir=tmp_path / "run")
    assert all(layer.dtype_policy.name == "float32" for layer in run.model.layers)


def test_data_aware_lint_stops_training_before_the_first_step(tmp_path):
    path = small_config(tmp_path, epochs=1)
    result = nnconf_cli("train", str(path), "--set", "model.layers[2].units=5", "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 1 and "NN502" in result.stderr and "10 classes" in result.stderr
    assert not (tmp_path / "run").exists()


def test_the_readme_main_command_reaches_95_percent_on_digits(tmp_path):
    run = nnconf.train(ROOT / "configs" / "digits.yaml", run_dir=tmp_path / "digits")
    assert run.metrics["split"] == "test" and run.metrics["accuracy"] >= 0.95


def test_a_config_without_data_says_so(tmp_path):
    with pytest.raises(TrainingError, match="no data: section"):
        nnconf.train(ROOT / "configs" / "functional.yaml", run_dir=tmp_path / "run")


def test_lint_errors_stop_training_with_the_same_messages(tmp_path):
    path = small_config(tmp_path, epochs=1)
    with pytest.raises(ConfigError) as raised:
        nnconf.train(path, ["loss=mse"], run_dir=tmp_path / "run")
    assert "NN109" in {f.rule for f in raised.value.findings}
