"""nnconf init: a starting config for each data source and task, that lints clean (every rule) and trains."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import nnconf
from nnconf.cli import cli
from nnconf.init import KNOWN, InitError, describe_source, starting_config

COMPATIBLE = {"regression": ["regression"], "binary": ["binary", "multiclass", "regression"],
              "multiclass": ["multiclass", "regression"], "multilabel": ["multilabel", "regression"]}


def init(*args: str):
    return CliRunner().invoke(cli, ["init", *args])


def assert_lints_clean(text: str) -> nnconf.Report:
    report = nnconf.lint_text(text, select=["NN"])  # every rule, the opt-in ones too
    assert report.findings == [], "\n".join(f.format() for f in report.findings)
    return report


@pytest.mark.parametrize("source", sorted(KNOWN))
def test_every_known_dataset_gets_a_config_that_lints_clean_for_each_task_it_fits(source):
    described = describe_source(source)
    for task in COMPATIBLE[described.task]:
        report = assert_lints_clean(starting_config(described, task=task, name="x"))
        assert report.config.task == task


def test_the_model_fits_the_dataset():
    report = assert_lints_clean(starting_config(describe_source("keras.mnist"), name="mnist"))
    assert report.config.model.input_shape == [28, 28, 1] and report.config.data.reshape
    assert report.inference.outputs[""] == (10,)
    assert [layer.type for layer in report.config.model.layers][0] == "Conv2D"
    iris = assert_lints_clean(starting_config(describe_source("sklearn.iris"), name="iris"))
    assert iris.inference.outputs[""] == (3,) and iris.config.data.standardize


def write_npz(path, x, y) -> str:
    np.savez(path, x=x, y=y)
    return f"npz:{path}"


@pytest.mark.parametrize("labels, task, units", [
    (np.array([0, 1] * 10), "binary", 1),
    (np.arange(20) % 4, "multiclass", 4),
    (np.eye(3)[np.arange(20) % 3], "multiclass", 3),
    (np.linspace(-1, 1, 20), "regression", 1),
    ((np.arange(40).reshape(20, 2) % 3 == 0).astype(int), "multilabel", 2),
])
def test_npz_labels_decide_the_task_and_the_output(tmp_path, labels, task, units):
    source = write_npz(tmp_path / "data.npz", np.random.default_rng(0).normal(size=(20, 5)), labels)
    report = assert_lints_clean(starting_config(describe_source(source, config_dir=tmp_path), name="x"))
    assert report.config.task == task and report.inference.outputs[""] == (units,)
    assert report.config.data.path == "data.npz"  # relative to the config's folder


def test_a_task_the_labels_cannot_serve_is_refused(tmp_path):
    source = write_npz(tmp_path / "data.npz", np.zeros((20, 5)), np.linspace(0, 1, 20))
    with pytest.raises(InitError, match="real-valued targets, which a multiclass task cannot learn"):
        starting_config(describe_source(source), task="multiclass")
    result = init("--data", "sklearn.iris", "--task", "binary", "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and "3 classes, which a binary task cannot learn" in result.stderr


@pytest.mark.parametrize("source, message, lists_sources", [
    ("images:photos/", "the data source 'images' is not supported yet", True),
    ("text:reviews/", "the data source 'text' is not supported yet", True),
    ("parquet:x.parquet", "unknown data source 'parquet:x.parquet'", True),
    ("npz:missing.npz", "missing.npz: no such file", False),
    ("keras.imdb", "keras.imdb holds word-id sequences", False),
])
def test_unknown_and_unsupported_sources_are_one_clear_line(tmp_path, source, message, lists_sources):
    result = init("--data", source, "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "x.yaml").exists()
    assert ("sklearn.iris" in result.stderr and "npz:PATH" in result.stderr) == lists_sources  # says what works


def test_an_existing_file_is_never_replaced(tmp_path):
    target = tmp_path / "iris.yaml"
    target.write_text("mine\n")
    result = init("--data", "sklearn.iris", "-o", str(target))
    assert result.exit_code == 2 and target.read_text() == "mine\n"


def test_init_writes_a_config_that_trains(tmp_path):
    target = tmp_path / "iris.yaml"
    result = init("--task", "multiclass", "--data", "sklearn.iris", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("# Written by `nnconf init --data sklearn.iris --task multiclass`")
    run = nnconf.train(target, ["training.epochs=1"], run_dir=tmp_path / "run")
    assert run.status == "finished" and 0 <= run.metrics["accuracy"] <= 1


def test_csv_and_image_npz_configs_train(tmp_path):
    rng = np.random.default_rng(1)
    table = tmp_path / "table.csv"
    rows = ["a,b,c,kind"] + [f"{rng.normal():.3f},{rng.normal():.3f},{rng.normal():.3f},{i % 3}" for i in range(30)]
    table.write_text("\n".join(rows) + "\n")
    images = write_npz(tmp_path / "images.npz", rng.integers(0, 256, size=(30, 8, 8), dtype=np.uint8),
                       np.arange(30) % 2)
    for source, name in ((f"csv:{table}", "table"), (images, "images")):
        target = tmp_path / f"{name}.yaml"
        result = init("--data", source, "-o", str(target))
        assert result.exit_code == 0, result.output
        assert_lints_clean(target.read_text())
        run = nnconf.train(target, ["training.epochs=1", "training.batch_size=8"], run_dir=tmp_path / f"run-{name}")
        assert run.status == "finished"
    assert "label: kind" in (tmp_path / "table.yaml").read_text()
    assert "scale: 255" in (tmp_path / "images.yaml").read_text()
