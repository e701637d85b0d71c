"""``--set key.path=value`` overrides, applied to the loaded data before validation."""

import re
from collections.abc import Collection, Mapping
from typing import Any

from nnconf import codes
from nnconf.config.loader import MAX_DEPTH, MAX_VALUES, load_text
from nnconf.config.source import Path, SourceMap, abbreviate, format_path, override_label
from nnconf.findings import Finding

_EXPRESSION = re.compile(r"^\s*(?P<path>[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*|\[\d+\])*)\s*=(?P<value>.*)$", re.S)
_PART = re.compile(r"\.?([A-Za-z_][\w\-]*)|\[(\d+)\]")

SYNTAX_HINT = "write --set key.path=value, e.g. --set optimizer.learning_rate=3e-4 or --set model.layers[1].units=256"


class OverrideError(Exception):
    def __init__(self, expression: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.finding = Finding(codes.OVERRIDE, message, hint=hint, file=override_label(expression))


def parse_override(expression: str) -> tuple[Path, Any]:
    """``model.layers[1].units=256`` -> ``(('model', 'layers', 1, 'units'), 256)``; values are YAML.

    A path or value nested deeper than a config may be (MAX_DEPTH) is refused here, in time linear in
    its length, before anything walks it."""
    match = _EXPRESSION.match(expression)
    if not match:
        raise OverrideError(expression, f"cannot read the override {abbreviate(expression)!r}", SYNTAX_HINT)
    parts = _PART.findall(match["path"])
    if len(parts) >= MAX_DEPTH:  # its value would sit deeper than MAX_DEPTH levels
        raise OverrideError(expression, f"the path has {len(parts)} levels; values in a config are nested at most "
                            f"{MAX_DEPTH} levels deep", hint="a config path names a few keys, e.g. model.layers[1].units")
    path = tuple(_index(expression, index) if index else key for key, index in parts)
    loaded = load_text(match["value"], override_label(expression), require_mapping=False)
    if loaded.findings:
        found = loaded.findings[0]
        raise OverrideError(expression, f"the value cannot be used: {found.message}", found.hint)
    if len(path) + _depth(loaded.data) > MAX_DEPTH:
        raise OverrideError(expression, f"the value would be nested more than {MAX_DEPTH} levels deep in the config",
                            hint="a model config nests a few levels")
    return path, loaded.data


def _index(expression: str, digits: str) -> int:
    """A list index of the path; one no config list can reach is refused before it is converted."""
    if len(digits.lstrip("0")) > len(str(MAX_VALUES)) or int(digits) >= MAX_VALUES:
        raise OverrideError(expression, f"the index [{abbreviate(digits)}] is beyond any list in a config (a config "
                            f"holds at most {MAX_VALUES} values)")
    return int(digits)


def _depth(value: Any) -> int:
    """Levels of a loaded value (1 for a scalar); the loader has bounded it by MAX_DEPTH."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 1


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
