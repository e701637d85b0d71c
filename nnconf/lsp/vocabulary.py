"""What a config can say where: the keys of each mapping, the names each value takes, and their
documentation, all read from the config schema (nnconf.config) so that completion never drifts
from what validation accepts."""

from __future__ import annotations

import inspect
import re
import typing
from functools import cache

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from nnconf.config.base import NamedSpec, StrictModel
from nnconf.config.data import data_sources
from nnconf.config.functions import ACTIVATION_NAMES, CONSTRAINTS, INITIALIZERS, REGULARIZERS, Activation
from nnconf.config.layers import FAMILIES, LAYER_CLASSES
from nnconf.config.losses import LOSSES
from nnconf.config.metrics import METRICS
from nnconf.config.model import Config, FunctionalModel, LintSettings, SequentialModel, Task
from nnconf.config.optimizers import OPTIMIZERS, SCHEDULES
from nnconf.lsp.cursor import ITEM

LAYER_TYPES = tuple(name for names in FAMILIES.values() for name in names)
TASKS = typing.get_args(Task)
DATA_SOURCES = data_sources()


def _by_name(*specs: type[NamedSpec]) -> dict[str, type[NamedSpec]]:
    return {name: spec for spec in specs for name in spec.names()}


# The named things a config chooses (``relu``, ``adam``), by what the key or section is about.
SPECS: dict[str, dict[str, type[NamedSpec]]] = {
    "activation": {name: Activation for name in ACTIVATION_NAMES},
    "initializer": _by_name(*INITIALIZERS),
    "regularizer": _by_name(*REGULARIZERS),
    "constraint": _by_name(*CONSTRAINTS),
    "loss": _by_name(*LOSSES),
    "optimizer": _by_name(*OPTIMIZERS),
    "schedule": _by_name(*SCHEDULES),
    "metric": _by_name(*METRICS),
}


def spec_kind(path: list[str], key: str | None) -> str | None:
    """Which kind of named thing the value of ``key`` in the mapping at ``path`` is (None: none).

    ``key`` is None for the mapping's own ``name`` (``loss: {name: |}``).
    """
    where = [*path, key] if key is not None else path
    last = where[-1] if where else ""
    if last.endswith("activation"):
        return "activation"
    for suffix in ("initializer", "regularizer", "constraint"):
        if last.endswith(suffix):
            return suffix
    top = where[0] if where else ""
    if top == "loss" and len(where) <= 2:
        return "loss"
    if top == "optimizer":
        return "schedule" if where[1:] == ["learning_rate"] else "optimizer" if len(where) == 1 else None
    if top == "metrics" and len(where) <= 3:
        return "metric"
    return None


def is_layer(path: list[str]) -> bool:
    """Whether the mapping at ``path`` is a layer (in ``model.layers``, or wrapped in one)."""
    return len(path) >= 3 and path[0] == "model" and "layers" in path and (path[-1] == ITEM or path[-1] == "layer")


def mapping_class(path: list[str], siblings: dict[str, str]) -> type[BaseModel] | None:
    """The schema class of the mapping at ``path``, whose keys (so far) are ``siblings``."""
    if not path:
        return Config
    if path == ["model"]:
        return FunctionalModel if "inputs" in siblings or "outputs" in siblings else SequentialModel
    if is_layer(path):
        return LAYER_CLASSES[siblings["type"]] if siblings.get("type") in LAYER_CLASSES else None
    if path == ["data"]:
        return DATA_SOURCES.get(siblings.get("source", ""))
    if path == ["lint"]:
        return LintSettings
    named = siblings.get("name", "")
    kind = spec_kind(path[:-1], path[-1]) if path[-1] != ITEM else spec_kind(path[:-1], None)
    if kind is not None:
        return SPECS[kind].get(named)
    if path[0] == "training":
        return _nested(Config, path)
    return None


def _nested(model: type[BaseModel], path: list[str]) -> type[BaseModel] | None:
    """The model class reached from ``model`` through plain nested sections (``training.early_stopping``)."""
    current: type[BaseModel] | None = model
    for key in path:
        if current is None or key not in current.model_fields:
            return None
        current = _model_in(current.model_fields[key].annotation)
    return current


def _model_in(annotation) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, StrictModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def choices(model: type[BaseModel] | None, key: str) -> tuple[str, ...]:
    """The values a field takes by name: its Literal choices, or true and false."""
    if model is None or key not in model.model_fields:
        return ()
    return _literals(model.model_fields[key].annotation)


def _literals(annotation) -> tuple[str, ...]:
    if annotation is bool:
        return ("true", "false")
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(value) for value in typing.get_args(annotation))
    found: list[str] = []
    for argument in typing.get_args(annotation):
        found += [value for value in _literals(argument) if value not in found]
    return tuple(found)


def field_detail(model: type[BaseModel], key: str) -> str:
    """``default: glorot_uniform`` or ``required``."""
    default = model.model_fields[key].default
    if default is PydanticUndefined:
        return "required"
    if isinstance(default, bool):
        return f"default: {str(default).lower()}"
    if isinstance(default, BaseModel):
        return "a section"
    return f"default: {'null' if default is None else default}"


@cache
def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Each argument's sentence from the ``Args:`` sections of the class and its bases."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        text = inspect.getdoc(cls) if cls.__doc__ and "Args:" in cls.__doc__ else ""
        docs.update(_arguments(text))
    return docs


def _arguments(docstring: str) -> dict[str, str]:
    found: dict[str, str] = {}
    inside, current = False, None
    for line in docstring.splitlines():
        if line.strip() == "Args:":
            inside = True
            continue
        if not inside:
            continue
        match = re.match(r"^    ([\w, ]+): (.*)$", line)
        if match:
            current = [name.strip() for name in match[1].split(",")]
            for name in current:
                found[name] = match[2].strip()
        elif line.startswith("        ") and current:
            for name in current:
                found[name] += " " + line.strip()
        elif line.strip():
            inside = False
    return found


def layer_documentation(layer_type: str) -> str:
    """A layer type's documentation: what it does and its arguments, from its schema class."""
    return inspect.getdoc(LAYER_CLASSES[layer_type]) or layer_type
