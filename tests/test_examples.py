"""The scripts in examples/ run as a user runs them, each in its own process and folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=folder, capture_output=True, text=True,
                            timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_every_example_is_run_here():
    tested = {"build_in_a_loop.py", "keras_round_trip.py", "train_on_arrays.py"}
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_build_in_a_loop(tmp_path):
    out = run_example("build_in_a_loop.py", tmp_path).stdout
    assert len([line for line in out.splitlines() if "parameters, lint: clean" in line]) == 6
    assert "mlp-3x256:   335,114 parameters" in out
    assert "error NN002 units should be greater than 0, found 0 [model.layers[1].units]" in out


def test_keras_round_trip(tmp_path):
    out = run_example("keras_round_trip.py", tmp_path).stdout
    assert "conv2d_extra     Conv2D        (None, 11, 11, 32)   4,640" in out
    assert "lint: clean" in out
    assert "loss: sparse_categorical_crossentropy" in out
    assert "UnsupportedModel" in out and "not compiled" in out
    assert out.splitlines()[-1] == "mse"


def test_train_on_arrays(tmp_path):
    result = run_example("train_on_arrays.py", tmp_path)
    assert "test metrics: {'split': 'test'" in result.stdout
    runs = list((tmp_path / "runs" / "arrays-mlp").iterdir())
    assert len(runs) == 1 and (runs[0] / "model.keras").is_file()
    assert f"run directory: {Path('runs') / 'arrays-mlp' / runs[0].name}" in result.stderr  # the nnconf logger
