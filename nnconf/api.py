"""The Python API. Reading and checking configs never imports TensorFlow; building does, lazily."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nnconf.analysis.shapes import Inference, infer
from nnconf.config.loader import load_text
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.config.validation import check_file, check_loaded
from nnconf.findings import ConfigError, Finding, has_errors, sort_key

if TYPE_CHECKING:
    import keras

    from nnconf.analysis.data_facts import DataFacts
    from nnconf.engine.train import Run


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
    return _analyse(check_file(path, overrides), str(path))


def check_text(text: str, overrides: Sequence[str] = (), name: str | None = None) -> Report:
    return _analyse(check_loaded(load_text(text, name), overrides), name)


def check_config(config: Config) -> Report:
    """Shape-check a Config built in Python."""
    return _analyse_config(config, SourceMap(), [], None)


def _analyse(checked, file: str | None) -> Report:
    return _analyse_config(checked.config, checked.source, checked.findings, file)


def _analyse_config(config: Config | None, source: SourceMap, findings: list[Finding], file) -> Report:
    inference = None
    if config is not None:
        inference = infer(config, source)
        findings = findings + inference.findings
    return Report(file, config, source, sorted(findings, key=sort_key), inference)


def lint(path: str | Path, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
         ignore: Sequence[str] = ()) -> Report:
    """Everything wrong with one config: YAML, schema and shape problems, and every lint rule's findings."""
    return lint_report(check(path, overrides), select=select, ignore=ignore)


def lint_text(text: str, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
              ignore: Sequence[str] = (), name: str | None = None) -> Report:
    return lint_report(check_text(text, overrides, name), select=select, ignore=ignore)


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


def load(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """The validated Config of a YAML file; raises ConfigError listing every problem."""
    return _config_or_raise(check(path, overrides))


def loads(text: str, overrides: Sequence[str] = ()) -> Config:
    """The validated Config of YAML text; raises ConfigError listing every problem."""
    return _config_or_raise(check_text(text, overrides))


def _config_or_raise(report: Report) -> Config:
    if not report.ok or report.config is None:
        raise ConfigError(report.findings)
    return report.config


def linted(config: Config | str | Path, overrides: Sequence[str] = ()) -> Report:
    """The lint report of a config (a Config, or a YAML file); raises ConfigError if it has errors."""
    report = lint_report(check_config(config) if isinstance(config, Config) else check(config, overrides))
    _config_or_raise(report)
    return report


def build(config: Config | str | Path, overrides: Sequence[str] = ()) -> keras.Model:
    """A compiled Keras model for a config (a Config, or the path of a YAML file).

    The config is linted first: errors raise ConfigError, as they stop ``nnconf build``.
    """
    from nnconf.engine.build import build_model

    report = linted(config, overrides)
    return build_model(report.config, report.inference)


def train(config: Config | str | Path, overrides: Sequence[str] = (), *, run_dir: str | Path | None = None) -> Run:
    """Trains a config into a new run directory (under ``runs/``, or ``run_dir``) and returns the Run:
    its directory, model, per-epoch history and final metrics."""
    from nnconf.engine.train import train as train_config

    return train_config(config, tuple(overrides), run_dir=run_dir)


def resume(run_dir: str | Path) -> Run:
    """Continues an interrupted run in its own directory, from its last completed epoch."""
    from nnconf.engine.train import resume as resume_run

    return resume_run(run_dir)


def load_run(run_dir: str | Path) -> Run:
    """A finished run: its config, trained model, history and metrics."""
    from nnconf.engine.train import load_run as load

    return load(run_dir)


def from_keras(model: keras.Model) -> Config:
    """The nnconf config of an existing Keras model made of supported layers."""
    from nnconf.engine.importer import config_from_keras

    return config_from_keras(model)


def json_schema() -> dict:
    """The JSON Schema of configs, generated from the Pydantic models."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nnconf model configuration"
    return schema
