"""The checking pipeline: from a config (file, text, mapping or Config) to a Report of every finding.

It sits below the Keras side, so that building and training (nnconf.engine) check configs the way
the CLI and the Python API do without importing either. No TensorFlow here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel

from nnconf.analysis.memory import oversized_tensors
from nnconf.analysis.shapes import Inference, infer
from nnconf.config.base import python_values
from nnconf.config.loader import LoadedYaml, load_text
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.config.validation import Checked, check_file, check_loaded
from nnconf.findings import ConfigError, Finding, has_errors, sort_key

if TYPE_CHECKING:
    from nnconf.analysis.data_facts import DataFacts


@dataclass
class Report:
    """Everything known about one config without TensorFlow: the config, its shapes, and findings."""

    file: str | None
    config: Config | None
    source: SourceMap
    findings: list[Finding] = field(default_factory=list)
    inference: Inference | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


# A config as the Python API takes it: a Config, a mapping (as YAML would load), YAML text, or a file.
ConfigSource = Union[Config, Mapping[str, Any], str, PathLike]


def check(source: ConfigSource, overrides: Sequence[str] = ()) -> Report:
    """Load, validate and shape-check one config; every problem comes back as a finding.

    Args:
        source: a Config; a mapping, read as the YAML of a config file would be; YAML text (a string
            with a line break, or one starting with ``{``); or the path of a YAML file.
        overrides: ``--set`` expressions, e.g. ``["optimizer.learning_rate=3e-4"]``.
    """
    if isinstance(source, Config):
        return check_data(source.model_dump(), overrides) if overrides else check_config(source)
    if isinstance(source, Mapping):
        return check_data(source, overrides)
    if is_yaml_text(source):
        return check_text(source, overrides)
    if not isinstance(source, (str, PathLike)):
        raise TypeError(f"a config is a Config, a mapping, YAML text or a file's path, not {type(source).__name__}")
    return analyse(check_file(source, overrides), str(source))


def is_yaml_text(source: Any) -> bool:
    """Whether a string is a config's YAML rather than a file's path: one with a line break, or a flow
    mapping (``{task: binary, ...}``) that names no file."""
    if not isinstance(source, str):
        return False
    return "\n" in source or (source.lstrip().startswith("{") and not os.path.exists(source))


def check_data(data: Mapping[str, Any], overrides: Sequence[str] = (), name: str | None = None) -> Report:
    """Like ``check``, for a mapping as a config file's YAML would load (sections made in Python may be
    inside it)."""
    return analyse(check_loaded(LoadedYaml(plain_data(data), SourceMap(file=name)), overrides), name)


def plain_data(value: Any) -> Any:
    """``value`` as YAML would load it: sections made in Python written out, tuples as lists."""
    if isinstance(value, BaseModel):
        return plain_data(value.model_dump())
    if isinstance(value, Mapping):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    return python_values(value)


def check_text(text: str, overrides: Sequence[str] = (), name: str | None = None) -> Report:
    """Like ``check``, for YAML text; ``name`` stands for the file in findings."""
    return analyse(check_loaded(load_text(text, name), overrides), name)


def check_config(config: Config) -> Report:
    """Shape-check a Config built in Python."""
    return analyse(Checked(config, SourceMap()), None)


def analyse(checked: Checked, file: str | None) -> Report:
    """The Report of a validated (or refused) config: its shapes inferred, every finding sorted."""
    findings, inference = list(checked.findings), None
    if checked.config is not None:
        inference = infer(checked.config, checked.source)
        findings += inference.findings
        findings += oversized_tensors(inference, checked.source)
        if checked.config.search is not None:
            from nnconf.analysis.search import check_search

            findings += check_search(checked.config, checked.source, findings)
    return Report(file, checked.config, checked.source, sorted(findings, key=sort_key), inference)


def lint_report(report: Report, *, select: Sequence[str] = (), ignore: Sequence[str] = (),
                data: DataFacts | None = None) -> Report:
    """``report`` with every lint rule's findings added; with ``data``, the data-aware rules judge it too."""
    from nnconf.analysis.lint import apply_ignores, run_rules

    findings = list(report.findings)
    if report.config is not None:
        findings += run_rules(report.config, report.inference, report.source, select=select, ignore=ignore,
                              data=data)
    findings = apply_ignores(findings, report.config, report.source, select=select, ignore=ignore)
    return Report(report.file, report.config, report.source, sorted(findings, key=sort_key), report.inference)


def config_or_raise(report: Report) -> Config:
    """The report's Config; ConfigError with every finding if it has errors."""
    if not report.ok or report.config is None:
        raise ConfigError(report.findings)
    return report.config


def linted(config: ConfigSource, overrides: Sequence[str] = ()) -> Report:
    """The lint report of a config (anything ``check`` takes); raises ConfigError if it has errors."""
    report = lint_report(check(config, overrides))
    config_or_raise(report)
    return report
