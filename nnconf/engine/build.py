"""Building and compiling a Keras model from a validated config."""

from __future__ import annotations

import importlib
from typing import Any

import keras
import numpy as np

from nnconf.analysis.blocks import Use
from nnconf.analysis.shapes import Inference
from nnconf.config.base import NamedSpec
from nnconf.config.layers.applications import Backbone
from nnconf.config.layers.ops import KERAS_OPERATIONS, KERAS_OPERATIONS_MODULE, Op
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
    outputs = {inference.resolved(name) for name in config.output_names()}
    if not isinstance(config.model, FunctionalModel):
        outputs = {inference.last}
    dtypes = {name: "float32" for name in outputs} if float32_outputs else {}
    if isinstance(config.model, FunctionalModel):
        model = _functional(config, inference, dtypes, pretrained)
    else:
        model = _sequential(config, inference, dtypes, pretrained)
    _set_inline_weights(model, config, inference)
    compile_model(model, config)
    return model


def _sequential(config: Config, inference: Inference, dtypes: dict[str, str], pretrained: dict) -> keras.Model:
    dtype = config.model.input_dtypes()["input"]
    layers = [keras.Input(shape=tuple(config.model.input_shape), dtype=dtype)]
    shape = tuple(config.model.input_shape)
    for index in range(len(config.model.layers)):  # each entry: a layer, or a block use's nested model
        own = [layer for layer in inference.layers if layer.index == index]
        use = own[0].use if own and own[0].use else None
        if use:
            layers.append(_block_model(inference.uses[use], own, [shape], [dtype], dtypes, pretrained))
        else:
            layers.append(_layer(own[0], dtypes, pretrained, named=False))
        shape = inference.layer(inference.resolved(use or own[0].name)).output_shape
        dtype = None  # what layers hand on is the layers' own dtype
    return keras.Sequential(layers, name=config.name)


def _block_model(use: Use, layers: list, shapes: list, input_dtypes: list, dtypes: dict[str, str],
                 pretrained: dict) -> keras.Model:
    """One use of a block as a nested Keras model named as the use, its layers named as the block names them."""
    inputs = [keras.Input(shape=tuple(shape), dtype=dtype, name=name)
              for name, shape, dtype in zip(use.block_inputs, shapes, input_dtypes)]
    tensors = dict(zip(use.block_inputs, inputs))
    pending = list(layers)
    while pending:  # the block is acyclic (inference checked it)
        ready = [layer for layer in pending if all(name in tensors for name in layer.in_block.local_inputs)]
        for layer in ready:
            taken = [tensors[name] for name in layer.in_block.local_inputs]
            if isinstance(layer.spec, Op):
                tensors[layer.in_block.local_name] = _op(layer.spec, layer.in_block.local_name, taken)
                continue
            keras_layer = _layer(layer, dtypes, pretrained, named=False)  # its spec is named as in the block
            tensors[layer.in_block.local_name] = _call(keras_layer, layer.spec.CALL_STYLE, taken)
        pending = [layer for layer in pending if layer not in ready]
    outputs = [tensors[name.split("/", 1)[1]] for name in use.outputs]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=use.name)


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
    pending: list = [layer for layer in inference.layers if not layer.use] + list(inference.uses.values())
    while pending:  # the graph is acyclic (inference checked it), so every pass builds at least one layer
        ready = [item for item in pending if all(inference.resolved(name) in tensors for name in _takes(item))
                 and (isinstance(item, Use) or item.shares is None or item.shares in built)]
        for item in ready:
            if isinstance(item, Use):  # a block use: its nested model, on what it takes
                taken = [tensors[inference.resolved(name)] for name in item.inputs]
                nested = _block_model(item, [layer for layer in inference.layers if layer.use == item.name],
                                      [t.shape[1:] for t in taken], [t.dtype for t in taken], dtypes, pretrained)
                given = nested(taken if len(taken) > 1 else taken[0])
                tensors.update(zip(item.outputs, given if len(item.outputs) > 1 else [given]))
                continue
            if isinstance(item.spec, Op):
                tensors[item.name] = _op(item.spec, item.name, [tensors[n] for n in item.input_names])
                continue
            keras_layer = built[item.shares] if item.shares else _layer(item, dtypes, pretrained, named=True)
            built[item.name] = keras_layer
            tensors[item.name] = _call(keras_layer, item.spec.CALL_STYLE, [tensors[n] for n in item.input_names])
        pending = [item for item in pending if item not in ready]
    inputs = [tensors[name] for name in config.model.inputs]
    outputs = [tensors[inference.resolved(name)] for name in config.model.output_names]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=config.name)


def _op(spec: Op, name: str, tensors: list) -> Any:
    """An allow-listed keras.ops function of the tensors taken and the numbers written, in the written order: the
    operation keras.ops records for it, named as the config names it (a model output is named so)."""
    operation = getattr(importlib.import_module(KERAS_OPERATIONS_MODULE), KERAS_OPERATIONS[spec.op])(name=name)
    given = iter(tensors)
    return operation(*(next(given) if isinstance(item, str) else item for item in spec.operands))


def _takes(item) -> list[str]:
    return item.inputs if isinstance(item, Use) else item.input_names


def _call(layer: keras.layers.Layer, style: str, inputs: list) -> Any:
    if style == "list":
        return layer(inputs)
    if style == "positional":
        return layer(*(inputs * 2 if len(inputs) == 1 else inputs))  # one input: self-attention
    return layer(inputs[0])


def _set_inline_weights(model: keras.Model, config: Config, inference: Inference) -> None:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for spec, layer in zip(config.model.layers, _in_config_order(layers, config)):
        _assign(layer, spec.inline_weights())
    for layer in inference.layers:  # a block's layers, in each use's nested model
        if layer.in_block and layer.spec.inline_weights():
            _assign(model.get_layer(layer.use).get_layer(layer.in_block.local_name), layer.spec.inline_weights())


def _assign(layer: keras.layers.Layer, weights: dict[str, Any]) -> None:
    variables = {weight_key(layer, variable): variable for variable in layer.weights} if weights else {}
    for key, values in weights.items():
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
