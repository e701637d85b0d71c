"""Writing a config back out as YAML, every default filled in."""

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, keys in schema order, and lists of numbers kept on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(item, (int, float, type(None))) and not isinstance(item, bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_data(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def to_yaml(config) -> str:
    return dump_data(config.model_dump(mode="json"))
