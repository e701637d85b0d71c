"""Building and compiling a Keras model from a validated config."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from nnconf.analysis.shapes import Inference
from nnconf.config.base import NamedSpec
from nnconf.config.layers.applications import Backbone
from nnconf.config.metrics import PlainMetric
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import SourceMap
from nnconf.engine.backbones import make_backbone, pretrained_weights
from nnconf.engine.layers import make_layer, weight_key
from nnconf.engine.naming import keras_class_name

def keras_object(module: Any, spec: NamedSpec, **converted: Any) -> Any:
    """The Keras object a named spec stands for, e.g. ``keras.optimizers.Adam(learning_rate=...)``."""
    keras_class = getattr(module, keras_class_name(spec.name), None)  # recall is Recall, not Precision...
    if keras_class is None:  # ...but an alias (mse, logcosh) is its canonical name's class
        keras_class = getattr(module, keras_class_name(spec.canonical))
    return keras_class(**{**spec.arguments(), **converted})


def build_model(config: Config, inference: Inference, *, float32_outputs: bool = False,
                source: SourceMap | None = None) -> keras.Model:
    """The compiled Keras model of a config whose shapes have been checked.

    ``float32_outputs`` keeps the output layers in float32 under a mixed-precision policy, so that
    losses are computed at full precision. ``source`` locates findings about pretrained weights that
    cannot be found (a ConfigError), and is the folder weights paths are relative to.
    """
    pretrained = pretrained_weights(config, inference, source)  # before anything is built: it may fail
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    outputs = {layer.name for layer in inference.layers if layer.name in config.output_names()}
    if not isinstance(config.model, FunctionalModel):
        outputs = {inference.layers[-1].name}
    dtypes = {name: "float32" for name in outputs} if float32_outputs else {}
    if isinstance(config.model, FunctionalModel):
        model = _functional(config, inference, dtypes, pretrained)
    else:
        model = _sequential(config, inference, dtypes, pretrained)
    _set_inline_weights(model, config)
    compile_model(model, config)
    return model


def _sequential(config: Config, inference: Inference, dtypes: dict[str, str], pretrained: dict) -> keras.Model:
    layers = [keras.Input(shape=tuple(config.model.input_shape), dtype=config.model.input_dtypes()["input"])]
    layers += [_layer(layer, dtypes, pretrained, named=False) for layer in inference.layers]
    return keras.Sequential(layers, name=config.name)


def _layer(layer, dtypes: dict[str, str], pretrained: dict[int, str | None], *, named: bool) -> keras.layers.Layer:
    """The Keras layer of one inferred layer: named as inference named it where the graph needs names
    (a backbone always, so that Keras's summary and nnconf's agree)."""
    if isinstance(layer.spec, Backbone):
        return make_backbone(layer.spec, layer.input_shape, pretrained[layer.index], layer.name)
    spec = layer.spec.model_copy(update={"name": layer.name}) if named else layer.spec
    extra = {"dtype": dtypes[layer.name]} if layer.name in dtypes else {}
    return make_layer(spec, **extra)


def _functional(config: Config, inference: Inference, dtypes: dict[str, str], pretrained: dict) -> keras.Model:
    input_dtypes = config.model.input_dtypes()
    tensors = {name: keras.Input(shape=shape, name=name, dtype=input_dtypes[name])
               for name, shape in config.model.input_shapes().items()}
    built: dict[str, keras.layers.Layer] = {}  # a layer applied again is this same object, sharing its weights
    pending = list(inference.layers)
    while pending:  # the graph is acyclic (inference checked it), so every pass builds at least one layer
        ready = [layer for layer in pending if all(name in tensors for name in layer.input_names)
                 and (layer.shares is None or layer.shares in built)]
        for layer in ready:
            keras_layer = built[layer.shares] if layer.shares else _layer(layer, dtypes, pretrained, named=True)
            built[layer.name] = keras_layer
            tensors[layer.name] = _call(keras_layer, layer.spec.CALL_STYLE, [tensors[n] for n in layer.input_names])
        pending = [layer for layer in pending if layer not in ready]
    inputs = [tensors[name] for name in config.model.inputs]
    outputs = [tensors[name] for name in config.model.output_names]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=config.name)


def _call(layer: keras.layers.Layer, style: str, inputs: list) -> Any:
    if style == "list":
        return layer(inputs)
    if style == "positional":
        return layer(*(inputs * 2 if len(inputs) == 1 else inputs))  # one input: self-attention
    return layer(inputs[0])


def _set_inline_weights(model: keras.Model, config: Config) -> None:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for spec, layer in zip(config.model.layers, _in_config_order(layers, config)):
        if not spec.inline_weights():
            continue
        variables = {weight_key(layer, variable): variable for variable in layer.weights}
        for key, values in spec.inline_weights().items():
            variables[key].assign(np.asarray(values, dtype=variables[key].dtype))


def _in_config_order(layers: list, config: Config) -> list:
    if not isinstance(config.model, FunctionalModel):
        return layers
    by_name = {layer.name: layer for layer in layers}
    return [by_name.get(spec.name) for spec in config.model.layers]  # a layer applied again is no layer of its own


def compile_model(model: keras.Model, config: Config) -> None:
    outputs = config.output_names()
    per_output = outputs != [""]
    losses = {name: keras_object(keras.losses, spec) for name, spec in config.losses().items()}
    metrics = {name: [_metric(m) for m in config.metrics_of(name)] for name in outputs}
    model.compile(
        optimizer=_optimizer(config),
        loss=losses if per_output else losses[""],
        loss_weights=_loss_weights(config, outputs) if per_output else None,
        metrics=metrics if per_output else metrics[""],
        jit_compile=config.training.jit_compile,
        steps_per_execution=config.training.steps_per_execution,
    )


def _optimizer(config: Config) -> keras.optimizers.Optimizer:
    spec = config.optimizer
    rate = spec.learning_rate
    if isinstance(rate, NamedSpec):
        rate = keras_object(keras.optimizers.schedules, rate)
    return keras_object(keras.optimizers, spec, learning_rate=rate)


def _metric(spec: NamedSpec) -> Any:
    if isinstance(spec, PlainMetric):
        return {"rmse": "root_mean_squared_error"}.get(spec.name, spec.name)
    return keras_object(keras.metrics, spec)


def _loss_weights(config: Config, outputs: list[str]) -> dict[str, float] | None:
    weights = config.loss_weights
    if weights is None:
        return None
    if isinstance(weights, dict):
        return {name: weights.get(name, 1.0) for name in outputs}
    return {name: weights for name in outputs}
