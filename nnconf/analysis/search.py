"""Checks of a config's ``search:`` section against the rest of the config, before any trial starts.

Each searched value is tried at its extremes (both ends of a range, every choice): set where its
path points, the way ``--set`` sets a value, and the config validated and shape-checked as a
whole. Whatever that finds (a path that names nothing, a value of the wrong type, a value the
schema or the shapes refuse) becomes a finding at the value's key under ``search.space``.

A choice of more than MAX_PROBED_CHOICES values is tried at its first ones only (each try checks a
whole config); the sweep still checks every trial's config before it trains.
"""

from __future__ import annotations

import json
import math
from typing import Any

from nnconf.analysis.shapes import infer
from nnconf.config.loader import LoadedYaml
from nnconf.config.model import Config
from nnconf.config.overrides import OverrideError, parse_override
from nnconf.config.search import MAX_GRID, Dimension, Search
from nnconf.config.source import SourceMap, abbreviate, format_path
from nnconf.config.validation import check_loaded
from nnconf import codes
from nnconf.findings import Finding

MAX_PROBED_CHOICES = 256


def check_search(config: Config, source: SourceMap, known: list[Finding]) -> list[Finding]:
    """Findings about ``config.search``, located in ``source``; ``known`` are the config's own
    findings, which a searched value does not repeat."""
    search = config.search
    if search is None:
        return []
    base = config.model_dump(mode="json", exclude={"search"})
    known_messages = {finding.message for finding in known}
    findings = _metric_findings(config, search, source)
    for key, dimension in search.space.items():
        findings += _dimension_findings(base, key, dimension, source, known_messages)
        if search.sampler == "grid" and dimension.grid_size() is None:
            findings.append(_at_key(source, key, codes.SCHEMA,
                                    f"{key}: a grid search needs a finite list of values, and a {dimension.kind} "
                                    "range has none",
                                    "use choice, int, or uniform with a step; or sampler: tpe or random"))
    sizes = [dimension.grid_size() for dimension in search.space.values()]
    if search.sampler == "grid" and None not in sizes and math.prod(sizes) > MAX_GRID:
        findings.append(_at(source, ("search", "sampler"), codes.SCHEMA,
                            f"the grid has {math.prod(sizes):,} combinations; a grid search may have at most "
                            f"{MAX_GRID:,}", "search fewer values, or use sampler: tpe or random"))
    return findings


def assignment(key: str, value: Any) -> str:
    """The ``--set`` expression that gives ``key`` the value ``value`` (JSON is YAML)."""
    return f"{key}={json.dumps(value)}"


def _dimension_findings(base: dict, key: str, dimension: Dimension, source: SourceMap,
                        known_messages: set[str]) -> list[Finding]:
    try:
        if "=" in key or key != key.strip():
            raise OverrideError(key, "not a path")
        parse_override(assignment(key, 0))
    except OverrideError:
        return [_at_key(source, key, codes.OVERRIDE, f"{abbreviate(key)!r} is not a config path",
                        "write it as --set takes it, e.g. optimizer.learning_rate or model.layers[1].units")]
    if _wants_whole_numbers(base, key, dimension, known_messages):
        return [_at_key(source, key, codes.SCHEMA, f"{key}: a {dimension.kind} range gives fractional numbers, and "
                        "this value is a whole number", "search it with int or log_int")]
    problems: dict[tuple[str, str], tuple[list[str], Finding]] = {}
    extremes = dimension.extremes()[:MAX_PROBED_CHOICES]
    for value, described in zip(extremes, _descriptions(dimension, extremes)):
        for finding in _problems_at(base, key, value, known_messages):
            problems.setdefault((finding.rule, finding.message), ([], finding))[0].append(described)
    findings = []
    for (rule, message), (where, finding) in problems.items():
        # A problem at every extreme is the path's own; one at some of them belongs to those values.
        text = f"{key}: {message}" if len(where) == len(extremes) else f"{key}, {where[0]}: {message}"
        findings.append(_at_key(source, key, rule, text, finding.hint))
    return findings


def _wants_whole_numbers(base: dict, key: str, dimension: Dimension, known_messages: set[str]) -> bool:
    """Whether a fractional range searches a value that the schema takes as a whole number only."""
    if dimension.kind not in ("uniform", "log_uniform"):
        return False
    low = dimension.extremes()[0]
    return (low.is_integer() and bool(_problems_at(base, key, low, known_messages))
            and not _problems_at(base, key, int(low), known_messages))


def _problems_at(base: dict, key: str, value: Any, known_messages: set[str]) -> list[Finding]:
    """What is wrong with the config whose ``key`` holds ``value``."""
    data = json.loads(json.dumps(base))  # a deep copy, of plain data
    checked = check_loaded(LoadedYaml(data, SourceMap()), [assignment(key, value)])
    if checked.config is None:
        return checked.findings
    return [finding for finding in infer(checked.config).findings if finding.message not in known_messages]


def _descriptions(dimension: Dimension, extremes: list) -> list[str]:
    if dimension.kind == "choice":
        return [f"the choice {abbreviate(json.dumps(value))}" for value in extremes]
    low, high = extremes
    return [f"the low end of its range ({low})", f"the high end of its range ({high})"]


def _metric_findings(config: Config, search: Search, source: SourceMap) -> list[Finding]:
    data = config.data
    if search.metric.startswith("val_") and data is not None and data.validation_split == 0:
        return [_at(source, ("search", "metric"), codes.SCHEMA,
                    f"the objective {search.metric} is measured on the validation split, and "
                    "data.validation_split is 0", "set data.validation_split, or search a training metric")]
    return []


def _at_key(source: SourceMap, key: str, rule: str, message: str, hint: str | None) -> Finding:
    return _at(source, ("search", "space", key), rule, message, hint, key=True)


def _at(source: SourceMap, path: tuple, rule: str, message: str, hint: str | None, *, key: bool = False) -> Finding:
    file, line, column = source.locate(path, key=key)
    return Finding(rule, message, path=format_path(path), hint=hint, file=file, line=line, column=column)
