"""nnconf: Keras model configurations as reviewable, validated YAML files, or Python values.

Reading, validating, linting and summarising configs never imports TensorFlow; building and
training do. ``import nnconf`` itself is cheap: the API and its modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    **{name: "nnconf.api" for name in (
        "Functional", "Report", "Sequential", "build", "check", "check_config", "check_text", "evaluate", "explain",
        "from_keras", "json_schema", "lint", "lint_text", "load", "load_run", "loads", "predict", "predict_files",
        "resume", "rules", "summary", "sweep", "to_yaml", "train")},
    "Config": "nnconf.config.model", "FunctionalModel": "nnconf.config.model",
    "SequentialModel": "nnconf.config.model", "Summary": "nnconf.analysis.summary",
    "ConfigError": "nnconf.findings", "Finding": "nnconf.findings", "Severity": "nnconf.findings",
    "Run": "nnconf.engine.train", "TrainingError": "nnconf.engine.train", "DataError": "nnconf.engine.data",
    "UnsupportedModel": "nnconf.engine.importer",
    "Block": "nnconf.config.blocks", "BlockUse": "nnconf.config.blocks", "SharedCall": "nnconf.config.blocks",
}
# Modules of classes named as Keras's: nnconf.layers.Dense, nnconf.losses.SparseCategoricalCrossentropy, ...
_MODULES = ("constraints", "initializers", "layers", "losses", "metrics", "optimizers", "regularizers")

__all__ = sorted([*_API, *_MODULES])

if TYPE_CHECKING:
    from nnconf import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from nnconf.analysis.summary import Summary
    from nnconf.api import (
        Functional, Report, Sequential, build, check, check_config, check_text, evaluate, explain, from_keras,
        json_schema, lint, lint_text, load, load_run, loads, predict, predict_files, resume, rules, summary, sweep,
        to_yaml, train,
    )
    from nnconf.config.blocks import Block, BlockUse, SharedCall
    from nnconf.config.model import Config, FunctionalModel, SequentialModel
    from nnconf.engine.data import DataError
    from nnconf.engine.importer import UnsupportedModel
    from nnconf.engine.train import Run, TrainingError
    from nnconf.findings import ConfigError, Finding, Severity


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"nnconf.{name}")
    raise AttributeError(f"module 'nnconf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
