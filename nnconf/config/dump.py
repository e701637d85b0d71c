"""Writing a config back out as YAML: compact (only what differs from the defaults) or in full."""

from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel

from nnconf.config.base import NamedSpec, python_values


class _Dumper(yaml.SafeDumper):
    """Block style, keys in schema order, and lists of numbers kept on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = _number_list(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


class _CompactDumper(_Dumper):
    """As ``_Dumper``, with a short mapping of plain values on one line: ``- {type: Dense, units: 10}``."""


_FLOW_WIDTH = 116  # characters of a mapping written on one line (a line of 120 with its indent), else a block


def _represent_flat_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flat = all(not isinstance(item, (dict, list)) or isinstance(item, list) and _scalars(item)
               for item in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flat and _short(data))


def _represent_flat_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = _number_list(data) or _scalars(data) and _short(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _number_list(data: list) -> bool:
    return all(isinstance(item, (int, float, type(None))) and not isinstance(item, bool) for item in data)


def _scalars(data: list) -> bool:
    return all(not isinstance(item, (dict, list)) for item in data)


def _short(data: dict | list) -> bool:
    return bool(data) and len(yaml.dump(data, Dumper=_Dumper, default_flow_style=True, width=1 << 16)) <= _FLOW_WIDTH


_CompactDumper.add_representer(dict, _represent_flat_dict)
_CompactDumper.add_representer(list, _represent_flat_list)


def dump_data(data: dict, *, compact: bool = False) -> str:
    if compact:  # a long line is one that _short let through: a list of numbers, which stays on its line
        return yaml.dump(data, Dumper=_CompactDumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=1 << 16)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def to_yaml(config: BaseModel, *, compact: bool = False) -> str:
    """The config as YAML: every default filled in, or with ``compact`` only the values that differ
    from the defaults (a name-only spec written as its name: ``relu``, not ``{name: relu}``), short
    layers on one line each."""
    if compact:
        return dump_data(compact_data(config), compact=True)
    return dump_data(config.model_dump(mode="json"))


def compact_data(section: BaseModel) -> dict:
    """A section as plain data holding only what differs from its defaults (required values always)."""
    return _compact_section(section, section.model_dump(mode="json"))


def _compact(value: Any, written: Any) -> Any:
    """``written`` (the JSON dump of ``value``) without the defaults of the sections inside it."""
    if isinstance(value, BaseModel) and isinstance(written, dict):
        return _compact_section(value, written)
    if isinstance(value, (list, tuple)) and isinstance(written, list):
        return [_compact(item, dumped) for item, dumped in zip(value, written)]
    if isinstance(value, dict) and isinstance(written, dict):
        return {key: _compact(value.get(key), dumped) for key, dumped in written.items()}
    return written


def _compact_section(section: BaseModel, written: dict) -> Any:
    kept = {}
    fields = type(section).model_fields
    for name, field in fields.items():
        key = field.serialization_alias or field.alias or name
        if key not in written:  # left out by the section itself (an empty optional structure)
            continue
        value = _compact(getattr(section, name), written[key])
        if field.is_required() or value != _written_default(type(section), name):
            kept[key] = value
    keys = {field.serialization_alias or field.alias or name for name, field in fields.items()}
    kept.update({key: value for key, value in written.items() if key not in keys})  # a section writes these itself
    ordered = {key: kept[key] for key in written if key in kept}
    if isinstance(section, NamedSpec) and list(ordered) == ["name"]:
        return ordered["name"]  # the shorthand every named spec accepts
    shorthand = getattr(section, "SHORTHAND", None)  # a section that may be written as one of its values
    if shorthand is not None and list(ordered) == [shorthand]:
        return ordered[shorthand]
    return ordered


@cache
def _written_default(cls: type[BaseModel], name: str) -> Any:
    """A field's default as ``_compact`` writes a value: sections compacted, tuples as lists."""
    default = cls.model_fields[name].get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return compact_data(default)
    return python_values(default)
