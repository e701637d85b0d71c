"""The Python API: everything the ``nnconf`` command does, from Python.

Each function that takes a config takes a ``Config``, a mapping (as a YAML file would load), YAML
text or a file's path, and means what the command means with the same input. Problems raise
``ConfigError`` with the command's findings; warnings go to the ``nnconf`` logger. Reading,
checking and summarising never import TensorFlow; building and training do, when called.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Union

from nnconf.analysis.pipeline import ConfigSource, Report, check, check_config, check_text, config_or_raise, \
    lint_report, linted
from nnconf.analysis.summary import Summary, summarize
from nnconf.config.model import Config, FunctionalModel, SequentialModel
from nnconf.findings import Finding, Severity

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnconf.analysis.lint import Rule
    from nnconf.engine.predict import Predictions
    from nnconf.engine.sweep import Sweep
    from nnconf.engine.train import Run

__all__ = ["Config", "ConfigSource", "Functional", "Report", "Sequential", "Summary", "build", "check",
           "check_config", "check_text", "evaluate", "explain", "from_keras", "json_schema", "lint", "lint_report",
           "lint_text", "linted", "load", "load_run", "loads", "predict", "predict_files", "resume", "rules", "summary",
           "sweep", "to_yaml", "train"]

# A sequential model (``input_shape``, ``layers``) and a functional one (``inputs``, ``layers``, ``outputs``).
Sequential = SequentialModel
Functional = FunctionalModel

LOGGER = logging.getLogger("nnconf")
Verbose = Union[Literal["auto"], int]
_LEVELS = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.INFO: logging.INFO}


# --- checking: validate, lint, summary, config --------------------------------------------------


def lint(source: ConfigSource, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
         ignore: Sequence[str] = ()) -> Report:
    """Everything wrong with one config, as ``nnconf lint``: YAML, schema and shape problems and every
    lint rule's findings. ``check`` (``nnconf validate``) leaves the lint rules out.

    Args:
        source: a Config, a mapping, YAML text or a file's path.
        overrides: ``--set`` expressions, e.g. ``["model.layers[1].units=256"]``.
        select: only these rules (codes or prefixes, e.g. ``["NN1", "NN201"]``); opt-in rules too.
        ignore: skip these rules (codes or prefixes).
    """
    return lint_report(check(source, overrides), select=select, ignore=ignore)


def lint_text(text: str, overrides: Sequence[str] = (), *, select: Sequence[str] = (),
              ignore: Sequence[str] = (), name: str | None = None) -> Report:
    """``lint`` of YAML text; ``name`` stands for the file in findings."""
    return lint_report(check_text(text, overrides, name), select=select, ignore=ignore)


def load(source: ConfigSource, overrides: Sequence[str] = ()) -> Config:
    """The checked Config of a config (a mapping, YAML text, a file's path or a Config): its schema and
    shapes check out, or ConfigError lists every problem."""
    return config_or_raise(check(source, overrides))


def loads(text: str, overrides: Sequence[str] = ()) -> Config:
    """The checked Config of YAML text; raises ConfigError listing every problem."""
    return config_or_raise(check_text(text, overrides))


def summary(source: ConfigSource, overrides: Sequence[str] = ()) -> Summary:
    """Each layer's output shape and parameter count, with totals, as ``nnconf summary``; without TensorFlow.

    ``str()`` of it is the command's table, its ``rows`` and totals are data, and Jupyter shows it as a
    table. Raises ConfigError if the config has errors.
    """
    report = _checked(check(source, overrides))
    return summarize(report.config, report.inference)


def to_yaml(source: ConfigSource, overrides: Sequence[str] = (), *, full: bool = False) -> str:
    """The config resolved as YAML, every name in its canonical spelling: the values that differ from the
    defaults, or with ``full`` every value; what ``nnconf config`` (``--full``) prints. Raises ConfigError
    if the config has errors."""
    return _checked(check(source, overrides)).config.to_yaml(compact=not full)


def rules() -> list[type[Rule]]:
    """The lint rules in code order, as ``nnconf rules`` lists them: each has ``code``, ``name``,
    ``severity``, ``summary()``, ``documentation()`` and a ``failing`` and a ``fixed`` example."""
    from nnconf.analysis.lint import REGISTRY

    return [REGISTRY[code] for code in sorted(REGISTRY)]


def explain(code: str) -> str:
    """One rule's documentation with a failing and a fixed example, as ``nnconf explain CODE`` prints it."""
    from nnconf.analysis.lint import REGISTRY
    from nnconf.codes import DESCRIPTIONS
    from nnconf.config.suggest import did_you_mean

    code = code.upper()
    if code in DESCRIPTIONS:
        name, description = DESCRIPTIONS[code]
        return f"{code} {name}\n\n{description}\n"
    if code not in REGISTRY:
        raise KeyError(f"no rule {code}; {did_you_mean(code, list(REGISTRY)) or 'see nnconf.rules()'}")
    rule = REGISTRY[code]
    return (f"{code} {rule.name} ({rule.severity.value})\n\n{rule.documentation()}\n\n"
            f"## Example\n\nReported:\n{_indented(rule.failing)}\nFixed:\n{_indented(rule.fixed)}")


def _indented(example: str) -> str:
    return "".join(f"    {line}\n" for line in example.strip().splitlines())


def json_schema() -> dict:
    """The JSON Schema of configs, generated from the Pydantic models (``nnconf schema``)."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nnconf model configuration"
    return schema


def _checked(report: Report) -> Report:
    """``report`` if it has no errors (its warnings logged), as the command prints them; else ConfigError."""
    config_or_raise(report)
    for finding in report.findings:
        _log_finding(finding)
    return report


def _log_finding(finding: Finding) -> None:
    LOGGER.log(_LEVELS[finding.severity], finding.format())


# --- the Keras side: build, train, evaluate, predict, import --------------------------------------


def build(source: ConfigSource, overrides: Sequence[str] = ()) -> keras.Model:
    """A compiled Keras model for a config, as ``nnconf build`` makes it.

    The config is linted first: errors raise ConfigError, as they stop ``nnconf build``, and
    warnings go to the ``nnconf`` logger.
    """
    from nnconf.engine.build import build_model

    report = _checked(linted(source, overrides))
    return build_model(report.config, report.inference, source=report.source)


def train(source: ConfigSource, overrides: Sequence[str] = (), *, run_dir: str | Path | None = None,
          verbose: Verbose = "auto", data: Any = None) -> Run:
    """Trains a config into a new run directory, as ``nnconf train``, and returns the Run: its
    ``directory``, ``model``, per-epoch ``history``, final ``metrics`` and every finding of the run.

    Args:
        source: a Config, a mapping, YAML text or a file's path; its ``data`` section names the samples.
        overrides: ``--set`` expressions.
        run_dir: where to keep the run; by default ``runs/<name>/<time>/``.
        verbose: Keras's progress: 0 none, 1 a progress bar, 2 a line per epoch; ``"auto"`` is a bar
            in a terminal or notebook and a line per epoch elsewhere. What nnconf says (lint
            findings, the device, the data, the run directory) goes to the ``nnconf`` logger: warnings
            always, the rest at INFO. Where logging is not set up, a non-zero ``verbose`` prints it all.
        data: samples from Python instead of the config's data source: ``(x, y)`` NumPy arrays (or
            mappings of them by model input and output name), a pandas DataFrame (its columns named
            by ``data.label`` and ``data.features`` or ``data.inputs``), or a ``tf.data.Dataset`` of
            ``(x, y)`` samples. They are split, checked and linted as a config's data is.
    """
    from nnconf.engine.train import train as train_config

    with _said(verbose) as say:
        return train_config(source, tuple(overrides), run_dir=run_dir, say=say, progress=_progress(verbose),
                            data=data)


def resume(run_dir: str | Path, *, verbose: Verbose = "auto", data: Any = None) -> Run:
    """Continues a stopped run in its own directory, from its last completed epoch (``nnconf train --resume``).
    A run trained on ``data`` from Python is given the same data again (the run checks its fingerprint)."""
    from nnconf.engine.train import resume as resume_run

    with _said(verbose) as say:
        return resume_run(run_dir, say=say, progress=_progress(verbose), data=data)


def load_run(run_dir: str | Path) -> Run:
    """A finished run: its config, trained model, history and metrics."""
    from nnconf.engine.train import load_run as load_finished

    return load_finished(run_dir)


def evaluate(run_dir: str | Path, overrides: Sequence[str] = (), *, verbose: Verbose = "auto") -> dict[str, Any]:
    """A run's trained model on the test split of its data, or on other data named by overrides
    (``["data.path=new.npz"]``), as ``nnconf evaluate``: the metrics by name."""
    from nnconf.engine.train import evaluate as evaluate_run

    with _said(verbose) as say:
        return evaluate_run(run_dir, tuple(overrides), say=say)


def predict(run_dir: str | Path, inputs: str | Path | np.ndarray | Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A run's predictions for new inputs, prepared as its training data was (``nnconf predict``).

    Args:
        inputs: an ``.npz`` file's path, an array of samples, or arrays by model input name.

    Returns the predictions by output name (``y`` for a one-output model).
    """
    from nnconf.engine.train import predict as predict_run

    if isinstance(inputs, (str, Path)):
        return predict_run(run_dir, Path(inputs))
    import numpy as np

    arrays = dict(inputs) if isinstance(inputs, Mapping) else {"x": inputs}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inputs.npz"
        np.savez(path, **arrays)
        return predict_run(run_dir, path)


def predict_files(target: str | Path, inputs: str | Path | Sequence[str | Path], *,
                  kind: str = "probabilities") -> Predictions:
    """Predictions for files, as ``nnconf predict``: image or text files or folders of them, a CSV
    table or an ``.npz`` file, read and prepared as the run's training data was.

    Args:
        target: a run directory, or a model saved by ``nnconf build -o``.
        inputs: one path or several.
        kind: ``probabilities`` (with each input's predicted class), ``classes`` or ``logits``.

    Returns a ``Predictions``: a row per input named by its file (``names``), the values by output,
    and ``to_csv()``/``to_npz()`` giving what ``nnconf predict -o`` writes.
    """
    from nnconf.engine.predict import predict as predict_inputs

    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    return predict_inputs(target, paths, kind=kind)


def sweep(path: str | Path, overrides: Sequence[str] = (), *, storage: str | None = None, study: str | None = None,
          sweep_dir: str | Path | None = None, verbose: Verbose = "auto") -> Sweep:
    """Runs, joins or continues the study of a config's ``search:`` section, as ``nnconf sweep``.

    Args:
        path: the config file (its ``search:`` section says what to search).
        overrides: ``--set`` expressions applied before the search's own values.
        storage: a database URL shared by every process of the study; by default a SQLite file in
            the sweep's folder.
        study: the study's name in the storage; by default the config's name.
        sweep_dir: where the trials' run directories, ``best.yaml`` and the pictures go.
        verbose: where logging is not set up, 0 prints nothing and anything else prints each trial's
            progress; the lines always go to the ``nnconf`` logger.

    Returns the Sweep: its study, directory, trial counts by state, best trial and ``best_config``.
    """
    from nnconf.engine.sweep import sweep as run_sweep

    with _said(verbose) as say:
        return run_sweep(path, tuple(overrides), storage=storage, study_name=study, sweep_dir=sweep_dir, say=say)


def from_keras(model: keras.Model, *, task: str | Mapping[str, str] | None = None,
               loss: Any = None) -> Config:
    """The nnconf config of an existing Keras Sequential or functional model (``nnconf import``).

    A compiled model brings its loss, optimizer and metrics. An uncompiled one does not say what it
    is for, so its ``task`` and ``loss`` must be given (one, or one per output name); without them
    this raises UnsupportedModel naming what is missing. Given, they replace the compiled ones.
    """
    from nnconf.engine.importer import config_from_keras

    return config_from_keras(model, task=task, loss=loss)


# --- what nnconf says while it trains -----------------------------------------------------------------


_FINDING_LINE = re.compile(r"^.*?: (error|warning|info) NN\d{3} ")


@contextlib.contextmanager
def _said(verbose: Verbose) -> Iterator[Callable[[str], None]]:
    """A ``say`` for the engine that logs to the ``nnconf`` logger: findings at their severity's level,
    everything else at INFO. Where no logging is set up, a non-zero ``verbose`` prints it all."""
    handler = None
    if verbose != 0 and not LOGGER.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
    level = LOGGER.level
    if handler is not None and LOGGER.getEffectiveLevel() > logging.INFO:
        LOGGER.setLevel(logging.INFO)
    try:
        yield _say
    finally:
        if handler is not None:
            LOGGER.removeHandler(handler)
            LOGGER.setLevel(level)


def _say(text: str) -> None:
    # The engine says a finding as its formatted line (Finding.format); its severity sets the level.
    severity = _FINDING_LINE.match(text)
    LOGGER.log(_LEVELS[Severity(severity.group(1))] if severity else logging.INFO, text.strip("\n"))


def _progress(verbose: Verbose) -> int:
    if verbose != "auto":
        return int(verbose)
    interactive = sys.stdout.isatty() or "ipykernel" in sys.modules
    return 1 if interactive else 2
