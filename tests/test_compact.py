"""Compact configs: `nnconf config` and `nnconf import` write only what differs from the defaults."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import pytest
import yaml

import nnconf
from nnconf import codes
from nnconf.config.loader import MAX_VALUES, load_text
from nnconf.engine.importer import config_from_keras

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "configs").glob("*.yaml"))


def run_nnconf(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "nnconf", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


def yaml_values(text: str) -> int:
    """The values (nodes) of a YAML text, as the loader counts them against MAX_VALUES."""
    stack, count = [yaml.compose(text)], 0
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_compact_yaml_reads_back_as_the_same_config(path):
    config = nnconf.load(path)
    text = config.to_yaml(compact=True)
    assert nnconf.loads(text) == config
    assert nnconf.loads(text).to_yaml(compact=True) == text  # a fixed point
    assert yaml_values(text) < yaml_values(config.to_yaml())


def test_compact_yaml_leaves_out_defaults_and_keeps_what_differs():
    config = nnconf.loads("""
task: multiclass
model:
  input_shape: [8]
  layers:
    - {type: Dense, units: 16, activation: relu, kernel_initializer: glorot_uniform, use_bias: true}
    - {type: Dense, units: 3, kernel_initializer: {name: he_normal, seed: 3}, trainable: false}
loss: {name: sparse_categorical_crossentropy, from_logits: false}
optimizer: {name: adam, learning_rate: 0.001}
training: {epochs: 3}
""")
    data = yaml.safe_load(config.to_yaml(compact=True))
    assert data["model"]["layers"] == [
        {"type": "Dense", "units": 16, "activation": "relu"},
        {"type": "Dense", "units": 3, "kernel_initializer": {"name": "he_normal", "seed": 3}, "trainable": False},
    ]
    assert data["loss"] == "sparse_categorical_crossentropy"  # a spec with default arguments is its name
    assert "optimizer" not in data  # adam with its defaults is the default optimizer
    assert "lint" not in data and "metrics" not in data
    assert data["training"] == {"epochs": 3}


def test_nnconf_config_is_compact_and_full_with_the_flag():
    compact = run_nnconf("config", "configs/mnist.yaml")
    full = run_nnconf("config", "--full", "configs/mnist.yaml")
    assert compact.returncode == 0 and full.returncode == 0, compact.stderr + full.stderr
    assert "kernel_initializer" not in compact.stdout and "kernel_initializer" in full.stdout
    assert nnconf.loads(compact.stdout) == nnconf.loads(full.stdout) == nnconf.load("configs/mnist.yaml")
    assert nnconf.to_yaml("configs/mnist.yaml") == compact.stdout
    assert nnconf.to_yaml("configs/mnist.yaml", full=True) == full.stdout


def test_imported_model_is_written_compactly_and_reads_back(tmp_path):
    model = keras.Sequential([keras.Input((16, 16, 3)),
                              keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
                              keras.layers.MaxPooling2D(2),
                              keras.layers.ZeroPadding2D(1),
                              keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "model.keras")
    result = run_nnconf("import", str(tmp_path / "model.keras"), "-o", str(tmp_path / "model.yaml"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "model.yaml").read_text()
    layers = [{k: v for k, v in layer.items() if k != "name"} for layer in yaml.safe_load(text)["model"]["layers"]]
    # Keras's (3, 3), (2, 2), ((1, 1), (1, 1)) and channels_last read as a person writes them.
    assert layers[0] == {"type": "Conv2D", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"}
    assert layers[1] == {"type": "MaxPooling2D", "strides": 2}  # pool_size 2 is the default
    assert layers[2] == {"type": "ZeroPadding2D", "padding": 1}
    assert re.search(r"\n  - \{type: Flatten, name: flatten(_\d+)?\}\n", text)  # a short layer on one line
    rebuilt = nnconf.build(nnconf.load(tmp_path / "model.yaml"))
    for old, new in zip(model.layers, rebuilt.layers):
        assert old.get_config() == new.get_config()


def test_a_600_layer_sequential_model_imports_and_reads_back():
    model = keras.Sequential([keras.Input((8,))] + [keras.layers.Dense(4, activation="relu") for _ in range(600)]
                             + [keras.layers.Dense(1)])
    config = config_from_keras(model, task="regression", loss="mse")
    text = config.to_yaml(compact=True)
    loaded = load_text(text)
    assert loaded.findings == []
    assert nnconf.loads(text) == config
    assert len(nnconf.loads(text).model.layers) == 601


def test_a_thousand_layer_config_fits_the_value_limit_that_still_refuses_bombs():
    """The largest application, EfficientNetV2L (1,031 layers), imports to 14,865 values; compact, a layer
    is a handful of values."""
    layer = "  - {type: Conv2D, name: c%d, filters: 64, kernel_size: 3, strides: 1, padding: same, inputs: c%d}\n"
    text = ("task: regression\nloss: mse\nmodel:\n  inputs: {c0: [32, 32, 3]}\n  outputs: c1050\n  layers:\n"
            + "".join(layer % (i, i - 1) for i in range(1, 1051)))
    assert yaml_values(text) > 15_000
    assert load_text(text).findings == []
    bomb = "a: [" + "x, " * (MAX_VALUES + 1) + "]\n"
    assert [f.rule for f in load_text(bomb).findings] == [codes.YAML]
