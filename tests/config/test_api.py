"""The Python API: load, loads, check, check_text, Config built in Python, to_yaml round trips; no TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import nnconf
from nnconf import Config, ConfigError, FunctionalModel, SequentialModel, codes
from nnconf.config.layers.core import Dense, Dropout, Flatten
from nnconf.config.layers.merging import Concatenate
from nnconf.findings import Finding

from tests.config.helpers import CONFIGS, MINIMAL, SHIPPED, check, describe, run_python


def python_built() -> Config:
    return Config(task="binary", model=SequentialModel(
        input_shape=[4], layers=[Dense(type="Dense", units=1, activation="sigmoid")]), loss="binary_crossentropy")


def python_built_functional() -> Config:
    return Config(
        task={"out": "binary"},
        model=FunctionalModel(
            inputs={"a": [4], "b": [2, 3]},
            layers=[
                Flatten(type="Flatten", name="flat", inputs="b"),
                Concatenate(type="Concatenate", name="both", inputs=["a", "flat"]),
                Dropout(type="Dropout", name="drop", rate=0.1, inputs="both"),
                Dense(type="Dense", name="out", units=1, activation="sigmoid", inputs="drop"),
            ],
            outputs="out",
        ),
        loss={"out": "binary_crossentropy"},
        optimizer={"name": "sgd", "learning_rate": 0.01},
        metrics={"out": ["binary_accuracy"]},
    )


# --- load ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_load_returns_a_config(path):
    config = nnconf.load(path)
    assert isinstance(config, Config)
    assert nnconf.load(str(path)) == config


def test_load_reads_values_and_fills_defaults():
    config = nnconf.load(CONFIGS / "mnist.yaml")
    assert config.name == "mnist-mlp" and config.task == "multiclass" and config.seed == 42
    assert isinstance(config.model, SequentialModel) and config.model.input_shape == [28, 28]
    assert [layer.type for layer in config.model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert config.model.layers[1].kernel_initializer.name == "glorot_uniform"
    assert config.loss.name == "sparse_categorical_crossentropy" and config.loss.from_logits is True
    assert config.optimizer.learning_rate == 0.001
    assert [metric.name for metric in config.metrics] == ["accuracy"]


def test_load_applies_overrides():
    config = nnconf.load(CONFIGS / "mnist.yaml", ["model.layers[1].units=64"])
    assert config.model.layers[1].units == 64


def test_load_of_a_bad_file_raises_config_error_with_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL.replace("units: 1,", "units: 0,") + "optimizer: adamm\nepochs: 3\n")
    with pytest.raises(ConfigError) as caught:
        nnconf.load(path)
    findings = caught.value.findings
    assert all(isinstance(f, Finding) and f.file == str(path) for f in findings)
    assert [(f.path, f.line) for f in findings] == [
        ("model.layers[0].units", 5), ("optimizer", 7), ("epochs", 8)], describe(findings)
    message = str(caught.value)
    assert f"{path}:5:28: error {codes.SCHEMA}" in message
    assert "did you mean 'adam'?" in message


def test_load_of_a_missing_file_raises_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        nnconf.load(tmp_path / "absent.yaml")
    assert [f.rule for f in caught.value.findings] == [codes.YAML]


def test_load_of_a_hostile_file_raises_config_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 10_000 + "]" * 10_000)
    with pytest.raises(ConfigError):
        nnconf.load(path)


def test_loads_raises_config_error_with_every_problem():
    with pytest.raises(ConfigError) as caught:
        nnconf.loads("task: binary\nmodel: {input_shape: [4], layers: [{type: Dense}]}\nloss: mse\nseed: -1\n")
    assert sorted(f.path for f in caught.value.findings) == ["model.layers[0].units", "seed"]


def test_warnings_do_not_stop_load(tmp_path):
    text = (CONFIGS / "functional.yaml").read_text().replace(
        "  outputs:", "    - {name: spare, type: Dense, units: 2, inputs: merged}\n  outputs:")
    config = nnconf.loads(text)
    assert [layer.name for layer in config.model.layers][-1] == "spare"


# --- check -----------------------------------------------------------------------------------


def test_check_never_raises_and_reports(tmp_path):
    report = nnconf.check(tmp_path / "absent.yaml")
    assert not report.ok and report.config is None
    report = nnconf.check(CONFIGS / "cnn.yaml")
    assert report.ok and report.findings == [] and report.file == str(CONFIGS / "cnn.yaml")
    assert report.inference is not None and report.inference.outputs[""] == (10,)


def test_check_text_names_its_findings():
    report = nnconf.check_text("task: binary\n", name="snippet.yaml")
    assert {f.file for f in report.findings} == {"snippet.yaml"}
    report = nnconf.check_text("task: binary\n")
    assert all(f.file is None and f.location.startswith("<config>") for f in report.findings)


def test_finding_to_dict_is_json():
    finding = check(MINIMAL + "epochs: 1\n").findings[0]
    data = json.loads(json.dumps(finding.to_dict()))
    assert data == {"rule": codes.SCHEMA, "message": "unknown key 'epochs'", "path": "epochs",
                    "severity": "error", "hint": finding.hint, "file": "test.yaml", "line": 7, "column": 1}


# --- configs built in Python ----------------------------------------------------------------------


def test_python_built_config_validates():
    config = python_built()
    report = nnconf.check_config(config)
    assert report.ok, describe(report)
    assert config.optimizer.name == "adam"  # the default
    assert config.model.layers[0].activation.name == "sigmoid"
    assert report.inference.total_params == 5


def test_python_built_functional_config_validates():
    config = python_built_functional()
    report = nnconf.check_config(config)
    assert report.ok, describe(report)
    assert report.inference.outputs == {"out": (1,)}


def test_python_built_config_with_a_wrong_value_raises_config_error():
    with pytest.raises(ConfigError) as caught:
        Dense(type="Dense", units=0)
    assert [(f.rule, f.path) for f in caught.value.findings] == [(codes.SCHEMA, "units")]
    with pytest.raises(ConfigError) as caught:
        Dense(type="Dense", units=1, unitz=2)
    assert [(f.rule, f.path, f.hint) for f in caught.value.findings] == [
        (codes.SCHEMA, "unitz", "did you mean 'units'?")]


def test_python_built_config_with_a_graph_problem_is_reported():
    config = Config(task={"out": "binary"}, model=FunctionalModel(
        inputs={"a": [4]}, layers=[Dense(type="Dense", name="out", units=1, inputs="b")], outputs="out"),
        loss={"out": "binary_crossentropy"})
    report = nnconf.check_config(config)
    assert not report.ok
    assert [f.path for f in report.findings] == ["model.layers[0].inputs"]


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_to_yaml_round_trips_shipped_configs(path):
    config = nnconf.load(path)
    text = config.to_yaml()
    assert nnconf.loads(text) == config
    assert nnconf.loads(text).to_yaml() == text  # a fixed point


@pytest.mark.parametrize("build", [python_built, python_built_functional])
def test_to_yaml_round_trips_python_built_configs(build):
    config = build()
    assert nnconf.loads(config.to_yaml()) == config


def test_to_yaml_writes_defaults_and_keeps_exponents_as_floats():
    text = nnconf.load(CONFIGS / "mnist.yaml").to_yaml()
    assert "kernel_initializer:" in text
    assert "epsilon: 1.0e-07" in text
    assert nnconf.loads(text).optimizer.epsilon == 1e-7


# --- 11. no TensorFlow for reading, checking and writing configs ----------------------------------

NO_TENSORFLOW = """
import sys
import nnconf
report = nnconf.check('configs/mnist.yaml')
assert report.ok
nnconf.load('configs/functional.yaml').to_yaml()
nnconf.loads(open('configs/cnn.yaml').read())
nnconf.json_schema()
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))
print(loaded)
"""


def test_reading_and_checking_do_not_import_tensorflow():
    result = run_python(NO_TENSORFLOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_validate_does_not_import_tensorflow():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['nnconf', 'validate', 'configs']\n"
        "try:\n"
        "    runpy.run_module('nnconf', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print('exit', code)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-2:] == ["exit 0", "[]"]


def test_cli_validate_works_when_tensorflow_cannot_be_imported(tmp_path):
    """A stronger form: with tensorflow and keras made unimportable, validate still succeeds."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "nnconf", "validate", "configs"], cwd=CONFIGS.parent,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    blocked = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, env=env)
    assert blocked.returncode != 0  # the block works, so the test above can fail

