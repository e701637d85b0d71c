"""Pictures, as PNG files drawn with matplotlib: a run's training curves and the evidence behind its
diagnostics, activation functions, and how a two-unit layer folds the plane.

Nothing here imports TensorFlow: ``nnconf plot activations`` draws with NumPy alone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nnconf.analysis.lint.context import PASS_THROUGH
from nnconf.engine.files import write_bytes_atomically

# A loss whose values span this factor or more is drawn on a log scale.
DECADES = 100.0
PANEL = (4.2, 3.2)  # inches per panel


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display is needed or wanted
    import matplotlib.pyplot as plt

    return plt


def save(figure, path: str | Path) -> None:
    """Writes a figure as PNG atomically and closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    _pyplot().close(figure)
    write_bytes_atomically(path, buffer.getvalue())


# --- training curves ---------------------------------------------------------------------------


def training_curves(history: dict[str, list[float]], path: str | Path, *, title: str, outputs: Sequence[str] = ("",),
                    best_epoch: int | None = None, test: dict | None = None) -> bool:
    """Writes the curves of a run (see ``training_figure``) as a PNG; False if there was nothing to draw."""
    figure = training_figure(history, title=title, outputs=outputs, best_epoch=best_epoch, test=test)
    if figure is None:
        return False
    save(figure, path)
    return True


def training_figure(history: dict[str, list[float]], *, title: str, outputs: Sequence[str] = ("",),
                    best_epoch: int | None = None, test: dict | None = None):
    """The curves of a run: one row per model output (its loss, then its metrics), after a row with
    the total loss for several outputs; training and validation in each panel, the best epoch
    marked, the test score in the title, and a log scale where a loss spans decades.

    Args:
        history: per-epoch values by Keras's names (``loss``, ``val_loss``, ``out_accuracy``...).
        title: the run's name.
        outputs: the model's output names (``''`` for the one output of a sequential model).
        best_epoch: the epoch (1-based) the checkpoints judged best, marked in every panel.
        test: the final metrics (``metrics.json``), shown in the title.

    Returns:
        A matplotlib figure, or None if the history holds nothing to draw.
    """
    rows = curve_rows(history, list(outputs))
    if not rows:
        return None
    plt = _pyplot()
    columns = max(len(row) for _, row in rows)
    figure, axes = plt.subplots(len(rows), columns, figsize=(PANEL[0] * columns, PANEL[1] * len(rows) + 0.6),
                                squeeze=False)
    for row_index, (label, names) in enumerate(rows):
        for column in range(columns):
            axis = axes[row_index][column]
            if column >= len(names):
                axis.set_visible(False)
                continue
            _curve_panel(axis, history, names[column], label, best_epoch)
    figure.suptitle(_title(title, test, best_epoch))
    figure.tight_layout()
    return figure


def curve_rows(history: dict, outputs: list[str]) -> list[tuple[str, list[str]]]:
    """(output, metric names) for each row of panels: the total loss, then each output's own (its loss
    first), then anything left. Names are the training ones: ``val_`` ones are drawn with them."""
    names = [name for name in history if not name.startswith("val_") and name != "learning_rate"]
    if len(outputs) < 2:
        return [("", names)] if names else []
    owned: dict[str, list[str]] = {output: [] for output in outputs}
    rest = []
    for name in names:
        # The longest output name the metric starts with: 'a_b_loss' is output a_b's, not a's.
        owner = max((o for o in outputs if name.startswith(f"{o}_")), key=len, default=None)
        (owned[owner] if owner is not None and name != "loss" else rest).append(name)
    rows = [("", ["loss"])] if "loss" in rest else []
    for output in outputs:
        own = sorted(owned[output], key=lambda name: name != f"{output}_loss")  # the loss first
        if own:
            rows.append((output, own))
    others = [name for name in rest if name != "loss"]
    return rows + ([("other", others)] if others else [])


def _curve_panel(axis, history: dict, name: str, output: str, best_epoch: int | None) -> None:
    training = history[name]
    axis.plot(range(1, len(training) + 1), training, label="training")
    validation = history.get(f"val_{name}")
    if validation:
        axis.plot(range(1, len(validation) + 1), validation, label="validation")
    shown = name.removeprefix(f"{output}_") if output else name
    axis.set_title(f"{output}: {shown}" if output else shown)
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(_whole_numbers())
    if "loss" in name and _spans_decades([*training, *(validation or [])]):
        axis.set_yscale("log")
    if best_epoch:
        axis.axvline(best_epoch, color="grey", linestyle="--", linewidth=1, label=f"best epoch ({best_epoch})")
    axis.legend(fontsize="small")


def _whole_numbers():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _spans_decades(values: list[float]) -> bool:
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    return len(positive) > 1 and max(positive) / min(positive) >= DECADES


def _title(name: str, test: dict | None, best_epoch: int | None) -> str:
    parts = [name]
    if test and test.get("split"):
        scores = ", ".join(f"{key} {value:.4g}" for key, value in test.items()
                           if key not in ("split", "samples") and isinstance(value, (int, float)))
        parts.append(f"{test['split']}: {scores}")
    if best_epoch:
        parts.append(f"best epoch {best_epoch}")
    return " | ".join(parts)


def best_epoch(history: dict, monitor: str, maximise: bool) -> int | None:
    """The 1-based epoch with the best ``monitor`` (``val_x`` falls back to ``x`` without validation)."""
    values = history.get(monitor) or history.get(monitor.removeprefix("val_"))
    finite = [(v, i) for i, v in enumerate(values or []) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    # The first of equal values, as the checkpoints keep it.
    chosen = max(finite, key=lambda pair: (pair[0], -pair[1])) if maximise else min(finite)
    return chosen[1] + 1


# --- activation functions ----------------------------------------------------------------------


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0, x)


def _gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
# Each activation as Keras computes it with its default arguments; softmax and log_softmax over the
# pair (x, 0), whose first component they show.
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))),
    "gelu": _gelu,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": np.tanh,
    "softmax": _sigmoid,
    "log_softmax": lambda x: -_softplus(-x),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "exponential": np.exp,
}
DEFAULT_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "gelu")
_PAIR = {"softmax", "log_softmax"}


def activation_functions(names: Sequence[str], path: str | Path, *, low: float = -6.0, high: float = 6.0) -> None:
    """Each activation and its derivative over ``[low, high]``, one panel each.

    Args:
        names: activations by Keras name (keys of ACTIVATIONS); callers check them.
        path: the PNG to write.
        low, high: the range of inputs drawn.
    """
    plt = _pyplot()
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(PANEL[0] * columns, PANEL[1] * rows), squeeze=False)
    x = np.linspace(low, high, 1201)
    for index, axis in enumerate(axes.flat):
        if index >= len(names):
            axis.set_visible(False)
            continue
        name = names[index]
        y = ACTIVATIONS[name](x)
        axis.plot(x, y, label=f"{name}(x, 0)[0]" if name in _PAIR else f"{name}(x)")
        axis.plot(x, np.gradient(y, x), label="derivative", linestyle="--")
        axis.axhline(0, color="grey", linewidth=0.5)
        axis.axvline(0, color="grey", linewidth=0.5)
        axis.set_title(f"{name} over the pair (x, 0)" if name in _PAIR else name)
        axis.set_xlabel("x")
        axis.legend(fontsize="small")
    figure.tight_layout()
    save(figure, path)


# --- a run's evidence --------------------------------------------------------------------------


def activation_histograms(sample: dict[str, np.ndarray], titles: dict[str, str], path: str | Path) -> bool:
    """The distribution of each layer's outputs on a data sample, one histogram per layer."""
    names = [name for name, values in sample.items() if values.size]
    if not names:
        return False
    plt = _pyplot()
    columns = min(4, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(PANEL[0] * columns, PANEL[1] * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        if index >= len(names):
            axis.set_visible(False)
            continue
        values = sample[names[index]]
        finite = values[np.isfinite(values)].astype(np.float64)
        axis.hist(finite, **_bins(finite))
        axis.set_title(titles.get(names[index], names[index]), fontsize="medium")
        axis.set_xlabel("output value")
        axis.set_yscale("log")
    figure.suptitle("layer outputs on the monitoring batch, at the end of training")
    figure.tight_layout()
    save(figure, path)
    return True


def _bins(values: np.ndarray) -> dict:
    """50 bins, or one where the values are (nearly) all the same: a dead layer's zeros."""
    if values.size and values.max() - values.min() <= 1e-6 * max(1.0, float(np.abs(values).max())):
        middle = float(values.mean())
        width = max(0.5, abs(middle) * 1e-3)
        return {"bins": 1, "range": (middle - width, middle + width)}
    return {"bins": 50}


def gradient_norms(steps: list[float], norms: dict[str, list[float]], path: str | Path, *, xlabel: str = "epoch") -> bool:
    """Each layer's gradient norm over training, on a log scale."""
    if not norms or not steps:
        return False
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(PANEL[0] * 1.8, PANEL[1] * 1.4))
    for name, values in norms.items():
        shown = [v if v is not None and math.isfinite(v) and v > 0 else np.nan for v in values]
        axis.plot(steps[:len(shown)], shown, marker="o", markersize=3, label=name)
    axis.set_yscale("log")
    axis.set_xlabel(xlabel)
    axis.xaxis.set_major_locator(_whole_numbers())
    axis.set_ylabel("gradient norm (monitoring batch)")
    axis.set_title("gradient norm per layer")
    axis.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    save(figure, path)
    return True


# --- how a layer of two units folds the plane --------------------------------------------------


def fold(kernel: np.ndarray, bias: np.ndarray, activation: str, path: str | Path, *, extent: float = 2.0,
         lines: int = 11, title: str = "") -> None:
    """How a layer with two inputs and two units maps a grid of points: the grid, the linear step
    ``x @ kernel + bias``, and the activation applied to that.

    Args:
        kernel: the (2, 2) kernel; bias: the two biases.
        activation: the layer's activation (a key of ACTIVATIONS).
        path: the PNG to write.
        extent: the grid covers [-extent, extent] on both axes.
        lines: grid lines per direction.
    """
    plt = _pyplot()
    kernel, bias = np.asarray(kernel, dtype=float).reshape(2, 2), np.asarray(bias, dtype=float).reshape(2)
    ticks, dense = np.linspace(-extent, extent, lines), np.linspace(-extent, extent, 201)
    curves = [np.stack([np.full_like(dense, t), dense], axis=1) for t in ticks]
    curves += [np.stack([dense, np.full_like(dense, t)], axis=1) for t in ticks]
    stages = [("input grid", lambda p: p), ("linear step: x W + b", lambda p: p @ kernel + bias),
              (f"after {activation}", lambda p: ACTIVATIONS[activation](p @ kernel + bias))]
    figure, axes = plt.subplots(1, 3, figsize=(PANEL[0] * 3, PANEL[0]))
    colours = plt.get_cmap("viridis")
    for axis, (label, step) in zip(axes, stages):
        for index, curve in enumerate(curves):
            mapped = step(curve)
            axis.plot(mapped[:, 0], mapped[:, 1], color=colours((index % lines) / max(1, lines - 1)), linewidth=0.8)
        axis.set_title(label)
        axis.set_aspect("equal", adjustable="datalim")
        axis.axhline(0, color="grey", linewidth=0.5)
        axis.axvline(0, color="grey", linewidth=0.5)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    save(figure, path)


# --- the pictures of a finished run ------------------------------------------------------------


def run_pictures(out: Path, config, history: dict, metrics: dict, monitor=None, *, maximise: bool = False) -> None:
    """``training.png``, and with diagnostics on, ``activations.png``, ``gradients.png`` and a
    ``fold-<layer>.png`` for each Dense layer of two inputs and two units.

    Args:
        out: the run directory (or a worker's folder).
        config: the run's config.
        history: the per-epoch metrics.
        metrics: the final metrics.
        monitor: the run's diagnostics callback (nnconf.engine.diagnostics.Monitor), or None.
        maximise: whether the monitored metric of the checkpoints is better when larger.
    """
    best = best_epoch(history, config.training.checkpoints.monitor, maximise) if history else None
    training_curves(history, out / "training.png", title=config.name or out.name, outputs=config.output_names(),
                    best_epoch=best, test=metrics)
    if monitor is None:
        return
    evidence = monitor.evidence
    titles = {layer.name: f"{layer.name} ({layer.type}, {layer.activation})" for layer in evidence.layers}
    computing = {layer.name for layer in evidence.layers if layer.type not in PASS_THROUGH}
    sample = {name: values for name, values in monitor.activation_sample().items() if name in computing}
    activation_histograms(sample, titles, out / "activations.png")
    during = any(check.during for check in evidence.checks)
    steps = [check.step if during else check.epoch for check in evidence.checks]
    norms = {layer.name: [check.gradients.get(layer.name) for check in evidence.checks]
             for layer in evidence.layers if layer.weighted}
    gradient_norms(steps, norms, out / "gradients.png", xlabel="step" if during else "epoch")
    for name, kernel, bias, activation in monitor.two_unit_layers():
        if activation in ACTIVATIONS:
            fold(kernel, bias, activation, out / f"fold-{name}.png", title=f"{name}: two inputs, two units")
