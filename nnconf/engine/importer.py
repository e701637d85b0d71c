"""Importing an existing Keras model as an nnconf config: the reverse of ``engine/build.py``.

Each Keras layer becomes the spec of the same name, its ``get_config()`` read back through the spec's
own fields (specs use Keras's argument names), with Keras's serialized initializers, regularizers,
constraints and activations turned back into nnconf's ``name`` or ``{name: ..., arguments}`` specs.
Building the imported config gives the same architecture: the same layers, arguments, shapes and
parameter counts. Weights are not imported. A layer Keras calls several times is applied again
(``{apply: ...}``, sharing its weights), a model nested in the model is a use of a block, an allow-listed
``keras.ops`` call an ``Op``, and each input keeps its dtype.
"""

from __future__ import annotations

import inspect
import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any, Iterator, get_args

import numpy as np
from pydantic import ValidationError

from nnconf.config.base import NamedSpec
from nnconf.config.dump import compact_data
from nnconf.config.functions import ACTIVATION_NAMES, CONSTRAINTS, INITIALIZERS, REGULARIZERS
from nnconf.config.layers import LAYER_CLASSES, Layer
from nnconf.config.layers.application_layers import KERAS_CLASSES
from nnconf.config.layers.ops import KERAS_OPERATIONS, KERAS_OPERATIONS_MODULE, OPS
from nnconf.config.layers.cells import CELL_CLASSES
from nnconf.config.losses import LOSS_SPELLINGS, LOSSES, REGRESSION_LOSSES
from nnconf.config.metrics import METRICS
from nnconf.config.model import Config, InputDtype
from nnconf.config.optimizers import OPTIMIZERS, SCHEDULES
from nnconf.config.validation import python_findings
from nnconf.engine.archives import KerasFileError, python_code, read_keras_config
from nnconf.engine.naming import keras_class_name

# Keras (and TensorFlow) are imported on first use, so that refusing a file that is no model, or that
# holds layers nnconf does not support, answers at once.
keras: Any = None

# Keras compiles the string "accuracy" to whichever accuracy fits the output; an Accuracy *object* is
# exact-match accuracy, which no nnconf metric stands for.
_STRING_ONLY_METRICS = {"accuracy", "acc"}
# Layers that hand on their input's activation unchanged, looked through to guess the task.
_PASS_THROUGH = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                 "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity", "Flatten", "Reshape",
                 "Permute"}
# Keras classes saved under another name than keras.layers gives them, by saved name.
_SAVED_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def _import_keras() -> None:
    global keras
    if keras is None:
        import keras as module

        import nnconf.engine.layers  # noqa: F401  registers ParametrizedActivation for safe loading
        keras = module


class UnsupportedModel(Exception):
    """A Keras model (or file) that nnconf cannot turn into a config; the message says why, in one line."""


class ImportNotice(UserWarning):
    """Something of the Keras model that the imported config holds only approximately (e.g. a custom loss)."""


# --- loading -------------------------------------------------------------------------------------


def load_keras_model(path: str | Path) -> keras.Model:
    """The model saved in a Keras 3 ``.keras`` file, loaded in safe mode (no arbitrary code is run).

    Raises UnsupportedModel, with a one-line message, for a file that is not a readable ``.keras``
    archive, for a model holding layers nnconf does not support, and for any other load failure.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise UnsupportedModel(
            f"{path.name} is not a .keras file; nnconf imports Keras 3 models saved with model.save('model.keras')"
        )
    if not path.is_file():
        raise UnsupportedModel(f"{path} does not exist or is not a file")
    _check_archive(path)
    _import_keras()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. optimizer variables skipped: no concern of a config
            model = keras.saving.load_model(path, compile=True, safe_mode=True)
    except UnsupportedModel:
        raise
    except Exception as error:  # Keras raises many kinds; all mean "could not load"
        raise UnsupportedModel(f"cannot load the model: {_one_line(error)}") from None
    if not isinstance(model, keras.Model):
        raise UnsupportedModel(f"the file holds a {type(model).__name__}, not a Keras model")
    return model


def _check_archive(path: Path) -> None:
    """Checks the archive (sizes, JSON depth: see ``engine/archives.py``) and reads its config.json
    (plain JSON, nothing executed) to name unsupported layers and Python code early, before Keras
    would fail on them with a less helpful message (e.g. for a Lambda layer)."""
    try:
        config = read_keras_config(path)
    except KerasFileError as problem:
        raise UnsupportedModel(str(problem)) from None
    kind = config.get("class_name")
    if kind not in ("Sequential", "Functional", "Model"):
        raise UnsupportedModel(
            f"the file holds a {kind} model; nnconf imports Sequential and functional models made of Keras layers"
        )
    body = config.get("config")
    _check_entries(body.get("layers") if isinstance(body, dict) else None)
    code = python_code(config)
    if code:
        raise UnsupportedModel(f"the model holds {code}")


def _layer_type(class_name: Any) -> Any:
    """The nnconf type of a saved Keras class name (keras.layers.GroupQueryAttention saves as GroupedQueryAttention)."""
    return _SAVED_NAMES.get(class_name, class_name)


# Where a saved nested model's class is (Sequential saves as "keras", Functional as its module).
_MODEL_MODULES = ("keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential")


def _check_entries(entries: Any) -> None:
    """Every serialized layer (wrapped ones included) is a Keras layer type nnconf has a spec for."""
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        name = config.get("name") or entry.get("name") or "?"
        class_name, module = _layer_type(entry.get("class_name", "?")), str(entry.get("module"))
        nested = class_name in ("Sequential", "Functional") and module in _MODEL_MODULES  # a block
        if _op_name(class_name, module) is not None:
            continue
        if class_name == "InputLayer" or nested or (class_name in LAYER_CLASSES and module == _keras_module(class_name)):
            _check_entries([config[key] for key in ("layer", "backward_layer") if isinstance(config.get(key), dict)]
                           + (config["layers"] if isinstance(config.get("layers"), list) else []))
            continue
        if module.startswith("keras.") and not module.startswith("keras.layers"):
            raise _raw_operation(name, class_name, module)
        raise UnsupportedModel(_unsupported_layer(name, class_name))


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 400 else text[:397] + "..."


# --- the model -----------------------------------------------------------------------------------


def config_from_keras(model: keras.Model, *, task: str | dict[str, str] | None = None, loss: Any = None) -> Config:
    """The nnconf Config of a Keras Sequential or functional model made of supported layers.

    The architecture is exact: every layer keeps its type, name and arguments, so building the config
    gives the same layers, output shapes and parameter count. Weights are not imported.

    For a compiled model, the loss, optimizer (learning rate or schedule included), loss weights and
    metrics are imported where nnconf has a spec for them. What nnconf cannot express is replaced, with
    an ``ImportNotice`` warning: an unknown loss or optimizer by a placeholder, an unknown metric by
    nothing. An uncompiled model says nothing of its task and loss: they must be given as ``task``
    and ``loss`` (the loss alone where it tells the task), or this raises UnsupportedModel naming
    what is unknown. Its optimizer is nnconf's default, ``adam``.

    A compiled model's ``task`` is read from its loss where the loss tells (cross-entropies,
    regression losses), otherwise from the output layer: softmax means multiclass, sigmoid means
    binary with one unit and multilabel with more, anything else regression. Check it.
    Multi-output models get a task and loss per output; ``task`` and ``loss`` may be given per
    output name too, and replace what the compiled model says.

    Raises UnsupportedModel for a model nnconf cannot express: a layer type nnconf has no spec for
    (e.g. a Lambda or a custom layer), an operation outside Op's allow-list, a model nested two levels
    deep or applied twice, or arguments nnconf refuses.
    """
    _import_keras()
    if not isinstance(model, keras.Model):
        raise UnsupportedModel(f"expected a Keras model, got {type(model).__name__}")
    blocks = _Blocks()
    if isinstance(model, keras.Sequential):
        architecture, outputs = _sequential(model, blocks)
    elif _is_functional(model):
        architecture, outputs = _functional(model, blocks)
    else:
        raise UnsupportedModel(
            f"model {model.name!r} is a subclassed {type(model).__name__}, whose structure is Python code; "
            "nnconf imports Sequential and functional models"
        )
    data: dict[str, Any] = {"name": _model_name(model.name)}
    data.update(_compiled(model, outputs, task, loss))
    data["blocks"] = blocks.written or None
    data["model"] = architecture
    data = {key: value for key, value in data.items() if value is not None}
    return _validated(data)


def _is_functional(model: keras.Model) -> bool:
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # pragma: no cover - a Keras without this module layout
        return type(model).__name__ == "Functional"
    return isinstance(model, Functional)


def _model_name(name: str | None) -> str | None:
    if not name:
        return None
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(name))[:128]
    return name if _MODEL_NAME.match(name) else None


class _Names:
    """Keras names made valid nnconf names (letters, digits, ``_ . -``, not starting with a digit)."""

    def __init__(self) -> None:
        self.mapping: dict[Any, str] = {}
        self.taken: set[str] = set()

    def __call__(self, name: str, key: Any = None) -> str:
        """The nnconf name for ``name``, the same each time; ``key`` tells apart things that Keras names
        alike (a layer's later applications), each getting a name of its own."""
        key = name if key is None else key
        if key not in self.mapping:
            safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)[:120]
            if not _NAME.match(safe):
                safe = "_" + safe
            candidate, n = safe, 1
            while candidate in self.taken:
                candidate, n = f"{safe}_{n}", n + 1
            self.mapping[key] = candidate
            self.taken.add(candidate)
        return self.mapping[key]


class _Blocks:
    """The blocks a model's nested models become, by name; a nested model like one before uses its block."""

    def __init__(self) -> None:
        self.written: dict[str, dict] = {}

    def add(self, model: keras.Model) -> str:
        """The name of the block that ``model`` (nested in the model imported) is a use of."""
        block = _block(model)
        for name, known in self.written.items():
            if known == block:
                return name
        base = re.sub(r"\W", "_", model.name) or "block"
        base = base if re.match(r"^[A-Za-z_]", base) else "_" + base
        name, n = base, 1
        while name in self.written:
            name, n = f"{base}_{n}", n + 1
        self.written[name] = block
        return name


def _block(model: keras.Model) -> dict:
    """A nested Keras model as a block: its inputs, layers and outputs, as a functional model's; each layer
    written compactly, as a block's layers are written out as they are."""
    if isinstance(model, keras.Sequential):
        architecture, _ = _sequential(model, None)
        layers = [_compact_layer(layer) for layer in architecture["layers"]]
        names = {layer["name"] for layer in layers}
        taken = next(name for name in ("x", "inputs", "block_input") if name not in names)
        for previous, layer in zip([taken] + [layer["name"] for layer in layers], layers):
            layer["inputs"] = previous
        return {"inputs": taken, "layers": layers, "outputs": layers[-1]["name"]}
    if not _is_functional(model):
        raise UnsupportedModel(f"the nested model {model.name!r} is a subclassed {type(model).__name__}, whose "
                               "structure is Python code")
    architecture, _ = _functional(model, None)
    inputs = list(architecture["inputs"])
    return {"inputs": inputs[0] if len(inputs) == 1 else inputs,
            "layers": [_compact_layer(layer) for layer in architecture["layers"]], "outputs": architecture["outputs"]}


def _compact_layer(data: dict) -> dict:
    if "type" not in data:
        raise UnsupportedModel(f"the nested model applies its layer {data['apply']!r} again; a block's layers are "
                               "applied once each")
    return compact_data(LAYER_CLASSES[data["type"]].model_validate(data))


def _nested(name: str, blocks: _Blocks | None) -> _Blocks:
    """The blocks to add a nested model to; within a nested model there are none (blocks hold layers only)."""
    if blocks is None:
        raise UnsupportedModel(f"the model {name!r} is nested in a model that is itself nested; nnconf's blocks "
                               "hold layers, so only models nested one level deep are imported (as blocks)")
    return blocks


def _sequential(model: keras.Sequential, blocks: _Blocks | None) -> tuple[dict, list[tuple[str, str, dict]]]:
    try:
        shape = model.inputs[0].shape[1:]
    except (AttributeError, IndexError, ValueError, TypeError):
        raise UnsupportedModel(
            f"Sequential model {model.name!r} has no input shape; start it with keras.Input(shape=...) "
            "or build it before importing"
        ) from None
    names = _Names()
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a nested model: a use of a block
            layers.append({"block": _nested(layer.name, blocks).add(layer), "name": names(layer.name)})
            continue
        _require_supported(layer.name, type(layer).__name__, layer)
        data = _layer_data(type(layer).__name__, layer.get_config(), f"layer {layer.name!r}", layer)
        data["name"] = names(layer.name)
        layers.append(_validated_layer(data, layer.name))
    if not layers:
        raise UnsupportedModel(f"Sequential model {model.name!r} has no layers")
    architecture = {"input_shape": _shape(shape), "layers": layers}
    dtype = _input_dtype(model.inputs[0].dtype, "the input")
    if dtype != "float32":
        architecture["input_dtype"] = dtype
    # The output, with the chain of layers leading to it (last first), to guess the task from.
    return architecture, [("", "", {"chain": list(reversed(layers))})]


def _input_dtype(dtype: Any, where: str) -> str:
    """A Keras input's dtype as nnconf names it; one nnconf has no name for is unsupported."""
    name = str(getattr(dtype, "name", dtype))
    if name not in get_args(InputDtype):
        raise UnsupportedModel(f"{where} holds {name}, which nnconf inputs do not take; they take "
                               f"{', '.join(get_args(InputDtype))}")
    return name


def _functional(model: keras.Model, blocks: _Blocks | None) -> tuple[dict, list[tuple[str, str, dict]]]:
    operations = {op.name: op for op in getattr(model, "operations", model.layers)}
    for name, operation in operations.items():  # before get_config, which a custom layer may break
        if isinstance(operation, (keras.layers.InputLayer, keras.Model)):
            continue
        if not isinstance(operation, keras.layers.Layer):
            if _op_name(type(operation).__name__, type(operation).__module__) is None:
                raise _raw_operation(name, type(operation).__name__, type(operation).__module__)
            continue
        _require_supported(name, type(operation).__name__, operation)
    try:
        config = model.get_config()
    except Exception as error:
        raise UnsupportedModel(f"cannot read the structure of model {model.name!r}: {_one_line(error)}") from None
    names = _Names()
    for entry in config["layers"]:  # the layers' own names first: an application of one again takes another
        names(_entry_name(entry))
    inputs: dict[str, list] = {}
    layers: list[dict] = []
    for entry in config["layers"]:
        class_name, name = _layer_type(entry.get("class_name")), _entry_name(entry)
        operation = operations.get(name)
        if class_name == "InputLayer" and isinstance(operation, keras.layers.InputLayer):
            shape = _shape(entry["config"]["batch_shape"][1:])
            dtype = _input_dtype(operation.output.dtype, f"the input {name!r}")
            inputs[names(name)] = shape if dtype == "float32" else {"shape": shape, "dtype": dtype}
            continue
        if isinstance(operation, keras.Model):  # a nested model: a use of a block
            nodes = _inbound_nodes(entry, name)
            if len(nodes) > 1:
                raise UnsupportedModel(f"the nested model {name!r} is applied {len(nodes)} times; nnconf applies a "
                                       "block's use once (to share weights, apply one of its layers again)")
            sources = [_reference(names, *source) for source in _inbound(nodes[0], name, "list", operation)]
            layers.append({"block": _nested(name, blocks).add(operation), "name": names(name),
                           "inputs": sources[0] if len(sources) == 1 else sources})
            continue
        op = _op_name(class_name, entry.get("module"))
        if op is not None:  # an allow-listed keras.ops function applied to tensors
            layers.append(_op_entry(op, names(name), entry, name, names))
            continue
        if entry.get("module") != _keras_module(class_name):
            raise _raw_operation(name, class_name, entry.get("module"))
        _require_supported(name, class_name, operation)
        data = _layer_data(class_name, entry["config"], f"layer {name!r}", operation)
        style = LAYER_CLASSES[class_name].CALL_STYLE
        for call, node in enumerate(_inbound_nodes(entry, name)):
            sources = [_reference(names, *source) for source in _inbound(node, name, style, operation)]
            wired = sources[0] if style == "single" else sources
            if call == 0:
                layers.append(_validated_layer({**data, "name": names(name), "inputs": wired}, name))
            else:  # the layer applied again, with the same weights
                layers.append({"apply": names(name), "name": _reference(names, name, call), "inputs": wired})
    if not layers:
        raise UnsupportedModel(f"model {model.name!r} has no layers besides its inputs")
    order = [names(name) for name, _, _ in _histories(config.get("input_layers"))]  # the order Keras takes them in
    inputs = {name: inputs[name] for name in sorted(inputs, key=lambda n: order.index(n) if n in order else len(order))}
    outputs = []
    by_name = {layer["name"]: layer for layer in layers}
    for keras_name, node, tensor in _histories(config["output_layers"]):
        if tensor != 0:
            raise UnsupportedModel(f"output {keras_name!r} is output {tensor} of its layer, which nnconf cannot "
                                   "express: nnconf wires one output per layer")
        if node != 0:
            raise UnsupportedModel(f"output {keras_name!r} is a later application of its layer: Keras names a model's "
                                   "outputs by their layers, so nnconf's outputs are each a layer's first application")
        name = _reference(names, keras_name, node)
        if name not in by_name:
            raise UnsupportedModel(f"output {keras_name!r} is a model input, not a layer; nnconf outputs are layers")
        if any(name == known for _, known, _ in outputs):
            raise UnsupportedModel(f"the model returns the output of {keras_name!r} twice")
        outputs.append((keras_name, name, {"chain": _chain(name, by_name)}))
    names_out = [name for _, name, _ in outputs]
    architecture = {"inputs": inputs, "layers": layers, "outputs": names_out[0] if len(names_out) == 1 else names_out}
    return architecture, outputs


def _raw_operation(name: str, class_name: str, module: Any) -> UnsupportedModel:
    return UnsupportedModel(
        f"the model applies the operation {name!r} ({class_name}, from {module}) directly to tensors; nnconf's "
        f"Op takes only {', '.join(OPS)} (or use a layer, e.g. keras.layers.Add)"
    )


# The keras.ops functions an Op stands for, by the class of operation Keras records for each.
_OP_CLASSES = {class_name: op for op, class_name in KERAS_OPERATIONS.items()}


def _op_name(class_name: Any, module: Any) -> str | None:
    """The Op a serialized operation is (``Add`` from keras.src.ops.numpy is add), or None."""
    return _OP_CLASSES.get(class_name) if module == KERAS_OPERATIONS_MODULE else None


def _op_entry(op: str, our_name: str, entry: dict, name: str, names: _Names) -> dict:
    """An Op from a serialized keras.ops call: its operands in order, tensors by name and numbers as written."""
    nodes = _inbound_nodes(entry, name)
    node = nodes[0]
    if len(nodes) > 1 or any(value is not None for value in (node.get("kwargs") or {}).values()):
        raise UnsupportedModel(f"the operation {name!r} ({op}) is called in a way an Op cannot express")
    operands = []
    for argument in node.get("args") or []:
        history = next(_tensors(argument), None)
        if history is not None:
            operands.append(_reference(names, history[0], history[1]))
        elif isinstance(argument, (int, float)) and not isinstance(argument, bool):
            operands.append(float(argument))
        else:
            raise UnsupportedModel(f"the operation {name!r} ({op}) takes {argument!r}, which an Op cannot express")
    data = {"type": "Op", "name": our_name, "op": op, "inputs": operands[0] if len(operands) == 1 else operands}
    return _validated_layer(data, name)


def _keras_module(class_name: str) -> str:
    """The module Keras saves a layer type's class under: keras.layers, or an application's own."""
    return KERAS_CLASSES[class_name][0] if class_name in KERAS_CLASSES else "keras.layers"


def _chain(name: str, by_name: dict[str, dict]) -> list[dict]:
    """The output layer and the layers before it, as long as each takes a single input (a layer applied
    again stands for the layer it applies)."""
    chain, current = [], by_name.get(name)
    while current is not None and current not in chain and "block" not in current:  # a block's use: opaque
        chain.append(by_name.get(current["apply"], current) if "apply" in current else current)
        source = current.get("inputs")
        current = by_name.get(source) if isinstance(source, str) else None
    return chain


def _entry_name(entry: dict) -> str:
    return entry.get("name") or entry["config"].get("name")


def _reference(names: _Names, layer: str, call: int) -> str:
    """The nnconf name of the output of a Keras layer's ``call``-th application: the layer's own name for
    the first, ``<name>_<call>`` for each later one (a layer applied again)."""
    return names(layer) if call == 0 else names(f"{layer}_{call}", key=(layer, call))


def _inbound_nodes(entry: dict, name: str) -> list[dict]:
    """A serialized layer's applications in the model, first to last."""
    nodes = entry.get("inbound_nodes") or []
    if not nodes:
        raise UnsupportedModel(f"layer {name!r} is never called in the model")
    for node in nodes:
        if not isinstance(node, dict):
            raise UnsupportedModel(f"layer {name!r}: its inbound node is in a layout nnconf does not read")
    return nodes


def _call_defaults(layer: Any) -> dict[str, Any]:
    """The default values of a layer's ``call`` keyword arguments (Keras records some as passed)."""
    try:
        parameters = inspect.signature(layer.call).parameters.values()
    except (AttributeError, TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _inbound(node: dict, name: str, call_style: str, layer: Any = None) -> list[tuple[str, int]]:
    """The layers (or inputs) one application of a layer takes, in call order, from its serialized inbound
    node: each as the Keras name and the application (node index) of the layer whose output it is."""
    args, kwargs = list(node.get("args") or []), dict(node.get("kwargs") or {})
    head, extra = (args, []) if call_style == "positional" else (args[:1], args[1:])
    tensors = list(_tensors(head))
    if any(item is not None for item in extra):
        raise UnsupportedModel(f"layer {name!r} is called with extra positional arguments, which nnconf "
                               "cannot express")
    if call_style == "positional":
        for key in ("query", "value", "key"):
            if key in kwargs:
                tensors += list(_tensors(kwargs.pop(key)))
    defaults = _call_defaults(layer)
    for key, value in kwargs.items():
        if _has_history(value):
            raise UnsupportedModel(f"layer {name!r} is called with the tensor argument {key}=..., "
                                   "which nnconf cannot express")
        if value is None or (key in defaults and _plain(value) == _plain(defaults[key])):
            continue
        raise UnsupportedModel(f"layer {name!r} is called with {key}={value!r}, which nnconf cannot express")
    sources = []
    for source, node_index, tensor_index in tensors:
        if tensor_index != 0:
            raise UnsupportedModel(f"layer {name!r} takes output {tensor_index} of {source!r}; nnconf wires one "
                                   "output per layer")
        sources.append((source, node_index))
    if not sources:
        raise UnsupportedModel(f"layer {name!r} takes no tensor from the model")
    return sources


def _tensors(value: Any) -> Iterator[tuple[str, int, int]]:
    """Every serialized tensor's (layer name, node index, tensor index) in ``value``, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            yield history[0], history[1], history[2]
            return
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def _has_history(value: Any) -> bool:
    return next(_tensors(value), None) is not None


def _histories(value: Any) -> Iterator[tuple[str, int, int]]:
    """The [name, node index, tensor index] triples of ``input_layers``/``output_layers``, in order."""
    if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str) \
            and all(isinstance(v, int) for v in value[1:]):
        yield value[0], value[1], value[2]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _histories(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _histories(item)


def _shape(shape: Any) -> list:
    return [None if d is None else int(d) for d in shape]


# --- layers --------------------------------------------------------------------------------------


def _supported_types() -> str:
    return ", ".join(sorted(LAYER_CLASSES))


def _unsupported_layer(name: str, class_name: str, note: str = "") -> str:
    if class_name == "Lambda":
        why = "a Lambda layer runs arbitrary Python code, which a config cannot hold"
    elif class_name in ("Sequential", "Functional", "Model"):
        why = "a model nested in a nested model is not supported (blocks hold layers only)"
    elif note:
        why = note
    else:
        why = "nnconf has no spec for it (a custom layer, or a Keras layer nnconf does not support)"
    return (f"layer {name!r} is a {class_name}, which nnconf cannot import: {why}. "
            f"nnconf supports these Keras layer types: {_supported_types()}")


def _require_supported(name: str, class_name: str, layer: Any) -> None:
    class_name = _layer_type(class_name)
    if class_name not in LAYER_CLASSES:
        raise UnsupportedModel(_unsupported_layer(name, class_name))
    from nnconf.engine.layers import application_layer_class

    expected = (application_layer_class(class_name) if class_name in KERAS_CLASSES
                else getattr(keras.layers, class_name, None))
    if layer is not None and type(layer) is not expected:
        module = type(layer).__module__
        raise UnsupportedModel(_unsupported_layer(
            name, class_name, f"it is a custom class from {module}, not {_keras_module(class_name)}.{class_name}"))


def _field_keys(spec: type[Layer]) -> set[str]:
    """The keys a layer spec takes (by alias where it has one), without the structural ones."""
    keys = {field.alias or key for key, field in spec.model_fields.items()}
    return keys - {"type", "name", "inputs", "weights"}


def _layer_data(class_name: str, config: dict, where: str, layer: Any = None) -> dict:
    """A layer spec (as data) from a Keras layer's class name and ``get_config()``."""
    class_name = _layer_type(class_name)
    spec = LAYER_CLASSES[class_name]
    fields = _field_keys(spec)
    data: dict[str, Any] = {"type": class_name}
    for key, value in config.items():
        if key in fields:
            data[key] = _argument(key, value, where, _wrapped_object(layer, key))
    # Keras does not serialize some layers' activity_regularizer (Dense, Conv); the layer still has it.
    regularizer = getattr(layer, "activity_regularizer", None) if layer is not None else None
    if "activity_regularizer" in fields and data.get("activity_regularizer") is None and regularizer is not None:
        data["activity_regularizer"] = _function(
            "regularizer", keras.regularizers.serialize(regularizer), where, "activity_regularizer")
    if spec.WRAPS_LAYER:
        _tidy_wrapped(data)
    return _shortened(spec, data)


# Arguments Keras expands from one number to one per axis (kernel_size 3 is (3, 3) in a Conv2D), so that
# an imported (3, 3) may be written 3; ZeroPadding and Cropping expand again, to a pair per axis.
_PER_AXIS = ("kernel_size", "strides", "dilation_rate", "pool_size", "size", "padding", "cropping", "output_size")


def _shortened(spec: type[Layer], data: dict) -> dict:
    """The layer data as a person would write it: ``kernel_size: 3`` for (3, 3), and no data_format where it
    is channels_last, nnconf's default; kept as Keras wrote them where the spec would not take that."""
    shorter = {key: _one_for_all(value) if key in _PER_AXIS else value for key, value in data.items()}
    data_format = spec.model_fields.get("data_format")
    if data.get("data_format") == "channels_last" and data_format is not None and data_format.default is None:
        shorter["data_format"] = None
    if shorter == data:
        return data
    try:
        spec.model_validate(shorter)
    except ValidationError:
        return data
    return shorter


def _one_for_all(value: Any) -> Any:
    """``value`` with a list of equal items written as the item, at every level: ((3, 3), (3, 3)) is 3."""
    if isinstance(value, list) and value:
        items = [_one_for_all(item) for item in value]
        if all(item == items[0] for item in items) and isinstance(items[0], int) and not isinstance(items[0], bool):
            return items[0]
        return items
    return value


def _wrapped_object(layer: Any, key: str) -> Any:
    """The live layer a wrapper holds under ``key`` (Bidirectional keeps its own forward copy; a Pipeline
    holds a list)."""
    if layer is not None and key == "layers" and isinstance(layer, keras.layers.Pipeline):
        return list(layer.layers)
    if layer is not None and key == "cell":
        return getattr(layer, "cell", None)
    if layer is None or key not in ("layer", "backward_layer"):
        return None
    return getattr(layer, "forward_layer" if key == "layer" and hasattr(layer, "forward_layer") else key, None)


def _cell(value: dict, where: str, live: Any = None) -> dict:
    """A recurrent cell (as data) from its serialized form; a stack's cells in turn."""
    class_name = value.get("class_name")
    if class_name not in CELL_CLASSES or value.get("module") not in (None, "keras.layers"):
        raise UnsupportedModel(f"{where}: the cell is a {class_name}, not one nnconf knows "
                               f"({', '.join(CELL_CLASSES)})")
    fields = set(CELL_CLASSES[class_name].model_fields) - {"type", "name"}
    data: dict[str, Any] = {"type": class_name}
    for key, item in (value.get("config") or {}).items():
        if key == "cells" and isinstance(item, list):
            cells = list(getattr(live, "cells", None) or [None] * len(item))
            data["cells"] = [_cell(cell, f"{where} (cells[{index}])", inner)
                             for index, (cell, inner) in enumerate(zip(item, cells))]
        elif key in fields:
            data[key] = _argument(key, item, where)
    return data


def _argument(key: str, value: Any, where: str, wrapped: Any = None) -> Any:
    if key in ("layer", "backward_layer"):
        return None if value is None else _nested_layer(value, f"{where} ({key})", wrapped)
    if key == "cell" and isinstance(value, dict):  # an RNN's
        return _cell(value, f"{where} (cell)", wrapped)
    if key == "layers" and isinstance(value, list):  # a Pipeline's
        live = wrapped if isinstance(wrapped, list) else [None] * len(value)
        return [_nested_layer(item, f"{where} (layers[{index}])", layer)
                for index, (item, layer) in enumerate(zip(value, live))]
    if key == "activation" or key.endswith("_activation"):
        return _activation(value, where, key)
    kind = key.rsplit("_", 1)[-1]
    if kind in ("initializer", "regularizer", "constraint") and value is not None:
        return _function(kind, value, where, key)
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        raise UnsupportedModel(f"{where}: argument {key} holds a {value['class_name']} object, which nnconf "
                               "cannot express")
    return _plain(value)


def _nested_layer(value: Any, where: str, layer: Any = None) -> dict:
    if not isinstance(value, dict) or "class_name" not in value:
        raise UnsupportedModel(f"{where}: the wrapped layer is not a serialized Keras layer")
    class_name, config = _layer_type(value["class_name"]), value.get("config") or {}
    name = config.get("name", "?")
    if value.get("module") not in (None, "keras.layers") or class_name not in LAYER_CLASSES:
        raise UnsupportedModel(_unsupported_layer(name, class_name))
    _require_supported(name, class_name, layer)
    data = _layer_data(class_name, config, where, layer)
    if name != "?":
        data["name"] = _Names()(name)
    return data


def _tidy_wrapped(data: dict) -> None:
    """Bidirectional: keep the forward layer's own name, and drop a backward layer that is Keras's copy.

    Keras names the forward copy ``forward_<name>`` and, given no backward layer, makes one named
    ``backward_<name>`` with ``go_backwards`` flipped; ``get_config`` always writes both.
    """
    if data["type"] != "Bidirectional":
        return
    forward = data.get("layer")
    if isinstance(forward, dict) and isinstance(forward.get("name"), str):
        forward["name"] = forward["name"].removeprefix("forward_") or forward["name"]
    backward = data.get("backward_layer")
    if isinstance(forward, dict) and isinstance(backward, dict):
        same = {k: v for k, v in forward.items() if k not in ("name", "go_backwards")}
        mirror = {k: v for k, v in backward.items() if k not in ("name", "go_backwards")}
        if same == mirror and backward.get("go_backwards", False) != forward.get("go_backwards", False):
            del data["backward_layer"]


def _validated_layer(data: dict, keras_name: str) -> dict:
    """The layer data, checked against its spec here so that a problem names the layer."""
    try:
        LAYER_CLASSES[data["type"]].model_validate(data)
    except ValidationError as error:
        raise UnsupportedModel(
            f"layer {keras_name!r} ({data['type']}) has arguments nnconf refuses: {_errors(error, data)}") from None
    return data


def _errors(error: ValidationError, data: dict, limit: int = 3) -> str:
    """The first ``limit`` problems with ``data``, in nnconf's words (those of ``nnconf validate``)."""
    findings = python_findings(error, data, {})
    parts = [finding.message + (f" [{finding.path}]" if finding.path else "") for finding in findings[:limit]]
    more = len(findings) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _plain(value: Any) -> Any:
    """A config value as plain YAML-able data: tuples become lists, numpy scalars Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- functions: activations, initializers, regularizers, constraints ------------------------------


def _activation(value: Any, where: str, key: str) -> Any:
    from nnconf.engine.layers import ParametrizedActivation

    if value is None:
        return "linear"
    if isinstance(value, ParametrizedActivation):
        value = {"name": value.name, **value.arguments}
    elif isinstance(value, dict) and "class_name" in value:
        inner = value.get("config")
        if value["class_name"] == "ParametrizedActivation" and isinstance(inner, dict):
            value = dict(inner)
        elif isinstance(inner, str):  # a serialized function
            value = inner
        else:
            raise UnsupportedModel(f"{where}: {key} is a {value['class_name']} object, which nnconf cannot express; "
                                   f"nnconf's activations are: {', '.join(ACTIVATION_NAMES)}")
    elif callable(value):
        value = getattr(value, "__name__", repr(value))
    name = value.get("name") if isinstance(value, dict) else value
    if name not in ACTIVATION_NAMES:
        raise UnsupportedModel(f"{where}: {key} {name!r} is not an activation nnconf supports; "
                               f"it supports: {', '.join(ACTIVATION_NAMES)}")
    if isinstance(value, dict):
        value = {k: _plain(v) for k, v in value.items() if k == "name" or v is not None}
        return value if len(value) > 1 else value["name"]
    return value


_FAMILIES = {
    "initializer": ("keras.initializers", INITIALIZERS),
    "regularizer": ("keras.regularizers", REGULARIZERS),
    "constraint": ("keras.constraints", CONSTRAINTS),
    "loss": ("keras.losses", LOSSES),
    "metric": ("keras.metrics", METRICS),
    "optimizer": ("keras.optimizers", OPTIMIZERS),
    "schedule": ("keras.optimizers.schedules", SCHEDULES),
}


def _module(kind: str) -> Any:
    module = keras
    for part in _FAMILIES[kind][0].split(".")[1:]:
        module = getattr(module, part)
    return module


@cache
def _by_class(kind: str) -> dict[Any, tuple[str, type[NamedSpec]]]:
    """Keras class -> (nnconf name, spec class), for one family, built the way the builder names them."""
    module, mapping = _module(kind), {}
    for spec in _FAMILIES[kind][1]:
        for name in spec.names():
            if kind == "metric" and name in _STRING_ONLY_METRICS:
                continue
            keras_class = getattr(module, keras_class_name(name), None)
            if keras_class is not None:
                mapping.setdefault(keras_class, (spec.names()[0] if kind != "metric" else name, spec))
    return mapping


@cache
def _by_name(kind: str) -> dict[str, type[NamedSpec]]:
    return {name: spec for spec in _FAMILIES[kind][1] for name in spec.names()}


def _function(kind: str, value: Any, where: str, key: str) -> Any:
    """An nnconf spec (``name`` or ``{name, arguments}``) from a serialized Keras object of a family."""
    spec = _named_spec(kind, value)
    if spec is None:
        described = value.get("class_name") if isinstance(value, dict) else value
        known = ", ".join(sorted(_by_name(kind)))
        raise UnsupportedModel(f"{where}: {key} is {described!r}, which nnconf has no {kind} for; "
                               f"it supports: {known}")
    return spec


def _named_spec(kind: str, value: Any) -> Any:
    """``name`` or ``{name: ..., arguments}`` for a Keras string, function or serialized object; None if
    nnconf has no spec for it."""
    if isinstance(value, str):
        if value in _by_name(kind):
            return value
        return _from_keras_getter(kind, value)
    if callable(value) and not isinstance(value, type):
        if hasattr(value, "get_config") and not _is_plain_function(value):
            serialized = keras.saving.serialize_keras_object(value)
            # Some Keras losses (Huber, CosineSimilarity, ...) leave their arguments out of get_config;
            # the live object still holds them.
            hidden = getattr(value, "_fn_kwargs", None)
            if isinstance(serialized, dict) and isinstance(serialized.get("config"), dict) and isinstance(hidden, dict):
                serialized["config"] = {**serialized["config"], **hidden}
            value = serialized
        else:
            name = getattr(value, "__name__", None)
            return name if name in _by_name(kind) else None
    if not isinstance(value, dict) or "class_name" not in value:
        return None
    class_name, config = value["class_name"], value.get("config")
    if class_name == "function" and isinstance(config, str):
        return config if config in _by_name(kind) else None
    found = _by_class(kind).get(getattr(_module(kind), class_name, None))
    if found is None or value.get("registered_name") not in (None, class_name):
        return None
    name, spec = found
    arguments = {key: _plain(item) for key, item in (config or {}).items()
                 if key in spec.model_fields and key != "name"}
    if kind == "regularizer":  # Keras keeps these factors as float32 tensors: 1e-05 reads 9.999999747e-06
        arguments = {key: _shortest_float32(item) for key, item in arguments.items()}
    return {"name": name, **arguments} if arguments else name


def _is_plain_function(value: Any) -> bool:
    return type(value).__name__ in ("function", "builtin_function_or_method")


def _from_keras_getter(kind: str, name: str) -> Any:
    """A Keras alias (e.g. a loss string nnconf spells differently), through Keras's own lookup."""
    getter = getattr(_module(kind), "get", None)
    if getter is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resolved = getter(name)
    except Exception:
        return None
    function_name = getattr(resolved, "__name__", None)
    if function_name in _by_name(kind):
        return function_name
    found = _by_class(kind).get(type(resolved))
    return found[0] if found else None


# --- compiling: loss, optimizer, metrics, task ------------------------------------------------------


def _compile_arguments(model: keras.Model) -> dict:
    """What the model was compiled with: live objects where Keras keeps them, else their serialized form.

    Live objects matter: some Keras losses (Huber, CosineSimilarity, ...) leave their arguments out of
    ``get_config``, and a model compiled with something unserializable has no compile config at all.
    """
    if not getattr(model, "compiled", False):
        return {}
    arguments: dict[str, Any] = {}
    raw = getattr(getattr(model, "_compile_config", None), "config", None)
    if isinstance(raw, dict):
        arguments.update(raw)
    else:
        try:
            arguments.update(model.get_compile_config() or {})
        except Exception:  # something in it does not serialize; the live attributes below still tell
            pass
    if getattr(model, "loss", None) is not None:
        arguments["loss"] = model.loss
    if getattr(model, "optimizer", None) is not None:
        arguments["optimizer"] = model.optimizer
    return arguments


def _compiled(model: keras.Model, outputs: list[tuple[str, str, dict]], task: Any = None, loss: Any = None) -> dict:
    compile_config = _compile_arguments(model)
    multi = len(outputs) > 1
    keras_names = [keras_name for keras_name, _, _ in outputs]
    our_names = {keras_name: name for keras_name, name, _ in outputs}

    losses = _per_output(compile_config.get("loss"), keras_names)
    given_tasks, given_losses = _given(task, "task", our_names), _given(loss, "loss", our_names)
    tasks, loss_specs, unknown = {}, {}, {}
    for keras_name, name, info in outputs:
        raw = losses.get(keras_name)
        spec = given_losses.get(name)
        if spec is None:
            spec = _named_spec("loss", raw) if raw is not None else None
            if raw is not None and spec is None:
                _notice(f"the loss {_describe(raw)}{_of(name)} has no nnconf spec; the config gets a placeholder loss")
        activation = _output_activation(info["chain"])
        if name in given_tasks:
            tasks[name] = given_tasks[name]
        elif raw is not None or _task_of_loss(spec, _units(info["chain"])):
            tasks[name] = _task(spec, activation, _units(info["chain"]))
        if spec is None and raw is None:
            unknown.setdefault(name, []).append("loss")
        if name not in tasks:
            unknown.setdefault(name, []).insert(0, "task")
        if spec is None and name in tasks:
            spec = _placeholder_loss(tasks[name], activation)
        loss_specs[name] = spec
    if unknown:
        raise UnsupportedModel(_unknown_message(model, unknown, multi))

    data: dict[str, Any] = {}
    if multi:
        data["task"] = tasks
        data["loss"] = loss_specs
        data["loss_weights"] = _loss_weights(compile_config.get("loss_weights"), keras_names, our_names)
    else:
        data["task"] = next(iter(tasks.values()))
        data["loss"] = next(iter(loss_specs.values()))
    data["optimizer"] = _optimizer(compile_config.get("optimizer"))
    data["metrics"] = _metrics(compile_config.get("metrics"), keras_names, our_names, multi)
    return data


def _of(name: str) -> str:
    return f" of output {name!r}" if name else ""


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        config = value.get("config")
        return repr(config if isinstance(config, str) else value.get("class_name"))
    if isinstance(value, str):
        return repr(value)
    return repr(getattr(value, "__name__", None) or type(value).__name__)


def _notice(message: str) -> None:
    warnings.warn(message, ImportNotice, stacklevel=2)


def _per_output(value: Any, keras_names: list[str]) -> dict[str, Any]:
    """One value per output from Keras's compile argument: one for all, a dict by name, or a list."""
    if value is None:
        return {}
    if isinstance(value, dict) and "class_name" not in value:
        if len(keras_names) == 1 and len(value) == 1:  # a one-output model's loss, keyed by its output
            return {keras_names[0]: next(iter(value.values()))}
        return {name: value.get(name) for name in keras_names}
    if isinstance(value, (list, tuple)):
        if len(value) == len(keras_names):
            return dict(zip(keras_names, value))
        return {}
    return {name: value for name in keras_names}


def _units(chain: list[dict]) -> int | None:
    for layer in chain:
        for key in ("units", "filters", "output_dim"):
            if isinstance(layer.get(key), int):
                return layer[key]
        inner = layer.get("layer")
        if isinstance(inner, dict) and isinstance(inner.get("units"), int):
            return inner["units"]
        if layer["type"] not in _PASS_THROUGH and layer["type"] not in ("Activation", "Softmax"):
            return None
    return None


def _output_activation(chain: list[dict]) -> str:
    """The activation the output ends in, looking back through layers that keep it (Dropout, ...)."""
    for layer in chain:
        kind = layer["type"]
        if kind == "Softmax":
            return "softmax"
        if kind in ("ReLU", "LeakyReLU", "PReLU", "ELU"):
            return "relu"
        if "activation" in layer:
            activation = layer["activation"]
            return activation["name"] if isinstance(activation, dict) else activation
        inner = layer.get("layer")
        if isinstance(inner, dict) and "activation" in inner:
            activation = inner["activation"]
            return activation["name"] if isinstance(activation, dict) else activation
        if kind not in _PASS_THROUGH:
            return "linear"
    return "linear"


def _given(value: Any, what: str, our_names: dict[str, str]) -> dict[str, Any]:
    """The task or loss the caller gave, by output name: one for every output, or a mapping by name."""
    if value is None:
        return {}
    if hasattr(value, "model_dump"):  # a spec made in Python (nnconf.losses.Huber(...))
        value = value.model_dump()
    if isinstance(value, dict) and "name" not in value:
        wrong = sorted(set(value) - set(our_names.values()))
        if wrong:
            raise UnsupportedModel(f"the {what} is given for {', '.join(map(repr, wrong))}, which "
                                   f"{'is' if len(wrong) == 1 else 'are'} not among the model's outputs "
                                   f"({', '.join(map(repr, our_names.values()))})")
        return {name: item.model_dump() if hasattr(item, "model_dump") else item for name, item in value.items()}
    return {name: value for name in our_names.values()}


def _unknown_message(model: keras.Model, unknown: dict[str, list[str]], multi: bool) -> str:
    """What an uncompiled model leaves unknown, and how to say it."""
    kinds = sorted({kind for kinds in unknown.values() for kind in kinds}, key=["task", "loss"].index)
    what = " and ".join(f"its {kind}" for kind in kinds)
    where = f" (output{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))})" if multi else ""
    example = {"task": "task='multiclass'", "loss": "loss='sparse_categorical_crossentropy'"}
    return (f"model {model.name!r} is not compiled, so nnconf cannot know {what}{where}: compile it with its loss "
            f"before saving it, or give {' and '.join(kinds)} to nnconf.from_keras(model, "
            f"{', '.join(example[kind] for kind in kinds)})")


def _task_of_loss(loss: Any, units: int | None) -> str | None:
    """The task a loss tells (cross-entropies, hinge and regression losses), or None."""
    name = loss.get("name") if isinstance(loss, dict) else loss
    spec = _by_name("loss").get(LOSS_SPELLINGS.get(name, name)) if isinstance(name, str) else None
    if spec is None:
        return None
    if spec.TARGET == "binary":
        return "multilabel" if units and units > 1 else "binary"
    if spec.TARGET in ("one_hot", "integer"):
        return "multiclass"
    return "regression" if spec in REGRESSION_LOSSES else None


def _task(loss: Any, activation: str, units: int | None) -> str:
    """A compiled model's task: from the loss where it tells, else from the output activation."""
    told = _task_of_loss(loss, units)
    if told is not None:
        return told
    if activation in ("softmax", "log_softmax"):
        return "multiclass"
    if activation == "sigmoid":
        return "multilabel" if units and units > 1 else "binary"
    return "regression"


def _placeholder_loss(task: str, activation: str) -> Any:
    logits = activation == "linear"
    if task == "regression":
        return "mse"
    name = "sparse_categorical_crossentropy" if task == "multiclass" else "binary_crossentropy"
    return {"name": name, "from_logits": True} if logits else name


def _loss_weights(value: Any, keras_names: list[str], our_names: dict[str, str]) -> Any:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if isinstance(value, (list, tuple)) and len(value) == len(keras_names):
        value = dict(zip(keras_names, value))
    if isinstance(value, dict):
        return {our_names.get(k, k): float(v) for k, v in value.items() if k in our_names and v is not None}
    return None


def _optimizer(value: Any) -> Any:
    if value is None:
        return "adam"
    if hasattr(value, "get_config") and not isinstance(value, (str, dict)):
        try:
            value = keras.saving.serialize_keras_object(value)
        except Exception:
            _notice(f"the optimizer {type(value).__name__} cannot be read; the config uses adam")
            return "adam"
    if isinstance(value, str):
        spec = _named_spec("optimizer", value)
        if spec is None:
            _notice(f"the optimizer {value!r} has no nnconf spec; the config uses adam")
            return "adam"
        return spec
    if not isinstance(value, dict) or "class_name" not in value:
        _notice(f"the optimizer {_describe(value)} has no nnconf spec; the config uses adam")
        return "adam"
    found = _by_class("optimizer").get(getattr(keras.optimizers, value["class_name"], None))
    if found is None or value.get("registered_name") not in (None, value["class_name"]):
        _notice(f"the optimizer {value['class_name']!r} has no nnconf spec; the config uses adam")
        return "adam"
    name, spec = found
    config = dict(value.get("config") or {})
    rate = config.pop("learning_rate", None)
    arguments = {key: _plain(item) for key, item in config.items() if key in spec.model_fields and key != "name"}
    if isinstance(rate, dict):
        schedule = _named_spec("schedule", rate)
        if schedule is None:
            _notice(f"the learning-rate schedule {_describe(rate)} has no nnconf spec; the config uses "
                    f"{name}'s default learning rate")
        else:
            arguments["learning_rate"] = schedule
    elif rate is not None:
        arguments["learning_rate"] = _float32(rate)
    return {"name": name, **arguments}


def _shortest_float32(value: Any) -> Any:
    """A float that is exactly a float32 as the shortest decimal of that float32; others unchanged."""
    if isinstance(value, float) and np.isfinite(value) and float(np.float32(value)) == value:
        return _float32(value)
    return value


def _float32(value: Any) -> float:
    """A rate Keras keeps as a float32 variable (0.0010000000474974513), as it was written (0.001)."""
    return float(str(np.float32(value)))


def _metrics(value: Any, keras_names: list[str], our_names: dict[str, str], multi: bool) -> Any:
    if value is None:
        return []
    if isinstance(value, dict) and "class_name" not in value:
        if not multi:  # a one-output model's metrics, keyed by its output
            return [spec for item in value.values() if item for spec in _metric_list(item, "")]
        return {our_names[k]: _metric_list(v, our_names[k]) for k, v in value.items() if k in our_names and v}
    if isinstance(value, (list, tuple)) and multi and value and all(
            isinstance(item, (list, tuple)) or item is None for item in value) and len(value) == len(keras_names):
        return {our_names[k]: _metric_list(v, our_names[k]) for k, v in zip(keras_names, value) if v}
    return _metric_list(value, "")


def _metric_list(value: Any, output: str) -> list:
    items = value if isinstance(value, (list, tuple)) else [value]
    result = []
    for item in items:
        spec = _named_spec("metric", item)
        if spec is None:
            _notice(f"the metric {_describe(item)}{_of(output)} has no nnconf spec; it is left out")
        else:
            result.append(spec)
    return result


# --- the whole config --------------------------------------------------------------------------------


def _validated(data: dict) -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise UnsupportedModel(f"the imported config does not validate: {_errors(error, data)}") from None
    from nnconf.analysis.pipeline import check_config
    from nnconf.findings import Severity

    errors = [f for f in check_config(config).findings if f.severity is Severity.ERROR]
    if errors:
        details = "; ".join(f"{f.message}" + (f" [{f.path}]" if f.path else "") for f in errors[:3])
        raise UnsupportedModel(f"the imported config does not check out: {details}")
    return config
