"""Pictures: readable training curves (a grid by output, the best epoch, the test score, a log scale
where a loss spans decades), activation functions that are Keras's own, the fold of a two-unit
layer, and the pictures a run draws; ``nnconf plot activations`` as a command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import matplotlib.image
import numpy as np
import pytest

from nnconf.engine import plots
from nnconf.engine.train import train

ROOT = Path(__file__).resolve().parent.parent


def nnconf_cli(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG in pixels."""
    height, width = matplotlib.image.imread(path).shape[:2]
    return width, height


THREE_OUTPUTS = {
    "loss": [3.0, 2.0, 1.5], "val_loss": [3.2, 2.1, 1.9],
    "kind_loss": [1.0, 0.8, 0.7], "kind_accuracy": [0.5, 0.6, 0.7], "val_kind_accuracy": [0.4, 0.5, 0.6],
    "size_loss": [1500.0, 40.0, 3.0], "size_mae": [30.0, 5.0, 1.5],
    "kind_b_loss": [0.7, 0.6, 0.55], "kind_b_auc": [0.6, 0.7, 0.8],
    "learning_rate": [0.001, 0.001, 0.001],
}
OUTPUTS = ["kind", "size", "kind_b"]


# --- training curves ---------------------------------------------------------------------------


def test_three_outputs_get_a_row_each_after_the_total_loss():
    assert plots.curve_rows(THREE_OUTPUTS, OUTPUTS) == [
        ("", ["loss"]), ("kind", ["kind_loss", "kind_accuracy"]), ("size", ["size_loss", "size_mae"]),
        ("kind_b", ["kind_b_loss", "kind_b_auc"])]


def test_a_single_output_gets_one_row():
    history = {"accuracy": [0.5, 0.7], "loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "learning_rate": [0.1, 0.1]}
    assert plots.curve_rows(history, [""]) == [("", ["accuracy", "loss"])]


def test_the_curves_of_three_outputs_are_a_grid_not_a_row(tmp_path):
    path = tmp_path / "training.png"
    assert plots.training_curves(THREE_OUTPUTS, path, title="three", outputs=OUTPUTS, best_epoch=3,
                                 test={"split": "test", "samples": 10, "loss": 1.7})
    width, height = size(path)
    assert width < 1000 and height > width  # 4 rows of 2 panels, where a row of 8 was 3600x350


def test_the_figure_names_the_run_marks_the_best_epoch_and_logs_a_loss_spanning_decades():
    figure = plots.training_figure(THREE_OUTPUTS, title="three-heads", outputs=OUTPUTS, best_epoch=2,
                                   test={"split": "test", "samples": 10, "loss": 1.75, "kind_accuracy": 0.66})
    title = figure._suptitle.get_text()
    assert "three-heads" in title and "test: loss 1.75, kind_accuracy 0.66" in title and "best epoch 2" in title
    panels = {axis.get_title(): axis for axis in figure.axes if axis.get_visible()}
    assert panels["size: loss"].get_yscale() == "log"  # 1500 to 3
    assert panels["kind: loss"].get_yscale() == "linear" and panels["size: mae"].get_yscale() == "linear"
    for axis in panels.values():
        marks = [line for line in axis.get_lines() if list(line.get_xdata()) == [2, 2]]
        assert marks, axis.get_title()
    assert len(panels["kind: accuracy"].get_lines()) == 3  # training, validation, the best epoch
    plots._pyplot().close(figure)


@pytest.mark.parametrize("history, monitor, maximise, best", [
    ({"val_loss": [0.9, 0.5, 0.5, 0.7]}, "val_loss", False, 2),
    ({"val_accuracy": [0.5, 0.8, 0.8, 0.7]}, "val_accuracy", True, 2),
    ({"loss": [0.9, 0.4, 0.6]}, "val_loss", False, 2),  # no validation: the training metric
    ({"val_loss": [float("nan"), 0.5]}, "val_loss", False, 2),
    ({"accuracy": [0.5]}, "val_loss", False, None),
])
def test_the_best_epoch_is_the_first_with_the_best_monitored_value(history, monitor, maximise, best):
    assert plots.best_epoch(history, monitor, maximise) == best


# --- activation functions ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(plots.ACTIVATIONS))
def test_each_activation_is_computed_as_keras_computes_it(name):
    x = np.linspace(-7, 7, 281).astype(np.float32)
    ours = plots.ACTIVATIONS[name](x.astype(np.float64))
    if name in ("softmax", "log_softmax"):  # over the pair (x, 0), whose first component is drawn
        pairs = np.stack([x, np.zeros_like(x)], axis=1)
        theirs = np.asarray(keras.activations.get(name)(pairs))[:, 0]
    else:
        theirs = np.asarray(keras.activations.get(name)(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_activation_functions_are_drawn_three_to_a_row(tmp_path):
    path = tmp_path / "activations.png"
    plots.activation_functions(["relu", "gelu", "sigmoid", "tanh", "softmax"], path, low=-3, high=3)
    width, height = size(path)
    assert width > height > 0


def test_the_fold_of_a_two_unit_layer_shows_three_stages(tmp_path):
    path = tmp_path / "fold.png"
    plots.fold(np.array([[1.0, -0.5], [0.5, 1.0]]), np.array([0.1, -0.2]), "relu", path, title="fold")
    width, height = size(path)
    assert width > 2 * height


# --- nnconf plot activations ------------------------------------------------------------------------


def test_plot_activations_writes_a_png_without_importing_tensorflow(tmp_path):
    path = tmp_path / "act.png"
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnconf", "plot", "activations", "relu",
                             "leaky_relu", "--range", "-2", "2", "-o", str(path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wrote" in result.stdout and size(path)[0] > 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "tensorflow" not in imported and "keras" not in imported


def test_plot_activations_draws_the_common_ones_by_default(tmp_path):
    result = nnconf_cli("plot", "activations", "-o", str(tmp_path / "default.png"))
    assert result.returncode == 0 and all(name in result.stdout for name in plots.DEFAULT_ACTIVATIONS)


@pytest.mark.parametrize("arguments", [
    ["relux"],  # no such activation
    ["relu", "--range", "2", "-2"],  # LOW above HIGH
    ["relu", "--range", "1", "1"],
])
def test_plot_activations_refuses_a_wrong_command_line_in_one_line(tmp_path, arguments):
    result = nnconf_cli("plot", "activations", *arguments, "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "x.png").exists()


def test_plot_activations_writes_only_png_and_replaces_a_file_only_with_force(tmp_path):
    assert nnconf_cli("plot", "activations", "relu", "-o", str(tmp_path / "x.jpg")).returncode == 2
    existing = tmp_path / "kept.png"
    existing.write_text("mine")
    assert nnconf_cli("plot", "activations", "relu", "-o", str(existing)).returncode == 2
    assert existing.read_text() == "mine"
    assert nnconf_cli("plot", "activations", "relu", "-o", str(existing), "--force").returncode == 0
    assert size(existing)[0] > 0


def test_plot_without_a_subcommand_lists_it():
    result = nnconf_cli("plot", "--help")
    assert result.returncode == 0 and "activations" in result.stdout


# --- a run's pictures --------------------------------------------------------------------------------


def test_a_run_draws_its_curves_its_evidence_and_how_a_two_unit_layer_folds_the_plane(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    np.savez(tmp_path / "xor.npz", x=x, y=(x[:, 0] * x[:, 1] > 0).astype(np.float32))
    config = tmp_path / "fold.yaml"
    config.write_text(textwrap.dedent("""
        name: fold
        task: binary
        seed: 2
        model:
          input_shape: [2]
          layers:
            - {name: hidden, type: Dense, units: 2, activation: tanh}
            - {type: Dense, units: 1, activation: sigmoid}
        loss: binary_crossentropy
        data: {source: npz, path: xor.npz}
        training: {epochs: 2, tensorboard: false}
    """))
    run = train(config, run_dir=tmp_path / "run")
    pictures = {path.name for path in run.directory.glob("*.png")}
    assert pictures >= {"training.png", "activations.png", "gradients.png"}
    assert [name for name in pictures if name.startswith("fold-")] == ["fold-hidden.png"]
    assert size(run.directory / "fold-hidden.png")[0] > 0
