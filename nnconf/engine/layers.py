"""Turning layer specs into Keras layers: one generic rule, since specs use Keras's own names."""

from __future__ import annotations

import importlib
from typing import Any

import keras

from nnconf.config.base import NamedSpec
from nnconf.config.functions import Activation
from nnconf.config.layers import Layer
from nnconf.config.layers.application_layers import KERAS_CLASSES
from nnconf.config.layers.cells import Cell
from nnconf.engine.naming import keras_class_name


_FUNCTION_MODULES = {
    "initializer": keras.initializers,
    "regularizer": keras.regularizers,
    "constraint": keras.constraints,
}


def keras_activation(spec: Activation) -> Any:
    if not spec.arguments():
        return spec.name
    return ParametrizedActivation(spec.name, **spec.arguments())


@keras.saving.register_keras_serializable(package="nnconf")
class ParametrizedActivation:
    """An activation with arguments (``{name: leaky_relu, negative_slope: 0.1}``) that a .keras file
    can store and load back, which a closure could not."""

    def __init__(self, name: str, **arguments: Any):
        self.name, self.arguments = name, arguments
        self.__name__ = name

    def __call__(self, x):
        return getattr(keras.activations, self.name)(x, **self.arguments)

    def get_config(self) -> dict:
        return {"name": self.name, **self.arguments}

    @classmethod
    def from_config(cls, config: dict) -> "ParametrizedActivation":
        return cls(**config)


def keras_value(field: str, value: Any) -> Any:
    """One layer argument as Keras takes it."""
    if isinstance(value, Activation):
        return keras_activation(value)
    if isinstance(value, (Layer, Cell)):
        return make_layer(value)
    if isinstance(value, list) and value and all(isinstance(item, (Layer, Cell)) for item in value):
        return [make_layer(item) for item in value]
    if isinstance(value, NamedSpec):
        kind = field.rsplit("_", 1)[-1]
        module = _FUNCTION_MODULES[kind]
        return getattr(module, keras_class_name(value.canonical))(**value.arguments())
    if isinstance(value, list):
        return tuple(value)
    return value


def weight_key(layer: keras.layers.Layer, variable) -> str:
    """The name nnconf gives a Keras weight (as ``weight_shapes`` and inline ``weights`` do): Keras's
    own name, prefixed where a layer holds several weights of that name."""
    if isinstance(layer, keras.layers.TimeDistributed):
        return weight_key(layer.layer, variable)
    if isinstance(layer, keras.layers.Bidirectional):
        forward = any(variable is weight for weight in layer.forward_layer.weights)
        return f"{'forward' if forward else 'backward'}_{variable.name}"
    if isinstance(layer, keras.layers.Pipeline):
        return _positional_key(layer.layers, variable)
    if isinstance(layer, keras.layers.StackedRNNCells):
        return _positional_key(layer.cells, variable)
    if type(layer) is keras.layers.RNN:  # the layer of a given cell (LSTM and the rest are subclasses)
        return weight_key(layer.cell, variable)
    if isinstance(layer, (keras.layers.MultiHeadAttention, keras.layers.GroupQueryAttention)):
        return f"{variable.path.split('/')[-2]}_{variable.name}"
    return variable.name


def _positional_key(layers: list, variable) -> str:
    """A weight of one of several layers or cells, prefixed by its holder's position: ``0_kernel``."""
    index = next(i for i, inner in enumerate(layers) if any(variable is weight for weight in inner.weights))
    return f"{index}_{weight_key(layers[index], variable)}"


def application_layer_class(kind: str) -> type:
    """The Keras class of a layer a keras.applications model defines for itself (LayerScale, ...)."""
    module, name = KERAS_CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def make_layer(spec: Layer | Cell, **extra: Any) -> keras.layers.Layer:
    """The Keras layer for one spec, with the arguments Keras would get from hand-written code
    (and ``extra`` ones nnconf adds, such as a dtype)."""
    keras_class = getattr(keras.layers, spec.type, None) or application_layer_class(spec.type)
    arguments = {field: keras_value(field, value) for field, value in spec.keras_arguments().items()}
    arguments.update(extra)
    if arguments.get("name") is None:
        arguments.pop("name", None)
    layer = keras_class(**arguments)
    if not spec.trainable and "trainable" not in arguments:
        layer.trainable = False  # a class that takes no trainable argument (Pipeline) is frozen once made
    return layer
