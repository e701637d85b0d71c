"""The checking pipeline: from a config (file, text or Config) to a Report of every finding.

It sits below the Keras side, so that building and training (nnconf.engine) check configs the way
the CLI and the Python API do without importing either. No TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nnconf.analysis.shapes import Inference, infer
from nnconf.config.loader import load_text
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


def check(path: str | Path, overrides: Sequence[str] = ()) -> Report:
    """Load, validate and shape-check one config file; every problem comes back as a finding."""
    return analyse(check_file(path, overrides), str(path))


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


def linted(config: Config | str | Path, overrides: Sequence[str] = ()) -> Report:
    """The lint report of a config (a Config, or a YAML file); raises ConfigError if it has errors."""
    report = lint_report(check_config(config) if isinstance(config, Config) else check(config, overrides))
    config_or_raise(report)
    return report
