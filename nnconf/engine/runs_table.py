"""``nnconf runs``: the run directories under a folder as a table, and two runs side by side.

Only the files each run keeps are read (config.yaml, description.json, state.json, metrics.json
and, for a sweep's trial, trial.json); nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnconf.config.loader import load_file
from nnconf.config.source import format_path
from nnconf.config.suggest import did_you_mean

FIXED_COLUMNS = ("run", "name", "started", "status", "epochs")
MISSING = "-"


class RunsError(Exception):
    """The runs cannot be listed or compared as asked; the message says why."""


@dataclass
class RunInfo:
    """What one run directory says about itself."""

    directory: Path
    name: str | None = None
    started: str | None = None
    status: str = "unknown"
    epochs_done: int | None = None
    epochs: int | None = None
    config: dict[str, Any] = field(default_factory=dict)  # flattened: config path -> value
    metrics: dict[str, float] = field(default_factory=dict)  # final metrics, named by their split
    trial: dict | None = None  # a sweep trial's link to its study

    @property
    def epochs_shown(self) -> str | None:
        if self.epochs_done is None:
            return None
        return f"{self.epochs_done}/{self.epochs}" if self.epochs is not None else str(self.epochs_done)


def is_run(directory: Path) -> bool:
    return (directory / "config.yaml").is_file() and any(
        (directory / name).is_file() for name in ("state.json", "description.json"))


def find_runs(root: Path) -> list[Path]:
    """Every run directory under ``root`` (or ``root`` itself), in name order; a run's own folders
    (checkpoints, tensorboard) are not searched."""
    if not root.is_dir():
        raise RunsError(f"{root}: no such directory")
    if is_run(root):
        return [root]
    found = []
    for folder, subfolders, _ in os.walk(root):
        path = Path(folder)
        if is_run(path):
            found.append(path)
            subfolders.clear()
        else:
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
    return sorted(found)


def read_run(directory: Path) -> RunInfo:
    if not is_run(directory):
        raise RunsError(f"{directory} is not a run directory (it has no config.yaml and state.json)")
    run = RunInfo(directory)
    loaded = load_file(directory / "config.yaml")
    if isinstance(loaded.data, dict):
        run.config = flatten(loaded.data)
        run.name = loaded.data.get("name") if isinstance(loaded.data.get("name"), str) else None
    description = _json(directory / "description.json")
    run.started = description.get("started") if isinstance(description.get("started"), str) else None
    state = _json(directory / "state.json")
    run.status = str(state.get("status", "unknown"))
    run.epochs_done, run.epochs = _int(state.get("epochs_done")), _int(state.get("epochs"))
    metrics = _json(directory / "metrics.json")
    split = metrics.get("split")
    for key, value in metrics.items():
        if split and key not in ("split", "samples") and _number(value):
            run.metrics[f"{split}_{key}"] = float(value)
    trial = _json(directory / "trial.json")
    if trial:
        run.trial = trial
        if trial.get("state") in ("pruned", "failed"):
            run.status = str(trial["state"])
    return run


def flatten(data: Any, path: tuple = ()) -> dict[str, Any]:
    """``{config path: value}``; a list of plain values (a shape, say) is one value."""
    if isinstance(data, dict):
        items = [(path + (key,), value) for key, value in data.items()]
    elif isinstance(data, list) and any(isinstance(item, (dict, list)) for item in data):
        items = [(path + (index,), value) for index, value in enumerate(data)]
    else:
        return {format_path(path): data}
    flat: dict[str, Any] = {}
    for item_path, value in items:
        flat.update(flatten(value, item_path))
    return flat


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- the table -----------------------------------------------------------------------------------


def table(runs: list[RunInfo], root: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and one row per run: the fixed columns, the config values that differ between
    the runs, and the final metrics."""
    differing = differing_paths([run.config for run in runs]) if len(runs) > 1 else []
    differing = [path for path in differing if path != "name"]  # a column of its own
    metric_names = sorted({name for run in runs for name in run.metrics})
    has_trials = any(run.trial for run in runs)
    columns = [*FIXED_COLUMNS, *(["trial", "objective"] if has_trials else []), *differing, *metric_names]
    rows = []
    for run in runs:
        row = {"run": _relative(run.directory, root), "name": run.name, "started": run.started,
               "status": run.status, "epochs": run.epochs_shown}
        if has_trials:
            row["trial"] = f"{run.trial.get('study')}#{run.trial.get('trial')}" if run.trial else None
            row["objective"] = run.trial.get("value") if run.trial else None  # the trial's value of search.metric
        row.update({path: run.config.get(path) for path in differing})
        row.update({name: run.metrics.get(name) for name in metric_names})
        rows.append(row)
    return columns, rows


def differing_paths(configs: list[dict[str, Any]]) -> list[str]:
    """The config paths whose values are not the same in every config (missing counts as different),
    in the order they first appear."""
    paths: dict[str, None] = {}
    for config in configs:
        paths.update(dict.fromkeys(config))
    absent = object()
    return [path for path in paths if len({json.dumps(config.get(path, absent), default=repr, sort_keys=True)
                                           for config in configs}) > 1]


def _relative(directory: Path, root: Path) -> str:
    try:
        relative = directory.relative_to(root)
    except ValueError:
        return str(directory)
    return str(relative) if str(relative) != "." else str(directory)


def sort_rows(rows: list[dict[str, Any]], columns: list[str], sort_by: str) -> list[dict[str, Any]]:
    """Sorted by a column (``-column`` for descending); empty cells last either way."""
    descending = sort_by.startswith("-")
    column = sort_by.removeprefix("-")
    if column not in columns:
        hint = did_you_mean(column, columns)
        raise RunsError(f"no column {column!r} to sort by" + (f"; {hint}" if hint else f"; the columns: {', '.join(columns)}"))
    present = [row for row in rows if row.get(column) is not None]
    absent = [row for row in rows if row.get(column) is None]
    numbers = all(_number(row[column]) for row in present)
    key = (lambda row: row[column]) if numbers else (lambda row: str(row[column]))
    return sorted(present, key=key, reverse=descending) + absent


def render_table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[index]) for line in cells)]) for index, column in enumerate(columns)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(columns, widths)).rstrip()]
    lines += ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# --- comparing two runs ----------------------------------------------------------------------------


def compare(a: RunInfo, b: RunInfo) -> dict:
    """The config values that differ between two runs, and their final metrics with B minus A."""
    config = {path: [a.config.get(path), b.config.get(path)] for path in differing_paths([a.config, b.config])}
    metrics = {}
    for name in sorted(set(a.metrics) | set(b.metrics)):
        first, second = a.metrics.get(name), b.metrics.get(name)
        difference = second - first if first is not None and second is not None else None
        metrics[name] = {"a": first, "b": second, "difference": difference}
    return {"a": str(a.directory), "b": str(b.directory), "config": config, "metrics": metrics}


def render_comparison(comparison: dict) -> str:
    a, b = comparison["a"], comparison["b"]
    lines = []
    if comparison["config"]:
        rows = [{"config": path, a: values[0], b: values[1]} for path, values in comparison["config"].items()]
        lines.append(render_table(["config", a, b], rows))
    else:
        lines.append("the two configs are the same\n")
    if comparison["metrics"]:
        rows = [{"metric": name, a: values["a"], b: values["b"], "difference": _signed(values["difference"])}
                for name, values in comparison["metrics"].items()]
        lines.append(render_table(["metric", a, b, "difference"], rows))
    else:
        lines.append("neither run has final metrics\n")
    return "\n".join(lines)


def _signed(value: float | None) -> str | None:
    return None if value is None else f"{value:+.4g}"
