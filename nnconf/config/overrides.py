"""``--set key.path=value`` overrides, applied to the loaded data before validation."""

import re
from collections.abc import Collection, Mapping
from typing import Any

from nnconf import codes
from nnconf.config.loader import load_text
from nnconf.config.source import Path, SourceMap, format_path
from nnconf.findings import Finding

_EXPRESSION = re.compile(r"^\s*(?P<path>[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*|\[\d+\])*)\s*=(?P<value>.*)$", re.S)
_PART = re.compile(r"\.?([A-Za-z_][\w\-]*)|\[(\d+)\]")

SYNTAX_HINT = "write --set key.path=value, e.g. --set optimizer.learning_rate=3e-4 or --set model.layers[1].units=256"


class OverrideError(Exception):
    def __init__(self, expression: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.finding = Finding(codes.OVERRIDE, message, hint=hint, file=f"--set {expression}")


def parse_override(expression: str) -> tuple[Path, Any]:
    """``model.layers[1].units=256`` -> ``(('model', 'layers', 1, 'units'), 256)``; values are YAML."""
    match = _EXPRESSION.match(expression)
    if not match:
        raise OverrideError(expression, f"cannot read the override {expression!r}", SYNTAX_HINT)
    path = tuple(int(index) if index else key for key, index in _PART.findall(match["path"]))
    loaded = load_text(match["value"], f"--set {expression}", require_mapping=False)
    if loaded.findings:
        raise OverrideError(expression, f"the value is not valid YAML: {loaded.findings[0].message}")
    return path, loaded.data


def apply_override(data: dict, source: SourceMap, expression: str, defaults: Mapping[str, str] = {},
                   spec_names: Collection[str] = ()) -> None:
    """Sets the value at the override's path. ``defaults`` names the top-level sections whose default
    is a name (``optimizer: adam``): an override into a missing one starts from that name.
    ``spec_names`` are the names a shorthand may hold (``adam``, ``relu``...): an override into one
    grows it into ``{name: adam, ...}``; any other string (``task: multiclass``) has no keys."""
    path, value = parse_override(expression)
    if path[0] in defaults and data.get(path[0]) is None and len(path) > 1:
        data[path[0]] = defaults[path[0]]
    container: Any = data
    for depth, part in enumerate(path[:-1]):
        container = _step(container, part, path[: depth + 1], expression, source=source, spec_names=spec_names)
    _step(container, path[-1], path, expression)
    container[path[-1]] = value
    source.overrides[path] = expression


def _step(container: Any, part: str | int, path: Path, expression: str, *, source: SourceMap | None = None,
          spec_names: Collection[str] = ()) -> Any:
    """One step down ``path``; with ``source``, a missing or shorthand section on the way is made
    into a mapping, and problems inside what the override made are blamed on the override."""
    where = format_path(path[:-1]) or "the config"
    if isinstance(part, int):
        if not isinstance(container, list):
            raise OverrideError(expression, f"{where} is not a list, so [{part}] points nowhere")
        if part >= len(container):
            raise OverrideError(expression, f"{where} has {len(container)} items, so [{part}] points nowhere",
                                hint=f"indices start at 0; the last is [{len(container) - 1}]" if container else None)
    elif not isinstance(container, dict):
        raise OverrideError(expression, f"{where} is not a mapping, so .{part} points nowhere")
    elif source is not None and container.get(part) is None:
        container[part] = {}
        source.overrides[path] = expression
    current = container[part] if isinstance(part, int) else container.get(part)
    if source is not None and isinstance(current, str) and current in spec_names:
        container[part] = current = {"name": current}  # the shorthand (optimizer: adam) grows into a mapping
        source.overrides[path] = expression
        if path in source.values:  # ...whose name still comes from the file
            source.values[path + ("name",)] = source.values[path]
    return current
