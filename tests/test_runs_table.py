"""``nnconf runs``: a table of real run directories, sortable, as text or JSON, and two runs compared."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nnconf

CONFIG = """\
name: table
task: multiclass
seed: 5
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
optimizer: {name: adam, learning_rate: 1e-3}
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16, max_samples: 300}
training: {epochs: 1, batch_size: 32, tensorboard: false, diagnostics: false}
"""
RATES = {"slow": 1e-4, "fast": 3e-2}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two finished runs that differ in their learning rate alone, under runs/table/."""
    root = tmp_path_factory.mktemp("table")
    config = root / "table.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    for name, rate in RATES.items():
        nnconf.train(config, [f"optimizer.learning_rate={rate}"], run_dir=root / "runs" / "table" / name)
    return root / "runs"


def nnconf_runs(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", "runs", *arguments], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def test_the_table_shows_each_run_and_only_the_config_values_that_differ(runs):
    result = nnconf_runs(cwd=runs.parent)  # runs/ by default
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["run", "name", "started", "status", "epochs", "optimizer.learning_rate",
                              "test_accuracy", "test_loss"]
    assert [row.split()[0] for row in rows] == ["table/fast", "table/slow"]
    for row in rows:
        assert row.split()[1:2] + row.split()[3:6] == ["table", "finished", "1/1", str(RATES[row.split()[0][6:]])]


def test_json_rows_hold_every_column(runs):
    result = nnconf_runs(str(runs), "--format", "json", cwd=runs.parent)
    rows = {row["run"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"table/fast", "table/slow"}
    slow = rows["table/slow"]
    assert slow["optimizer.learning_rate"] == RATES["slow"]
    assert slow["test_accuracy"] == metrics(runs / "table" / "slow")["accuracy"]
    assert (slow["status"], slow["epochs"], slow["name"]) == ("finished", "1/1", "table")
    assert slow["started"] == json.loads((runs / "table" / "slow" / "description.json").read_text())["started"]


@pytest.mark.parametrize("column", ["optimizer.learning_rate", "test_loss", "run"])
@pytest.mark.parametrize("descending", [False, True])
def test_rows_sort_by_any_column(runs, column, descending):
    result = nnconf_runs(str(runs), "--format", "json", "--sort", ("-" if descending else "") + column, cwd=runs.parent)
    assert result.returncode == 0, result.stderr
    values = [row[column] for row in json.loads(result.stdout)]
    assert values == sorted(values, reverse=descending)


def test_compare_shows_the_config_difference_and_the_metric_difference(runs):
    slow, fast = runs / "table" / "slow", runs / "table" / "fast"
    result = nnconf_runs("--compare", str(slow), str(fast), "--format", "json", cwd=runs.parent)
    comparison = json.loads(result.stdout)
    assert comparison["config"] == {"optimizer.learning_rate": [RATES["slow"], RATES["fast"]]}
    accuracy = comparison["metrics"]["test_accuracy"]
    assert accuracy["a"] == metrics(slow)["accuracy"] and accuracy["b"] == metrics(fast)["accuracy"]
    assert accuracy["difference"] == metrics(fast)["accuracy"] - metrics(slow)["accuracy"]
    text = nnconf_runs("--compare", str(slow), str(fast), cwd=runs.parent).stdout
    assert f"optimizer.learning_rate  {RATES['slow']}" in text
    assert f"{accuracy['difference']:+.4g}" in text


def test_an_unknown_sort_column_is_a_usage_error(runs):
    result = nnconf_runs(str(runs), "--sort", "test_acuracy", cwd=runs.parent)
    assert result.returncode == 2
    assert "no column 'test_acuracy' to sort by; did you mean 'test_accuracy'?" in result.stderr


def test_a_missing_folder_is_a_usage_error(tmp_path):
    result = nnconf_runs(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no such directory" in result.stderr


def test_comparing_a_folder_that_is_no_run_is_a_usage_error(runs, tmp_path):
    result = nnconf_runs("--compare", str(runs / "table" / "slow"), str(tmp_path), cwd=runs.parent)
    assert result.returncode == 2
    assert "is not a run directory" in result.stderr


def test_a_folder_without_runs_says_so(tmp_path):
    result = nnconf_runs(str(tmp_path), cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"no runs under {tmp_path}")


def test_listing_runs_imports_no_tensorflow(runs):
    code = ("import sys\nfrom nnconf.cli import main\nsys.argv = ['nnconf', 'runs', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'optuna') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, str(runs)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
