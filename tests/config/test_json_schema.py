"""The JSON Schema editors and CI use: valid Draft 2020-12, and agreeing with nnconf's own checks."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

import nnconf
from nnconf.config.loader import load_file, load_text

from tests.config.helpers import CONFIGS, MINIMAL, SHIPPED

MODELINE = "# yaml-language-server: $schema=nnconf.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return nnconf.json_schema()


@pytest.fixture(scope="module")
def validator(schema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_valid_draft_2020_12(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"task", "model", "loss"} <= set(schema["required"])


def test_schema_is_plain_json(schema):
    assert json.loads(json.dumps(schema)) == schema


def test_there_are_shipped_configs():
    assert {p.name for p in SHIPPED} >= {"mnist.yaml", "cnn.yaml", "functional.yaml", "binary.yaml",
                                         "regression.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_config_validates_against_the_schema(path, validator):
    loaded = load_file(path)
    assert loaded.findings == []
    problems = [error.message for error in validator.iter_errors(loaded.data)]
    assert problems == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_config_names_the_schema_in_its_modeline(path):
    assert path.read_text().splitlines()[0] == MODELINE


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_resolved_config_validates_against_the_schema(path, validator):
    """``nnconf config`` output, every default written out, is valid for editors too."""
    data = load_text(nnconf.load(path).to_yaml()).data
    assert [error.message for error in validator.iter_errors(data)] == []


def test_schema_file_next_to_the_configs_is_current(schema):
    path = CONFIGS / "nnconf.schema.json"
    if not path.exists():
        pytest.skip("configs/nnconf.schema.json is not generated yet")
    assert json.loads(path.read_text()) == json.loads(json.dumps(schema))


def _mnist() -> dict:
    return copy.deepcopy(load_file(CONFIGS / "mnist.yaml").data)


def _with(change) -> dict:
    data = _mnist()
    change(data)
    return data


@pytest.mark.parametrize("data", [
    pytest.param(_with(lambda d: d.update(epochs=10)), id="unknown-top-level-key"),
    pytest.param(_with(lambda d: d["model"].update(batch_size=32)), id="unknown-model-key"),
    pytest.param(_with(lambda d: d["model"]["layers"][1].update(unitz=3)), id="unknown-layer-key"),
    pytest.param(_with(lambda d: d["optimizer"].update(learning_rte=0.1)), id="unknown-optimizer-key"),
    pytest.param(_with(lambda d: d["loss"].update(from_logit=True)), id="unknown-loss-key"),
    pytest.param(_with(lambda d: d["model"]["layers"][1].update(type="Dence")), id="unknown-layer-type"),
    pytest.param(_with(lambda d: d.update(optimizer="adamm")), id="unknown-optimizer"),
    pytest.param(_with(lambda d: d.update(metrics=["acuracy"])), id="unknown-metric"),
    pytest.param(_with(lambda d: d.pop("task")), id="missing-task"),
    pytest.param(_with(lambda d: d["model"]["layers"][1].update(units="many")), id="string-for-int"),
    pytest.param(_with(lambda d: d["model"]["layers"][1].update(units=0)), id="zero-units"),
    pytest.param(_with(lambda d: d["model"]["layers"][1].update(use_bias="yes")), id="yes-for-bool"),
])
def test_invalid_config_fails_the_schema(data, validator):
    assert not validator.is_valid(data)


def test_schema_and_nnconf_agree_on_the_minimal_config(validator):
    data = load_text(MINIMAL).data
    assert validator.is_valid(data)
    assert nnconf.check_text(MINIMAL).ok


def test_schema_accepts_name_shorthands_and_mappings(validator):
    data = load_text(MINIMAL).data
    data["optimizer"] = "adam"
    assert validator.is_valid(data)
    data["optimizer"] = {"name": "sgd", "momentum": 0.9}
    assert validator.is_valid(data)
    data["model"]["layers"][0]["activation"] = {"name": "leaky_relu", "negative_slope": 0.1}
    assert validator.is_valid(data)
