"""Checks that a layer spec's TensorFlow-free rules agree with the Keras layer built from it."""

from __future__ import annotations

import math

import keras
from pydantic import TypeAdapter, ValidationError

from nnconf.config.layers import AnyLayer, Layer
from nnconf.config.validation import python_findings
from nnconf.engine.layers import make_layer, weight_key

_layer_adapter = TypeAdapter(AnyLayer)


def parse_layer(data: dict) -> Layer:
    return _layer_adapter.validate_python(data)


def refusal(data: dict) -> str:
    """What nnconf says (messages and hints, one finding a line) of a layer spec its schema refuses."""
    context: dict = {}
    try:
        _layer_adapter.validate_python(data, context=context)
    except ValidationError as error:
        findings = python_findings(error, data, context)
        return "\n".join(finding.message + (f" ({finding.hint})" if finding.hint else "") for finding in findings)
    raise AssertionError(f"the schema accepts {data}")


def call_keras(layer: keras.layers.Layer, spec: Layer, inputs):
    if spec.CALL_STYLE == "list":
        return layer(list(inputs))
    if spec.CALL_STYLE == "positional":
        return layer(*inputs) if isinstance(inputs, list) and len(inputs) > 1 else layer(inputs, inputs)
    return layer(inputs)


def assert_matches_keras(data: dict, input_shape, dtype: str = "float32") -> Layer:
    """Builds the layer in Keras on ``input_shape`` (a tuple, or a list of tuples for several inputs)
    of ``dtype`` and asserts output shape, parameter count and weight shapes equal the inferred ones."""
    spec = parse_layer(data)
    several = isinstance(input_shape, list)
    inputs = ([keras.Input(shape=s, dtype=dtype) for s in input_shape] if several
              else keras.Input(shape=input_shape, dtype=dtype))
    layer = make_layer(spec)
    output = call_keras(layer, spec, inputs)

    assert tuple(output.shape[1:]) == tuple(spec.output_shape(input_shape)), "output shape"
    assert layer.count_params() == spec.param_count(input_shape), "parameter count"
    keras_shapes = sorted(tuple(w.shape) for w in layer.weights)
    assert keras_shapes == sorted(tuple(s) for s in spec.weight_shapes(input_shape).values()), "weight shapes"
    names = sorted(weight_key(layer, w) for w in layer.weights)
    assert names == sorted(spec.weight_shapes(input_shape)), "weight names"
    trainable = sum(math.prod(shape) for name, shape in spec.weight_shapes(input_shape).items()
                    if spec.trainable_weight(name))
    assert sum(math.prod(w.shape) for w in layer.trainable_weights) == trainable, "trainable parameter count"
    return spec


def assert_refused_like_keras(data: dict, errors: tuple = (ValueError, TypeError)) -> None:
    """The schema refuses a layer spec, and Keras refuses the same arguments when the layer is made.
    A wrapped layer (``layer``) is given to Keras as a Dense."""
    try:
        parse_layer(data)
    except ValidationError:
        pass
    else:
        raise AssertionError(f"the schema accepts {data}")
    arguments = {key: value for key, value in data.items() if key != "type"}
    if "layer" in arguments:
        arguments["layer"] = keras.layers.Dense(3)
    try:
        getattr(keras.layers, data["type"])(**arguments)
    except errors:
        return
    raise AssertionError(f"Keras accepts {data}")
