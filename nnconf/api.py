"""The Python API. Reading and checking configs never imports TensorFlow; building does, lazily."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nnconf.analysis.pipeline import Report, check, check_config, check_text, config_or_raise, lint_report, linted
from nnconf.config.model import Config

if TYPE_CHECKING:
    import keras

    from nnconf.engine.train import Run

__all__ = ["Report", "build", "check", "check_config", "check_text", "from_keras", "json_schema", "lint",
           "lint_report", "lint_text", "linted", "load", "load_run", "loads", "resume", "train"]


def lint(path: str | Path, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
         ignore: Sequence[str] = ()) -> Report:
    """Everything wrong with one config: YAML, schema and shape problems, and every lint rule's findings."""
    return lint_report(check(path, overrides), select=select, ignore=ignore)


def lint_text(text: str, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
              ignore: Sequence[str] = (), name: str | None = None) -> Report:
    return lint_report(check_text(text, overrides, name), select=select, ignore=ignore)


def load(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """The validated Config of a YAML file; raises ConfigError listing every problem."""
    return config_or_raise(check(path, overrides))


def loads(text: str, overrides: Sequence[str] = ()) -> Config:
    """The validated Config of YAML text; raises ConfigError listing every problem."""
    return config_or_raise(check_text(text, overrides))


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
