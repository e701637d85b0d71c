"""Model inputs declare a dtype (float32 by default; int32, int64, string, ...), and it survives import and build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

import nnconf
from nnconf import codes
from nnconf.engine.importer import UnsupportedModel, config_from_keras

ROOT = Path(__file__).resolve().parents[1]

TOKENS = """
task: regression
loss: mse
model:
  inputs:
    tokens: {shape: [null], dtype: int32}
    meta: [4]
  layers:
    - {type: Embedding, name: embedded, input_dim: 100, output_dim: 8, inputs: tokens}
    - {type: GlobalAveragePooling1D, name: pooled, inputs: embedded}
    - {type: Concatenate, name: joined, inputs: [pooled, meta]}
    - {type: Dense, name: out, units: 1, inputs: joined}
  outputs: out
"""


def test_an_int32_input_imports_and_builds_as_int32():
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    meta = keras.Input(shape=(4,), name="meta")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(100, 8)(tokens))
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([pooled, meta]))
    model = keras.Model([tokens, meta], out)
    config = config_from_keras(model, task="regression", loss="mse")
    assert config.model.input_dtypes() == {"tokens": "int32", "meta": "float32"}
    data = yaml.safe_load(config.to_yaml(compact=True))
    assert data["model"]["inputs"] == {"tokens": {"shape": [None], "dtype": "int32"}, "meta": [4]}
    rebuilt = nnconf.build(nnconf.loads(config.to_yaml(compact=True)))
    assert [t.dtype for t in rebuilt.inputs] == ["int32", "float32"]
    rebuilt.set_weights(model.get_weights())
    ids, extra = np.array([[1, 5, 99], [0, 2, 3]], dtype="int32"), np.ones((2, 4), "float32")
    np.testing.assert_allclose(rebuilt.predict([ids, extra], verbose=0), model.predict([ids, extra], verbose=0))


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float16"])
def test_a_sequential_input_keeps_its_dtype_through_import_and_build(dtype):
    model = keras.Sequential([keras.Input((5,), dtype=dtype), keras.layers.Flatten(), keras.layers.Dense(1)])
    config = config_from_keras(model, task="regression", loss="mse")
    assert config.model.input_dtype == dtype
    assert nnconf.build(config).inputs[0].dtype == dtype


def test_inputs_are_float32_by_default_and_string_where_a_string_lookup_reads_them():
    config = nnconf.loads(TOKENS.replace("{shape: [null], dtype: int32}", "[3]"))
    assert config.model.input_dtypes() == {"tokens": "float32", "meta": "float32"}
    text = nnconf.loads("""
task: regression
loss: mse
model:
  input_shape: [1]
  layers: [{type: StringLookup, vocabulary: [a, b]}, {type: Dense, units: 1}]
""")
    assert text.model.input_dtypes() == {"input": "string"}
    assert nnconf.build(text).inputs[0].dtype == "string"


def test_a_declared_dtype_is_written_back_and_a_shape_alone_reads_as_the_same_input():
    config = nnconf.loads(TOKENS)
    assert nnconf.loads(config.to_yaml(compact=True)) == config
    assert nnconf.loads(config.to_yaml()) == config
    spelled_out = nnconf.loads(TOKENS.replace("meta: [4]", "meta: {shape: [4]}"))
    assert spelled_out == config
    assert "meta: [4]" in spelled_out.to_yaml(compact=True)


def test_a_string_input_read_by_a_layer_that_computes_on_numbers_is_an_error():
    report = nnconf.check(TOKENS.replace("dtype: int32", "dtype: string"))
    assert [(f.rule, f.path) for f in report.findings] == [(codes.GRAPH, "model.layers[0].inputs")]
    assert "holds strings" in report.findings[0].message and report.findings[0].line == 9


def test_a_numeric_input_read_by_a_string_lookup_is_an_error():
    report = nnconf.check("""
task: regression
loss: mse
model:
  input_shape: [1]
  input_dtype: int64
  layers: [{type: StringLookup, vocabulary: [a, b]}, {type: Dense, units: 1}]
""")
    assert [(f.rule, f.path, f.line) for f in report.findings] == [(codes.GRAPH, "model.input_dtype", 6)]
    assert "IntegerLookup" in report.findings[0].hint


def test_an_unknown_dtype_is_a_schema_error_with_a_suggestion():
    report = nnconf.check(TOKENS.replace("dtype: int32", "dtype: int23"))
    assert [(f.rule, f.path) for f in report.findings] == [(codes.SCHEMA, "model.inputs.tokens.dtype")]
    assert "int32" in report.findings[0].hint


def test_a_keras_input_of_a_dtype_nnconf_has_no_name_for_is_unsupported():
    model = keras.Sequential([keras.Input((3,), dtype="int16"), keras.layers.Dense(1)])
    with pytest.raises(UnsupportedModel, match="the input holds int16"):
        config_from_keras(model, task="regression", loss="mse")


def test_nnconf_import_writes_the_dtype(tmp_path):
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 2),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(loss="mse")
    model.save(tmp_path / "ids.keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "import", str(tmp_path / "ids.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["model"]["input_dtype"] == "int32"
