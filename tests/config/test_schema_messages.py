"""Every error type Pydantic reports gets nnconf's own message, built from the type and its context.

Each case makes the error type with real Pydantic and checks both that Pydantic reported that type
(so a case cannot go stale unnoticed) and nnconf's exact message (so the words cannot rot).
"""

import dataclasses
import datetime
import enum
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import pytest
import yaml
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError

from nnconf import codes
from nnconf.api import check_text
from nnconf.config.model import Config
from nnconf.config.schema_messages import WORDED_TYPES, either
from nnconf.config.validation import python_findings

BASE = "task: regression\nloss: mse\n"
MODEL = "model: {input_shape: [4], layers: [{type: Dense, units: 1}]}\n"


def layer(text: str) -> str:
    return f"model: {{input_shape: [4], layers: [{{type: Dense, units: 1}}, {text}]}}\n"


# (the error type, a config's text after BASE, the path of the finding, nnconf's message)
CONFIG_CASES = [
    ("greater_than", layer("{type: Dense, units: 0}"), "model.layers[1].units",
     "units should be greater than 0, found 0"),
    ("greater_than_equal", MODEL + "seed: -1\n", "seed", "seed should be at least 0, found -1"),
    ("less_than", MODEL + "seed: 4294967296\n", "seed", "seed should be less than 4294967296, found 4294967296"),
    ("less_than_equal", MODEL + "optimizer: {name: sgd, momentum: 1.5}\n", "optimizer.momentum",
     "momentum should be at most 1, found 1.5"),
    ("int_type", MODEL + "training: {epochs: 2.5}\n", "training.epochs", "epochs should be an integer, found 2.5"),
    ("float_type", MODEL + "optimizer: {name: adam, beta_1: x}\n", "optimizer.beta_1",
     "beta_1 should be a number, found 'x'"),
    ("finite_number", MODEL + "optimizer: {name: adam, beta_1: .inf}\n", "optimizer.beta_1",
     "beta_1 should be a finite number (not inf or nan), found inf"),
    ("bool_type", layer("{type: Dense, units: 1, use_bias: 'yes'}"), "model.layers[1].use_bias",
     "use_bias should be true or false, found 'yes'"),
    ("string_type", MODEL + "name: 5\n", "name", "name should be a string, found 5"),
    ("string_too_long", MODEL + "data: {source: csv, path: a.csv, label: y, delimiter: ';;'}\n", "data.delimiter",
     "delimiter should have at most 1 character, found ';;'"),
    ("list_type", MODEL + "metrics: mae\n", "metrics", "metrics should be a list, found 'mae'"),
    ("too_short", "model: {input_shape: [], layers: [{type: Dense, units: 1}]}\n", "model.input_shape",
     "input_shape should have at least 1 item, found []"),
    ("too_long", layer("{type: Dot, axes: [1, 2, 3]}"), "model.layers[1].axes",
     "axes should have at most 2 items, found [1, 2, 3]"),
    ("dict_type", "model: {inputs: [1], outputs: [out], layers: [{type: Dense, units: 1, name: out}]}\n",
     "model.inputs", "inputs should be a mapping (key: value), found [1]"),
    ("model_type", MODEL + "training: [1]\n", "training", "training should be a mapping (key: value), found [1]"),
    ("model_attributes_type", MODEL + "data: 5\n", "data", "data should be a mapping (key: value), found 5"),
    # several types would do: one message names them all
    ("int_type", layer("{type: Conv2D, filters: 4, kernel_size: 3.0}"), "model.layers[1].kernel_size",
     "kernel_size should be an integer or a list, found 3.0"),
    # a number or a schedule: nan is clearly meant as a number, so the schedule's complaint is left out
    ("finite_number", MODEL + "optimizer: {name: adam, learning_rate: .nan}\n", "optimizer.learning_rate",
     "learning_rate should be a finite number (not inf or nan), found nan"),
    # a validator of nnconf's says it in its own words
    ("value_error", layer("{type: Dense, units: 1, activation: {name: sigmoid, alpha: 1}}"),
     "model.layers[1].activation", "activation 'sigmoid' does not take alpha (it takes no arguments)"),
    # types nnconf described in its own words before these were translated
    ("missing", "model: {input_shape: [4], layers: [{type: Dense}]}\n", "model.layers[0].units",
     "missing required key 'units'"),
    ("extra_forbidden", MODEL + "training: {epochz: 2}\n", "training.epochz", "unknown key 'epochz'"),
    ("literal_error", layer("{type: MaxPooling1D, padding: full}"), "model.layers[1].padding",
     "padding 'full' is not one of the allowed values"),
    ("union_tag_invalid", MODEL + "optimizer: adamm\n", "optimizer", "unknown optimizer 'adamm'"),
    ("union_tag_not_found", MODEL + "optimizer: {learning_rate: 0.1}\n", "optimizer",
     "missing required key 'name' (the optimizer)"),
    ("string_pattern_mismatch", MODEL + "name: 'my model'\n", "name",
     "name 'my model' is not allowed: it may be letters, digits, '_', '.' and '-' (no spaces or slashes)"),
]


def pydantic_errors(validate: Callable[[], Any]) -> list[dict]:
    try:
        validate()
    except ValidationError as error:
        return error.errors()
    raise AssertionError("pydantic accepted the value")


@pytest.mark.parametrize(("kind", "text", "path", "message"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_each_error_type_of_a_config_gets_nnconfs_message(kind, text, path, message):
    errors = pydantic_errors(lambda: Config.model_validate(yaml.safe_load(BASE + text), context={}))
    assert kind in [error["type"] for error in errors]
    findings = [f for f in check_text(BASE + text).findings if f.path == path]
    assert [(f.rule, f.message) for f in findings] == [(codes.SCHEMA, message)]
    assert not any(error["msg"] in message for error in errors)  # Pydantic's words are not passed through


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Pair:
    first: int


class Opaque:
    pass


def _no_more_than_two(value: int) -> int:
    assert value <= 2, "keep it to two"
    return value


# Types nnconf's configs cannot make today (its schema is strict, its values plain YAML), made with
# small pydantic types: (the error type, the type, a value it refuses, nnconf's message).
PYTHON_CASES = [
    ("int_parsing", int, "abc", "value should be an integer, found 'abc'"),
    ("int_from_float", int, 1.5, "value should be an integer, found 1.5"),
    ("int_parsing_size", int, "9" * 5000, "value should be an integer of a size nnconf can hold, found '9999"),
    ("float_parsing", float, "x", "value should be a number, found 'x'"),
    ("bool_parsing", bool, "maybe", "value should be true or false, found 'maybe'"),
    ("multiple_of", Annotated[int, Field(multiple_of=3)], 4, "value should be a multiple of 3, found 4"),
    ("enum", Colour, "green", "value should be one of 'red', 'blue', found 'green'"),
    ("string_too_short", Annotated[str, Field(min_length=2)], "a",
     "value should have at least 2 characters, found 'a'"),
    ("string_unicode", str, b"\xff", "value should be a string, found b'\\xff'"),
    ("tuple_type", tuple[int, ...], 5, "value should be a list, found 5"),
    ("set_type", set[int], 5, "value should be a list, found 5"),
    ("frozen_set_type", frozenset[int], 5, "value should be a list, found 5"),
    ("iterable_type", Iterable[int], 5, "value should be a list, found 5"),
    ("dataclass_type", Pair, 5, "value should be a mapping (key: value), found 5"),
    ("none_required", None, 3, "value should be null (or left out), found 3"),
    ("is_instance_of", Opaque, 3, "value should be of type Opaque, found 3"),
    ("callable_type", Callable, 3, "value should be callable, found 3"),
    ("assertion_error", Annotated[int, AfterValidator(_no_more_than_two)], 3, "keep it to two"),
]


def _adapter(annotation: Any) -> TypeAdapter:
    return TypeAdapter(annotation, config=ConfigDict(arbitrary_types_allowed=True)) \
        if annotation is Opaque else TypeAdapter(annotation)


@pytest.mark.parametrize(("kind", "annotation", "value", "message"), PYTHON_CASES, ids=[c[0] for c in PYTHON_CASES])
def test_each_error_type_pydantic_can_report_gets_nnconfs_message(kind, annotation, value, message):
    error = pytest.raises(ValidationError, _adapter(annotation).validate_python, value).value
    assert [item["type"] for item in error.errors()] == [kind]
    (finding,) = python_findings(error, value, {})
    assert finding.message.startswith(message)
    assert error.errors()[0]["msg"] not in finding.message


def test_every_translated_type_has_a_case():
    covered = {case[0] for case in CONFIG_CASES} | {case[0] for case in PYTHON_CASES}
    assert WORDED_TYPES <= covered


def test_requirements_any_of_which_would_do_read_as_one():
    assert either(["should be an integer", None, "should be a list", "should be an integer"]) == \
        "should be an integer or a list"
    assert either(["should be greater than 0", "should have at least 2 items"]) == \
        "should be greater than 0 or should have at least 2 items"
    assert either([None]) is None


def test_a_type_without_nnconfs_words_gets_a_message_naming_it():
    error = pytest.raises(ValidationError, TypeAdapter(datetime.date).validate_python, [1]).value
    assert error.errors()[0]["type"] not in WORDED_TYPES
    (finding,) = python_findings(error, [1], {})
    assert finding.message == "value [1] is not accepted here (schema check 'date_type')"
