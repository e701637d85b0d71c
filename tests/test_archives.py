"""``.keras`` files are checked before Keras reads them: zip bombs, configs nested too deep, and
Python code or foreign classes in a run's model are refused in one line, in nnconf's words.

The bombs are made here, small on disk: a member's declared size is what is refused, so no test
expands one."""

from __future__ import annotations

import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import nnconf
from nnconf.engine.archives import KerasFileError, check_run_model, json_depth, read_keras_config
from nnconf.engine.importer import UnsupportedModel, load_keras_model

from tests.config.helpers import MINIMAL, ROOT
from tests.pretrained import missing_weights

MIB = 2**20


def nnconf_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def bomb(path: Path, member: str, mebibytes: int) -> Path:
    """A .keras-looking zip whose ``member`` deflates ``mebibytes`` MiB of spaces (inside valid JSON
    for config.json) into a few dozen KiB, written in pieces: nothing large is ever in memory."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        if member != "config.json":
            archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            stream.write(b'{"class_name": "Sequential", "config": {"layers": [], "padding": "')
            for _ in range(mebibytes):
                stream.write(b" " * MIB)
            stream.write(b'"}}')
    assert path.stat().st_size < mebibytes * MIB / 100
    return path


def nested(path: Path, depth: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "[" * depth + "]" * depth)
    return path


def saved(model: keras.Model, path: Path) -> Path:
    model.save(path)
    return path


def lambda_layer_model(path: Path) -> Path:
    return saved(keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x + 1, name="plus_one")]), path)


def lambda_activation_model(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that a lambda is unsafe: what this model is for
        return saved(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation=lambda x: 2 * x,
                                                                             name="doubled")]), path)


class Mine(keras.layers.Layer):
    def call(self, x):
        return x


def custom_layer_model(path: Path) -> Path:
    return saved(keras.Sequential([keras.Input((4,)), Mine(name="mine")]), path)


# --- the checks -----------------------------------------------------------------------------------


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[{{{", "b": "\\"[[["}') == 1
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_depth(b"3") == 0


def test_a_config_json_that_would_expand_to_64_mib_is_refused(tmp_path):
    with pytest.raises(KerasFileError, match=r"config\.json would expand to 64\.0 MiB"):
        read_keras_config(bomb(tmp_path / "bomb.keras", "config.json", 64))


def test_a_weights_file_that_expands_a_thousandfold_is_refused(tmp_path):
    with pytest.raises(KerasFileError, match=r"model\.weights\.h5 would expand from .* to 32\.0 MiB: a zip bomb"):
        read_keras_config(bomb(tmp_path / "bomb.keras", "model.weights.h5", 32))


def test_a_config_nested_100k_deep_is_refused_without_recursion(tmp_path):
    with pytest.raises(KerasFileError, match="nests 100000 levels deep"):
        read_keras_config(nested(tmp_path / "deep.keras", 100_000))


def test_the_models_nnconf_builds_pass_the_run_model_check(tmp_path):
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        if missing_weights(path):  # a backbone's ImageNet weights, which need a network to download
            continue
        model_file = saved(nnconf.build(nnconf.load(path)), tmp_path / f"{path.stem}.keras")
        check_run_model(model_file)


def test_python_code_and_foreign_classes_fail_the_run_model_check(tmp_path):
    with pytest.raises(KerasFileError, match=r"a Lambda layer \('plus_one'\)"):
        check_run_model(lambda_layer_model(tmp_path / "lambda.keras"))
    with pytest.raises(KerasFileError, match=r"Python code \(a lambda\) in layer 'doubled'"):
        check_run_model(lambda_activation_model(tmp_path / "activation.keras"))
    with pytest.raises(KerasFileError, match=r"the class 'Mine' \(named 'mine'\), which is neither Keras's nor nnconf's"):
        check_run_model(custom_layer_model(tmp_path / "custom.keras"))


# --- nnconf import ----------------------------------------------------------------------------------


def test_import_refuses_a_config_bomb_in_one_line(tmp_path):
    path = bomb(tmp_path / "bomb.keras", "config.json", 64)
    with pytest.raises(UnsupportedModel, match="would expand to 64.0 MiB"):
        load_keras_model(path)
    assert "would expand to 64.0 MiB" in one_error_line(nnconf_cli("import", str(path)))


def test_import_refuses_a_deep_config_in_one_line(tmp_path):
    path = nested(tmp_path / "deep.keras", 100_000)
    assert "nests 100000 levels deep" in one_error_line(nnconf_cli("import", str(path)))


def test_import_names_a_lambda_activation_in_its_own_words(tmp_path):
    line = one_error_line(nnconf_cli("import", str(lambda_activation_model(tmp_path / "activation.keras"))))
    assert "the model holds Python code (a lambda) in layer 'doubled', which nnconf never runs" in line


# --- a run's model: evaluate, predict -----------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A run directory as far as loading its model goes: its config, and a model.keras put in by a test."""
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / "config.yaml").write_text(MINIMAL)
    np.savez(tmp_path / "inputs.npz", x=np.zeros((2, 4), dtype="float32"))
    return directory


@pytest.mark.parametrize("make, reason", [
    (lambda path: bomb(path, "config.json", 64), "its config.json would expand to 64.0 MiB"),
    (lambda path: nested(path, 100_000), "nests 100000 levels deep"),
    (lambda_layer_model, "it holds a Lambda layer ('plus_one'): Python code, which nnconf never runs"),
    (custom_layer_model, "it holds the class 'Mine' (named 'mine'), which is neither Keras's nor nnconf's"),
], ids=["config-bomb", "deep-config", "lambda-layer", "custom-class"])
def test_evaluate_and_predict_refuse_a_hostile_model_saying_why(run_dir, make, reason):
    make(run_dir / "model.keras")
    for command in (["evaluate", str(run_dir)],
                    ["predict", str(run_dir), str(run_dir.parent / "inputs.npz"), "-o", str(run_dir.parent / "y.npz")]):
        line = one_error_line(nnconf_cli(*command))
        assert f"{run_dir / 'model.keras'} cannot be loaded: " in line and reason in line, line
    assert not (run_dir.parent / "y.npz").exists()
