"""nnconf: Keras model configurations as reviewable, validated YAML files.

Reading, validating and summarising configs never imports TensorFlow; building and training do.
"""

from nnconf.api import (
    Report, build, check, check_config, check_text, from_keras, json_schema, lint, lint_text, load, load_run, loads,
    resume, train,
)
from nnconf.config.model import Config, FunctionalModel, SequentialModel
from nnconf.findings import ConfigError, Finding, Severity

__version__ = "0.1.0"

__all__ = [
    "Config", "ConfigError", "Finding", "FunctionalModel", "Report", "SequentialModel", "Severity",
    "build", "check", "check_config", "check_text", "from_keras", "json_schema", "lint", "lint_text", "load",
    "load_run", "loads", "resume", "train",
]
