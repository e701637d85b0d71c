"""nnconf: Keras model configurations as reviewable, validated YAML files.

Reading, validating, linting and summarising configs never imports TensorFlow; building and
training do. ``import nnconf`` itself is cheap: the API loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "Report": "nnconf.api", "build": "nnconf.api", "check": "nnconf.api", "check_config": "nnconf.api",
    "check_text": "nnconf.api", "from_keras": "nnconf.api", "json_schema": "nnconf.api", "lint": "nnconf.api",
    "lint_text": "nnconf.api", "load": "nnconf.api", "load_run": "nnconf.api", "loads": "nnconf.api",
    "resume": "nnconf.api", "train": "nnconf.api",
    "Config": "nnconf.config.model", "FunctionalModel": "nnconf.config.model",
    "SequentialModel": "nnconf.config.model",
    "ConfigError": "nnconf.findings", "Finding": "nnconf.findings", "Severity": "nnconf.findings",
}

__all__ = sorted(_API)

if TYPE_CHECKING:
    from nnconf.api import (
        Report, build, check, check_config, check_text, from_keras, json_schema, lint, lint_text, load, load_run,
        loads, resume, train,
    )
    from nnconf.config.model import Config, FunctionalModel, SequentialModel
    from nnconf.findings import ConfigError, Finding, Severity


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'nnconf' has no attribute {name!r}")
