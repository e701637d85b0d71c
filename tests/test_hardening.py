"""Faults during runs and hostile configs: no fault loses a run, no config runs code or escapes."""

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nnconf
from tests.test_train import epochs_done, small_config, start_and_wait

ROOT = Path(__file__).resolve().parent.parent


def test_two_runs_started_at_once_never_share_a_run_directory(tmp_path):
    config = small_config(tmp_path, epochs=1)
    command = [sys.executable, "-m", "nnconf", "train", str(config)]
    processes = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    runs = sorted((tmp_path / "runs" / "small-digits").iterdir())
    assert len(runs) == 2
    for run in runs:
        assert json.loads((run / "state.json").read_text())["status"] == "finished"
        assert len(json.loads((run / "history.json").read_text())["loss"]) == 1


def test_a_history_file_cut_short_by_a_crash_is_rebuilt_on_resume(tmp_path):
    config = small_config(tmp_path, epochs=5)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    process = start_and_wait(tmp_path, tmp_path / "cut", config, epochs=2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert epochs_done(tmp_path / "cut") >= 2
    for name in ("history.csv", "history.json", "state.json"):
        path = tmp_path / "cut" / name
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    resumed = nnconf.resume(tmp_path / "cut")
    assert resumed.history == whole.history
    assert json.loads((tmp_path / "cut" / "history.json").read_text()) == whole.history
    assert len((tmp_path / "cut" / "history.csv").read_text().strip().splitlines()) == 1 + 5


def _small_disk() -> None:
    """In the child: files may grow to 2 KiB only, as on a full disk (writes fail with EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_run_directory_that_cannot_be_written_fails_at_once_with_a_clear_message(tmp_path):
    config = small_config(tmp_path, epochs=50)
    result = subprocess.run([sys.executable, "-m", "nnconf", "train", str(config), "--run-dir", str(tmp_path / "run")],
                            capture_output=True, text=True, preexec_fn=_small_disk, timeout=300,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 1
    assert "cannot write into the run directory" in result.stderr and "Traceback" not in result.stderr
    assert "Epoch 1/" not in result.stdout  # no training time was spent


@pytest.mark.parametrize(
    ("snippet", "path"),
    [
        ("name: ../../etc/x\n", "name"),
        ("name: /etc/passwd\n", "name"),
        ("model: {input_shape: [4], layers: [{type: Dense, units: 1, name: ../../x}]}\n", "model.layers[0].name"),
        ("model: {input_shape: [4], layers: [{type: Lambda, function: 'lambda x: x'}]}\n", "model.layers[0]"),
        ("model: {input_shape: [4], layers: [{type: Dense, units: 1, custom_objects: {f: os.system}}]}\n",
         "model.layers[0].custom_objects"),
        ("model: {input_shape: [4], layers: [{type: keras.layers.Dense, units: 1}]}\n", "model.layers[0]"),
    ],
)
def test_configs_cannot_name_code_or_paths_outside_the_run(snippet, path):
    base = "task: regression\nloss: mse\n"
    if "model:" not in snippet:
        base += "model: {input_shape: [4], layers: [{type: Dense, units: 1}]}\n"
    report = nnconf.check_text(base + snippet)
    assert not report.ok and report.config is None
    assert path in {finding.path for finding in report.findings}


def test_an_override_cannot_smuggle_code_either(tmp_path):
    marker = tmp_path / "pwned"
    report = nnconf.check(ROOT / "configs" / "mnist.yaml",
                          [f"name=!!python/object/apply:os.system ['touch {marker}']"])
    assert not report.ok and not marker.exists()
    assert report.findings[0].file.startswith("--set ")


def test_saved_models_load_in_keras_safe_mode_so_a_lambda_is_refused(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    model.save(tmp_path / "lambda.keras")
    result = subprocess.run([sys.executable, "-m", "nnconf", "import", str(tmp_path / "lambda.keras")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Lambda" in result.stderr and "Traceback" not in result.stderr


def test_the_shipped_configs_and_their_runs_use_no_path_outside_what_they_name(tmp_path):
    run = nnconf.train(small_config(tmp_path, epochs=1), run_dir=tmp_path / "inside")
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.is_relative_to(tmp_path / "inside") or p.name == "small.yaml" for p in written)
    assert run.directory == tmp_path / "inside"
