"""Hypothesis strategies for nnconf configs: valid ones, valid ones mutated, and corrupted YAML text.

Valid configs are assembled from the seed configs (``configs/*.yaml``, ``tests/fixtures/clean/*.yaml``)
and from ``EVERY_LAYER`` in ``tests/test_build.py`` (one valid example per layer type, read from that
file's source so that nothing here imports Keras): random stacks of layers whose ranks fit, layer and
optimizer arguments redrawn from their pydantic field types, sequential stacks rewired as functional
graphs. Mutations then break them the ways people (and editors, and merges) do.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import ast
import copy
import math
import string
import types
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ForwardRef, Literal, Union, get_args, get_origin

import yaml
from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from hypothesis import strategies as st
from pydantic.fields import FieldInfo
from typing_extensions import TypeAliasType

from nnconf.config.base import NamedSpec
from nnconf.config.layers import LAYER_CLASSES
from nnconf.config.loader import load_text
from nnconf.config.losses import LOSSES
from nnconf.config.metrics import METRICS
from nnconf.config.optimizers import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = sorted((ROOT / "configs").glob("*.yaml")) + sorted((ROOT / "tests" / "fixtures" / "clean").glob("*.yaml"))
SEED_TEXTS: dict[str, str] = {path.name: path.read_text() for path in SEED_FILES}


def _plain_data(text: str) -> Any:
    """YAML text as nnconf reads it (YAML 1.2 core schema: ``1e-3`` is a float)."""
    loaded = load_text(text)
    assert not loaded.findings, loaded.findings
    return loaded.data


SEED_DATA: dict[str, dict] = {name: _plain_data(text) for name, text in SEED_TEXTS.items()}


def _every_layer() -> dict[str, tuple[dict, Any]]:
    """``EVERY_LAYER`` from tests/test_build.py, read as a literal so that Keras is not imported."""
    tree = ast.parse((ROOT / "tests" / "test_build.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EVERY_LAYER" for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError("EVERY_LAYER not found in tests/test_build.py")


EVERY_LAYER = _every_layer()
SINGLE_INPUT = sorted(t for t in EVERY_LAYER if LAYER_CLASSES[t].CALL_STYLE == "single")
MULTI_INPUT = sorted(t for t in EVERY_LAYER if LAYER_CLASSES[t].CALL_STYLE != "single")


def dump(data: Any, flow: bool | None = False) -> str:
    """YAML text for plain data (any flow style: block, mixed or all-flow)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=flow, allow_unicode=True, width=100)


# --- configs around one layer ----------------------------------------------------------------------


TASK_HEADS = {
    # task -> (loss, last layer, metrics): combinations lint has no quarrel with
    "regression": ("mse", {"type": "Dense", "units": 1}, ["mae"]),
    "binary": ("binary_crossentropy", {"type": "Dense", "units": 1, "activation": "sigmoid"}, ["accuracy"]),
    "multiclass": ("sparse_categorical_crossentropy", {"type": "Dense", "units": 3, "activation": "softmax"},
                   ["accuracy"]),
}


def single_layer_config(layer_type: str, arguments: dict | None = None) -> dict:
    """The EVERY_LAYER example of ``layer_type`` as a whole config: sequential for a layer that takes
    one input, functional (inputs ``a``, ``b``) for one that takes several."""
    example, shape = EVERY_LAYER[layer_type]
    layer = {"type": layer_type, **copy.deepcopy(example if arguments is None else arguments)}
    if isinstance(shape, list):
        inputs = {f"in{i}": list(s) for i, s in enumerate(shape)}
        model = {"inputs": inputs, "layers": [{"name": "layer", **layer, "inputs": list(inputs)}], "outputs": "layer"}
    else:
        model = {"input_shape": list(shape), "layers": [layer]}
    return {"task": "regression", "model": model, "loss": "mse"}


@cache
def _output_shapes() -> dict[str, tuple]:
    """The output shape of every single-input EVERY_LAYER example, as nnconf infers it."""
    from nnconf.api import check_text

    shapes = {}
    for layer_type in SINGLE_INPUT:
        report = check_text(dump(single_layer_config(layer_type)))
        assert report.ok, [f.format() for f in report.findings]
        shapes[layer_type] = tuple(report.inference.layers[0].output_shape)
    return shapes


def _by_input_rank() -> dict[int, list[str]]:
    ranks: dict[int, list[str]] = {}
    for layer_type in SINGLE_INPUT:
        ranks.setdefault(len(EVERY_LAYER[layer_type][1]), []).append(layer_type)
    return ranks


# --- values drawn from pydantic field types ----------------------------------------------------------

_SMALL_INT = 12  # keeps models drawn for building tiny
_NAME = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(lambda s: s[0] != "_" or len(s) > 1)


def _bounds(metadata) -> tuple[float | None, float | None, bool, bool]:
    low = high = None
    low_open = high_open = False
    for item in metadata:
        if isinstance(item, Gt):
            low, low_open = item.gt, True
        elif isinstance(item, Ge):
            low = item.ge
        elif isinstance(item, Lt):
            high, high_open = item.lt, True
        elif isinstance(item, Le):
            high = item.le
    return low, high, low_open, high_open


def _lengths(metadata) -> tuple[int, int]:
    low, high = 0, 3
    for item in metadata:
        if isinstance(item, MinLen):
            low = item.min_length
        elif isinstance(item, MaxLen):
            high = item.max_length
    return low, max(low, min(high, low + 3))


def _unwrap(metadata) -> list:
    out = []
    for item in metadata:
        out.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return out


def value_strategy(annotation: Any, metadata: tuple = (), depth: int = 0) -> st.SearchStrategy | None:
    """Values of a field's type, kept small; None where the type is not simple enough to draw."""
    metadata = _unwrap(metadata)
    if isinstance(annotation, TypeAliasType):
        return value_strategy(annotation.__value__, tuple(metadata), depth)
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return value_strategy(base, tuple(metadata) + tuple(extra), depth)
    if origin in (Union, types.UnionType):
        options = [value_strategy(arg, tuple(metadata), depth) for arg in get_args(annotation)]
        options = [option for option in options if option is not None]
        return st.one_of(options) if options else None
    if annotation is type(None):
        return st.none()
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low, high, low_open, high_open = _bounds(metadata)
        low = -3 if low is None else int(low) + low_open
        high = low + _SMALL_INT if high is None else min(int(high) - high_open, low + _SMALL_INT)
        return st.integers(low, max(low, high))
    if annotation is float:
        low, high, low_open, high_open = _bounds(metadata)
        low = -4.0 if low is None else float(low)
        high = low + 4.0 if high is None else float(high)
        return st.floats(low, high, exclude_min=low_open, exclude_max=high_open, allow_nan=False)
    if annotation is str:
        return _NAME
    if origin is list:
        (item,) = get_args(annotation)
        items = value_strategy(item, (), depth + 1) if depth < 2 else None
        if items is None:
            return None
        low, high = _lengths(metadata)
        return st.lists(items, min_size=low, max_size=high)
    if origin is dict:
        key, item = get_args(annotation)
        keys, items = value_strategy(key, (), depth + 1), value_strategy(item, (), depth + 1) if depth < 2 else None
        if keys is None or items is None:
            return None
        return st.dictionaries(keys, items, max_size=2)
    if isinstance(annotation, (ForwardRef, str)):  # a wrapper's inner layer: "AnyLayer"
        return st.sampled_from(SINGLE_INPUT).map(lambda t: {"type": t, **copy.deepcopy(EVERY_LAYER[t][0])})
    if isinstance(annotation, type) and issubclass(annotation, NamedSpec):
        return named_spec(annotation) if depth < 2 else st.sampled_from(annotation.names())
    return None


def named_spec(cls: type) -> st.SearchStrategy:
    """A name (``relu``), or a mapping with the name and some arguments (``{name: adam, beta_1: 0.5}``)."""
    names = st.sampled_from(cls.names())
    return st.one_of(names, st.builds(lambda name, arguments: {"name": name, **arguments},
                                      names, _some_fields(cls)))


@st.composite
def _some_fields(draw, cls: type) -> dict:
    fields = field_strategies(cls)
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)) if fields else []
    return {key: draw(fields[key]) for key in chosen}


@cache
def field_strategies(cls: type) -> dict[str, st.SearchStrategy]:
    """Key (as written in YAML) -> strategy, for every field of a model whose type is simple enough."""
    skip = {"type", "name", "inputs", "weights"}
    result = {}
    for field_name, info in cls.model_fields.items():
        if field_name in skip:
            continue
        strategy = value_strategy(info.annotation, tuple(info.metadata))
        if strategy is not None:
            result[info.alias or field_name] = strategy
    return result


@st.composite
def redrawn_arguments(draw, cls: type, arguments: dict) -> dict:
    """``arguments`` with a few fields redrawn from their types (which may make them invalid together)."""
    fields = field_strategies(cls)
    if not fields:
        return dict(arguments)
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True))
    result = dict(arguments)
    for key in chosen:
        result[key] = draw(fields[key])
    return result


# --- valid configs -------------------------------------------------------------------------------


@st.composite
def layer_from_example(draw, layer_type: str, redraw: bool) -> dict:
    arguments = copy.deepcopy(EVERY_LAYER[layer_type][0])
    if redraw and draw(st.booleans()):
        arguments = draw(redrawn_arguments(LAYER_CLASSES[layer_type], arguments))
    return {"type": layer_type, **arguments}


@st.composite
def layer_stack(draw, redraw: bool = True) -> tuple[list, list[dict]]:
    """An input shape and 1-5 layers, each chosen among those whose example takes the rank the
    previous layer puts out, ending in a task head."""
    shapes, ranks = _output_shapes(), _by_input_rank()
    first = draw(st.sampled_from(SINGLE_INPUT))
    input_shape = list(EVERY_LAYER[first][1])
    layers = [draw(layer_from_example(first, redraw))]
    rank = len(shapes[first])
    for _ in range(draw(st.integers(0, 4))):
        candidates = ranks.get(rank)
        if not candidates:
            break
        chosen = draw(st.sampled_from(candidates))
        layers.append(draw(layer_from_example(chosen, redraw)))
        rank = len(shapes[chosen])
    if rank > 1:
        layers.append({"type": "Flatten"})
    return input_shape, layers


@st.composite
def top_level(draw, config: dict, *, redraw: bool = True) -> dict:
    """Name, seed, optimizer and metrics around a model (a task, loss and head are already in)."""
    if draw(st.booleans()):
        config["name"] = draw(st.from_regex(r"\A[a-z][a-z0-9_.\-]{0,15}\Z"))
    if draw(st.booleans()):
        config["seed"] = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):
        optimizer = draw(st.sampled_from(OPTIMIZERS))
        spec: Any = optimizer.names()[0]
        if redraw and draw(st.booleans()):
            spec = {"name": spec, **draw(redrawn_arguments(optimizer, {}))}
            if isinstance(spec.get("learning_rate"), str):
                spec.pop("learning_rate")  # a schedule's name alone is no schedule
        config["optimizer"] = spec
    if redraw and draw(st.integers(0, 3)) == 0 and isinstance(config.get("loss"), str):
        loss = next(cls for cls in LOSSES if config["loss"] in cls.names())
        config["loss"] = {"name": config["loss"], **draw(_some_fields(loss))}
    if redraw and draw(st.integers(0, 3)) == 0:
        config["metrics"] = draw(st.lists(st.one_of([named_spec(cls) for cls in METRICS]), max_size=3))
    if redraw and draw(st.integers(0, 5)) == 0:
        config["lint"] = {"ignore": draw(st.lists(st.from_regex(r"\ANN[0-4]0[0-9]\Z"), max_size=2))}
    return config


@st.composite
def stacked_config(draw, redraw: bool = True) -> dict:
    """A sequential stack, or the same stack wired as a functional graph (maybe with a merge)."""
    input_shape, layers = draw(layer_stack(redraw))
    task = draw(st.sampled_from(sorted(TASK_HEADS)))
    loss, head, metrics = TASK_HEADS[task]
    layers = layers + [dict(head)]
    config: dict = {"task": task}
    if draw(st.booleans()):
        config["model"] = {"input_shape": input_shape, "layers": layers}
    else:
        named, previous = [], "x"
        merge_at = draw(st.integers(0, len(layers)))
        for index, layer in enumerate(layers):
            if index == merge_at and index > 0:
                merge = draw(st.sampled_from(["Add", "Concatenate", "Maximum", "Average"]))
                named.append({"name": f"merge{index}", "type": merge, "inputs": [previous, previous]})
                previous = f"merge{index}"
            named.append({"name": f"l{index}", **layer, "inputs": previous})
            previous = f"l{index}"
        config["model"] = {"inputs": {"x": input_shape}, "layers": named, "outputs": previous}
    config["loss"] = loss
    if draw(st.booleans()):
        config["metrics"] = list(metrics)
    return draw(top_level(config, redraw=redraw))


@st.composite
def multi_input_config(draw, redraw: bool = True) -> dict:
    layer_type = draw(st.sampled_from(MULTI_INPUT))
    config = single_layer_config(layer_type)
    if redraw and draw(st.booleans()):
        layer = config["model"]["layers"][0]
        example = {k: v for k, v in layer.items() if k not in ("type", "name", "inputs")}
        layer.update(draw(redrawn_arguments(LAYER_CLASSES[layer_type], example)))
    return draw(top_level(config, redraw=redraw))


@st.composite
def seed_config(draw, redraw: bool = True) -> dict:
    """A seed config, with some layers' arguments redrawn."""
    data = copy.deepcopy(SEED_DATA[draw(st.sampled_from(sorted(SEED_DATA)))])
    if redraw:
        for layer in data["model"]["layers"]:
            if layer.get("type") in LAYER_CLASSES and draw(st.integers(0, 3)) == 0:
                fixed = {k: layer[k] for k in ("type", "name", "inputs") if k in layer}
                drawn = draw(redrawn_arguments(LAYER_CLASSES[layer["type"]],
                                               {k: v for k, v in layer.items() if k not in fixed}))
                layer.clear()
                layer.update({**fixed, **drawn})
    return data


def valid_configs(redraw: bool = True) -> st.SearchStrategy[dict]:
    """Configs meant to be valid (redrawn arguments may still clash: every outcome is allowed)."""
    return st.one_of(seed_config(redraw), stacked_config(redraw), multi_input_config(redraw))


def texts(data: st.SearchStrategy[dict]) -> st.SearchStrategy[str]:
    return st.tuples(data, st.sampled_from([False, None, True])).map(lambda pair: dump(*pair))


# --- mutations -----------------------------------------------------------------------------------

# Values out of range for anything numeric: zero, negatives, huge (a size at the most elements one
# tensor holds, and an integer beyond the largest float), not finite.
EXTREME_NUMBERS = [0, -1, -7, 0.0, -0.0, -1e-9, 1e-320, 2**31 - 1, 2**31, 2**63, 2**64 + 1, 10**30, -(10**30),
                   10**400, 1e308, math.inf, -math.inf, math.nan]

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=True) | st.text(max_size=6)
    | st.sampled_from(["", "relu", "Dense", "None", "null", "true", "[1]", "{a: 1}"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def _retyped(value: Any) -> st.SearchStrategy:
    """A value of another type than ``value``: str <-> int <-> list <-> dict <-> None <-> bool."""
    as_text = str(value) if not isinstance(value, (dict, list)) else "x"
    options = [
        st.just(as_text), st.just(1), st.just(-1), st.just([value]), st.just({"value": value}), st.just(None),
        st.just(True), st.just(False), st.just([]), st.just({}), st.just(1.5), JUNK,
    ]
    if isinstance(value, str) and value.lstrip("-").isdigit():
        options.append(st.just(int(value)))
    if isinstance(value, list) and value:
        options.append(st.just(value[0]))
    if isinstance(value, dict) and value:
        options.append(st.just(next(iter(value.values()))))
    return st.one_of(options)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value under ``data`` (dict keys and list indices)."""
    paths = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _paths(value, prefix + (index,))
    return paths


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _typo(draw, word: str) -> str:
    if not word:
        return "x"
    kind = draw(st.sampled_from(["drop", "swap", "double", "insert", "case", "space"]))
    i = draw(st.integers(0, len(word) - 1))
    if kind == "drop":
        return (word[:i] + word[i + 1:]) or "_"
    if kind == "swap" and len(word) > 1:
        i = min(i, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "case":
        return word.swapcase()
    if kind == "space":
        return word + " "
    return word[:i] + draw(st.sampled_from("aeiouxz_-.0")) + word[i:]


def _layers_of(data: Any) -> list | None:
    model = data.get("model") if isinstance(data, dict) else None
    layers = model.get("layers") if isinstance(model, dict) else None
    return layers if isinstance(layers, list) else None


MUTATIONS = ["drop_key", "rename_key", "retype", "out_of_range", "layers", "references", "junk_key", "weights"]

_FLOATS = st.one_of(st.floats(-2, 2), st.sampled_from([math.nan, math.inf, 1e308, 0, True, "x", None]))
WEIGHT_VALUES = st.recursive(_FLOATS, lambda children: st.lists(children, max_size=4), max_leaves=12)


@st.composite
def mutation(draw, data: dict) -> str:
    """Applies one random mutation to ``data`` in place; returns what it did (for the failure report)."""
    kind = draw(st.sampled_from(MUTATIONS))
    paths = _paths(data)
    keyed = [p for p in paths if isinstance(p[-1], str)]
    if kind == "drop_key" and keyed:
        path = draw(st.sampled_from(keyed))
        del _get(data, path[:-1])[path[-1]]
        return f"drop {path}"
    if kind == "rename_key" and keyed:
        path = draw(st.sampled_from(keyed))
        parent = _get(data, path[:-1])
        new = _typo(draw, path[-1])
        parent[new] = parent.pop(path[-1])
        return f"rename {path} -> {new!r}"
    if kind == "retype" and paths:
        path = draw(st.sampled_from(paths))
        value = draw(_retyped(_get(data, path)))
        _get(data, path[:-1])[path[-1]] = value
        return f"retype {path} = {value!r}"
    if kind == "out_of_range" and paths:
        numeric = [p for p in paths if isinstance(_get(data, p), (int, float)) and not isinstance(_get(data, p), bool)]
        path = draw(st.sampled_from(numeric or paths))
        value = draw(st.sampled_from(EXTREME_NUMBERS))
        _get(data, path[:-1])[path[-1]] = value
        return f"out of range {path} = {value!r}"
    if kind == "layers" and _layers_of(data):
        return _mutate_layers(draw, _layers_of(data))
    if kind == "references" and _layers_of(data) and "inputs" in data["model"]:
        return _break_references(draw, data["model"])
    if kind == "weights" and _layers_of(data):
        layer = draw(st.sampled_from(_layers_of(data)))
        if isinstance(layer, dict):
            names = st.sampled_from(["kernel", "bias", "recurrent_kernel", "gamma", "beta", "moving_mean",
                                     "embeddings", "forward_kernel", "query_kernel", "kernal", ""])
            layer["weights"] = draw(st.one_of(st.dictionaries(names, WEIGHT_VALUES, max_size=3), JUNK))
            return f"weights of {layer.get('type')}: {layer['weights']!r}"
    if kind == "junk_key":
        target = draw(st.sampled_from([p for p in paths if isinstance(_get(data, p), dict)] or [()]))
        key, value = draw(st.text(max_size=8)), draw(JUNK)
        _get(data, target)[key] = value
        return f"junk key {target} + {key!r}: {value!r}"
    return "none"


def _mutate_layers(draw, layers: list) -> str:
    kind = draw(st.sampled_from(["shuffle", "duplicate", "delete", "empty", "reverse", "foreign"]))
    if kind == "shuffle":
        layers[:] = draw(st.permutations(layers))
    elif kind == "duplicate":
        i = draw(st.integers(0, len(layers) - 1))
        layers.insert(draw(st.integers(0, len(layers))), copy.deepcopy(layers[i]))
    elif kind == "delete":
        del layers[draw(st.integers(0, len(layers) - 1))]
    elif kind == "empty":
        layers.clear()
    elif kind == "reverse":
        layers.reverse()
    else:  # a layer of another type, its example arguments, in a random place
        layer_type = draw(st.sampled_from(sorted(EVERY_LAYER)))
        layers.insert(draw(st.integers(0, len(layers))), {"type": layer_type, **EVERY_LAYER[layer_type][0]})
    return f"layers: {kind}"


def _break_references(draw, model: dict) -> str:
    layers = [layer for layer in model["layers"] if isinstance(layer, dict)]
    names = [layer.get("name") for layer in layers if isinstance(layer.get("name"), str)]
    inputs = list(model["inputs"]) if isinstance(model.get("inputs"), dict) else []
    known = names + inputs
    near = st.sampled_from(known or ["x"])
    bogus = st.one_of(_NAME, near.map(lambda n: n + "_"), near.map(str.upper), near.map(lambda n: n[:-1] or "_"))
    kind = draw(st.sampled_from(["layer_input", "output", "cycle", "unname", "duplicate_name", "drop_input",
                                 "output_is_input", "no_outputs"]))
    if kind == "layer_input" and layers:
        layer = draw(st.sampled_from(layers))
        layer["inputs"] = draw(st.one_of(bogus, st.lists(st.one_of(bogus, st.sampled_from(known or ["x"])),
                                                         max_size=3), st.just(layer.get("name", "x"))))
    elif kind == "output":
        model["outputs"] = draw(st.one_of(bogus, st.lists(bogus, max_size=3)))
    elif kind == "cycle" and len(layers) >= 2 and len(names) >= 2:
        a, b = draw(st.permutations(layers))[:2]
        if "name" in a and "name" in b:
            a["inputs"], b["inputs"] = b["name"], a["name"]
    elif kind == "unname" and layers:
        draw(st.sampled_from(layers)).pop("name", None)
    elif kind == "duplicate_name" and len(layers) >= 2:
        a, b = draw(st.permutations(layers))[:2]
        b["name"] = a.get("name", "x")
    elif kind == "drop_input" and inputs:
        del model["inputs"][draw(st.sampled_from(inputs))]
    elif kind == "output_is_input" and inputs:
        model["outputs"] = draw(st.sampled_from(inputs))
    elif kind == "no_outputs":
        model.pop("outputs", None)
    return f"references: {kind}"


@st.composite
def mutated_configs(draw) -> tuple[dict, list[str]]:
    data = copy.deepcopy(draw(valid_configs(redraw=False)))
    done = [draw(mutation(data)) for _ in range(draw(st.integers(1, 3)))]
    return data, done


# --- corrupted text ------------------------------------------------------------------------------

# Bytes that mean something to YAML, and a few that mean trouble to decoders.
SPECIAL_BYTES = b":-[]{},#&*!|>'\"%@`?\t\n\r \\\x00\x7f\xff\xfe\xc3\xe2"


@st.composite
def corrupted_bytes(draw) -> tuple[bytes, list[str]]:
    """A valid config's YAML text, with bytes inserted, deleted, flipped or replaced."""
    if draw(st.booleans()):
        text = SEED_TEXTS[draw(st.sampled_from(sorted(SEED_TEXTS)))]
    else:
        text = draw(texts(valid_configs(redraw=False)))
    raw = bytearray(text.encode())
    done = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "flip", "replace", "truncate", "duplicate_line"]))
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        byte = draw(st.one_of(st.sampled_from(SPECIAL_BYTES), st.integers(0, 255)))
        if kind == "insert":
            raw.insert(at, byte)
        elif kind == "delete":
            del raw[at]
        elif kind == "flip":
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "replace":
            raw[at] = byte
        elif kind == "truncate":
            del raw[at:]
        else:
            lines = bytes(raw).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            raw = bytearray(b"\n".join(lines))
        done.append(f"{kind} at {at} ({byte!r})")
    return bytes(raw), done


# --- --set expressions ---------------------------------------------------------------------------

_PATH_PART = st.one_of(
    st.sampled_from(["model", "layers", "inputs", "outputs", "units", "loss", "task", "optimizer", "name",
                     "learning_rate", "metrics", "seed", "input_shape", "type", "lint", "ignore", "x"]),
    st.integers(0, 12).map(lambda i: f"[{i}]"), st.just("[99999999999999999999]"), st.text(max_size=4),
    st.just("a." * 100 + "b"),  # a path deeper than a config nests
)

override_expressions = st.one_of(
    st.builds(
        lambda parts, op, value: ".".join(parts).replace(".[", "[") + op + value,
        st.lists(_PATH_PART, min_size=1, max_size=5),
        st.sampled_from(["=", "=", " = ", "==", ":", ""]),
        st.one_of(st.text(max_size=12), st.sampled_from(
            ["1", "-1", "0", "1e308", ".nan", ".inf", "~", "[]", "{}", "[1, 2]", "{name: adam}", "relu", "'",
             "[", "*a", "&a [*a]", "!!binary x", "a: b", "- 1", "1e-3", "true", "0x10", "0o7", "9" * 5000,
             "0x" + "f" * 1000, "{~: 1}", "{!!str a: 1}", "[" * 100 + "]" * 100])),
    ),
    st.text(max_size=20),
)
