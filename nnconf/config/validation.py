"""From YAML text to a validated Config, with every problem turned into a located finding."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from nnconf import codes
from nnconf.config.base import PATTERN_MEANINGS, python_values
from nnconf.config.functions import ACTIVATION_NAMES, CONSTRAINTS, INITIALIZERS, REGULARIZERS
from nnconf.config.layers import LAYER_CLASSES
from nnconf.config.losses import LOSSES
from nnconf.config.metrics import METRICS
from nnconf.config.optimizers import OPTIMIZERS, SCHEDULES
from nnconf.config.loader import LoadedYaml, load_file
from nnconf.config.model import Config
from nnconf.config.overrides import OverrideError, apply_override, parse_override
from nnconf.config.schema_messages import either, own_message, requirement, unknown_check
from nnconf.config.source import Path, SourceMap, format_path
from nnconf.config.suggest import did_you_mean, listing
from nnconf.findings import ConfigError, Finding

def _names(*specs) -> tuple[str, ...]:
    return tuple(name for spec in specs for name in spec.names())


_SPECS = {"optimizer": OPTIMIZERS, "loss": LOSSES, "initializer": INITIALIZERS, "regularizer": REGULARIZERS,
          "constraint": CONSTRAINTS, "metric": METRICS, "learning-rate schedule": SCHEDULES}
# What a name may be, by the kind of thing it names (for hints where pydantic gives no list).
_NAMES = {kind: _names(*specs) for kind, specs in _SPECS.items()}
# Keras's other spellings of those names (Adam, SparseCategoricalCrossentropy), for "did you mean".
_SPELLED = {kind: tuple(spelling for spec in specs for spelling in spec.keras_spellings())
            for kind, specs in _SPECS.items()}
# Every name a shorthand may hold, for overrides into one (--set optimizer.learning_rate=0.01).
_SPEC_NAMES = frozenset(ACTIVATION_NAMES).union(*_NAMES.values())

# Sections whose default is a name (optimizer: adam), for overrides into a section left out.
_NAMED_DEFAULTS = {key: field.default for key, field in Config.model_fields.items() if isinstance(field.default, str)}

# Tags of nnconf's own structural unions; they appear in pydantic's error locations, not in the data.
_STRUCTURAL_TAGS = {"sequential", "functional", "single", "per_output"}


@dataclass
class Checked:
    """The outcome of reading one config: the Config if it is valid, and every finding."""

    config: Config | None
    source: SourceMap
    findings: list[Finding] = field(default_factory=list)


def check_file(path: str | FsPath, overrides: Sequence[str] = ()) -> Checked:
    return check_loaded(load_file(path), overrides)


def check_loaded(loaded: LoadedYaml, overrides: Sequence[str] = ()) -> Checked:
    findings = list(loaded.findings)
    data = loaded.data
    for expression in overrides:
        try:
            if data is not None:
                apply_override(data, loaded.source, expression, _NAMED_DEFAULTS, _SPEC_NAMES)
        except OverrideError as exc:
            findings.append(exc.finding)
    if data is None:
        return Checked(None, loaded.source, findings)
    config, schema_findings = validate_data(data, loaded.source)
    # A value the loader refused (a tag, say) is None now; its schema complaint would say it twice.
    refused = {(f.line, f.column) for f in loaded.findings}
    findings += [f for f in schema_findings if (f.line, f.column) not in refused]
    return Checked(None if findings else config, loaded.source, findings)


def validate_data(data: Any, source: SourceMap) -> tuple[Config | None, list[Finding]]:
    context: dict = {}
    try:
        return Config.model_validate(data, context=context), []
    except ValidationError as exc:
        return None, errors_to_findings(exc.errors(), data, source, context.get("sections", {}))


# --- pydantic errors -> findings ---------------------------------------------------------------


@dataclass
class _Located:
    error: dict
    path: Path  # into the data
    branch: Path | None  # where a plain union tried several types, if it did
    parent: Any  # the data holding the value at fault


def errors_to_findings(errors: Iterable[dict], data: Any, source: SourceMap,
                       sections: dict[int, type[BaseModel]]) -> list[Finding]:
    located = [_locate(error, data) for error in errors]
    findings = []
    for item in _best_of_each_union(located):
        findings.append(_finding(item, source, sections))
    unique = {(f.path, f.message): f for f in findings}
    return list(unique.values())


def _locate(error: dict, data: Any) -> _Located:
    node, parent, path, branch = data, None, (), None
    loc = error["loc"]
    for position, element in enumerate(loc):
        is_last = position == len(loc) - 1
        if isinstance(node, dict) and element in node:
            parent, node, path = node, node[element], path + (element,)
        elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            parent, node, path = node, node[element], path + (element,)
        elif is_last and error["type"] == "missing":
            parent, path = node, path + (element,)
        elif not _is_tag(element, node) and branch is None:
            branch = path
    return _Located(error, path, branch, parent)


def _is_tag(element: Any, node: Any) -> bool:
    if element in _STRUCTURAL_TAGS:
        return True
    if isinstance(node, dict):
        return element in (node.get("type"), node.get("name"))
    return isinstance(node, str) and element == node


def _best_of_each_union(located: list[_Located]) -> list[_Located]:
    """Where a value failed every member of a union, keep the member it got furthest into."""
    plain = [item for item in located if item.branch is None]
    by_branch: dict[Path, list[_Located]] = {}
    for item in located:
        if item.branch is not None:
            by_branch.setdefault(item.branch, []).append(item)
    for items in by_branch.values():
        # "not a number" from the float branch says nothing once the value clearly meant a schedule
        meant = [item for item in items if not item.error["type"].endswith("_type")]
        items = meant or items
        deepest = max(len(item.path) for item in items)
        best = [item for item in items if len(item.path) == deepest]
        if len(best) > 1 and len({item.path for item in best}) == 1:
            plain.append(_merge_alternatives(best))
        else:
            plain.extend(best)
    return plain


def _merge_alternatives(items: list[_Located]) -> _Located:
    merged = dict(items[0].error, type="union", alternatives=[item.error for item in items])
    return _Located(merged, items[0].path, None, items[0].parent)


def _finding(item: _Located, source: SourceMap, sections: dict[int, type[BaseModel]]) -> Finding:
    error, path = item.error, item.path
    kind = error["type"]
    message, hint = _describe(kind, error, path, item.parent, sections)
    where = path[:-1] if kind == "missing" else path
    if kind == "union_tag_invalid" and isinstance(error.get("input"), dict):
        where = path + (_discriminator(error),)
    file, line, column = source.locate(where, key=kind == "extra_forbidden")
    return Finding(codes.SCHEMA, message, path=format_path(path), hint=hint, file=file, line=line, column=column)


def _describe(kind: str, error: dict, path: Path, parent: Any, sections: dict) -> tuple[str, str | None]:
    name = _field_name(path)
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(parent, sections)
        hint = did_you_mean(path[-1], allowed) or (f"allowed keys: {listing(allowed, 40)}" if allowed else None)
        return f"unknown key {path[-1]!r}", hint
    if kind == "missing":
        return f"missing required key {path[-1]!r}", None
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _describe_unknown_name(kind, error, path, value)
    if kind == "literal_error":
        expected = _quoted(error.get("ctx", {}).get("expected", ""))
        hint = did_you_mean(value, expected) or f"allowed: {', '.join(map(repr, expected))}"
        return f"{name} {_render(value)} is not one of the allowed values", hint
    if kind == "string_pattern_mismatch":
        return _describe_pattern(name, error, value)
    own = own_message(error)  # a validator of nnconf's said what is wrong
    if own is not None:
        return own, None
    if kind == "union":  # the value fits none of several types; any would do
        alternatives = error["alternatives"]
        should = either([requirement(e["type"], e.get("ctx")) or own_message(e) for e in alternatives])
        kind = " or ".join(dict.fromkeys(e["type"] for e in alternatives))
    else:
        should = requirement(kind, error.get("ctx"))
    if should is None:
        return f"{name} {_render(value)} {unknown_check(kind)}", None
    hint = None
    if kind == "list_type" and isinstance(value, (str, int, float)):
        hint = f"write a list: [{value}]"
    return f"{name} {should}, found {_render(value)}", hint


def _describe_pattern(name: str, error: dict, value: Any) -> tuple[str, str | None]:
    pattern = error.get("ctx", {}).get("pattern", "")
    allowed = PATTERN_MEANINGS.get(pattern, f"text matching {pattern}")
    hint = None
    if isinstance(value, str) and re.fullmatch(pattern, value.lower()):
        hint = f"did you mean {value.lower()!r}?"
    elif isinstance(value, str) and re.fullmatch(pattern, re.sub(r"[^A-Za-z0-9_.\-]+", "-", value)):
        hint = f"did you mean {re.sub(r'[^A-Za-z0-9_.-]+', '-', value)!r}?"
    return f"{name} {_render(value)} is not allowed: it may be {allowed}", hint


def _discriminator(error: dict) -> str:
    """The key that chose among a union's members: ``type``, ``source``, or ``name`` for named specs."""
    key = error.get("ctx", {}).get("discriminator", "'name'").strip("'")
    return "name" if key.endswith("()") else key


def _describe_unknown_name(kind: str, error: dict, path: Path, value: Any) -> tuple[str, str | None]:
    what = _kind_of_named_thing(path)
    if what == "layer type":
        known = list(LAYER_CLASSES)
        tag = value.get("type") if isinstance(value, dict) else None
    else:
        known = _quoted(error.get("ctx", {}).get("expected_tags", "")) or list(_NAMES.get(what, ()))
        tag = error.get("ctx", {}).get("tag")
    if kind == "union_tag_not_found" or tag is None:
        key = "type" if what == "layer type" else _discriminator(error)
        if isinstance(value, dict):
            return f"missing required key {key!r} (the {what})", f"choose one of: {listing(known)}"
        return (f"expected a {what} name or a mapping with {key!r}, found {_render(value)}",
                f"choose one of: {listing(known)}")
    # Keras's CamelCase for CamelCase, the canonical names for the rest
    spellings = _SPELLED.get(what, ())
    first, then = (spellings, known) if isinstance(tag, str) and tag != tag.lower() else (known, spellings)
    suggestion = did_you_mean(tag, first) or did_you_mean(tag, then)
    return f"unknown {what} {tag!r}", suggestion or f"choose one of: {listing(known)}"


def _kind_of_named_thing(path: Path) -> str:
    keys = [part for part in path if isinstance(part, str)]
    last = keys[-1] if keys else ""
    if last in ("layers", "layer"):
        return "layer type"
    for suffix in ("initializer", "regularizer", "constraint"):
        if last.endswith(suffix):
            return suffix
    return {"optimizer": "optimizer", "loss": "loss", "metrics": "metric", "data": "data source",
            "learning_rate": "learning-rate schedule", "activation": "activation"}.get(
        last, "loss" if "loss" in keys else "metric" if "metrics" in keys else "name")


def _allowed_keys(parent: Any, sections: dict[int, type[BaseModel]]) -> list[str]:
    model = sections.get(id(parent))
    if model is None and isinstance(parent, dict) and parent.get("type") in LAYER_CLASSES:
        model = LAYER_CLASSES[parent["type"]]
    return list(model.model_fields) if model else []


def _field_name(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _render(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- configs made and changed in Python ------------------------------------------------------------


def python_findings(error: ValidationError, data: Any, context: dict) -> list[Finding]:
    """The findings of a section made in Python from ``data``, located by config path alone."""
    return errors_to_findings(error.errors(), data, SourceMap(), context.get("sections", {}))


def unknown_key(name: str, allowed: list[str]) -> Finding:
    hint = did_you_mean(name, allowed) or f"allowed keys: {listing(allowed, 40)}"
    return Finding(codes.SCHEMA, f"unknown key {name!r}", path=name, hint=hint)


def replaced(section: BaseModel, changes: Mapping[str, Any]) -> BaseModel:
    """A checked copy of ``section`` with each path of ``changes`` set to its value (``StrictModel.replace``)."""
    data = section.model_dump()
    findings = []
    for text, value in changes.items():
        try:
            _set_value(data, _config_path(text), python_values(value))
        except _PathError as problem:
            findings.append(Finding(codes.OVERRIDE, str(problem), path=str(text), hint=problem.hint))
    if findings:
        raise ConfigError(findings)
    context: dict = {}
    try:
        return type(section).model_validate(data, context=context)
    except ValidationError as error:
        raise ConfigError(python_findings(error, data, context)) from None


class _PathError(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _config_path(text: Any) -> Path:
    try:
        path, _ = parse_override(f"{text}=null") if isinstance(text, str) and "=" not in text else (None, None)
    except OverrideError:
        path = None
    if not path:
        raise _PathError(f"cannot read the config path {text!r}",
                         "write a path such as 'optimizer.learning_rate' or 'model.layers[1].units'")
    return path


def _set_value(data: dict, path: Path, value: Any) -> None:
    """Sets ``value`` at ``path``; a section left out on the way (``data``, a regularizer) is started."""
    container: Any = data
    for depth, part in enumerate(path):
        where = format_path(path[:depth]) or "the config"
        if isinstance(part, int):
            if not isinstance(container, list):
                raise _PathError(f"{where} is not a list, so [{part}] points nowhere")
            if part >= len(container):
                raise _PathError(f"{where} has {len(container)} items, so [{part}] points nowhere",
                                 f"indices start at 0; the last is [{len(container) - 1}]" if container else None)
        elif not isinstance(container, dict):
            raise _PathError(f"{where} is not a mapping, so .{part} points nowhere")
        if depth == len(path) - 1:
            container[part] = value
        elif isinstance(part, str) and container.get(part) is None:
            container[part] = container = {}
        else:
            container = container[part]
