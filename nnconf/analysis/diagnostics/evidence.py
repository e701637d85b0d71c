"""What a run's diagnostics are judged on: plain numbers measured on a fixed monitoring batch.

The Keras side (nnconf.engine.diagnostics) measures them; the diagnostics judge them here, without
TensorFlow, and ``nnconf diagnose`` reads them back from the run directory's ``diagnostics.json``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

FORMAT = 1  # of diagnostics.json; a reader refuses others


@dataclass
class LayerFacts:
    """One monitored layer, as the diagnostics need to know it.

    Args:
        name: the Keras layer's name.
        index: its place in the config's ``model.layers``.
        type: the layer type (``Dense``).
        activation: the activation it applies itself (``linear`` if none).
        output: whether it is a model output.
        weighted: whether it has trainable weights whose gradients are measured.
        normalized: whether its output goes straight into a normalization layer, which undoes the
            scale of its weights (and so of their gradients).
    """

    name: str
    index: int
    type: str
    activation: str
    output: bool
    weighted: bool
    normalized: bool = False

    @property
    def keys(self) -> tuple:
        return ("model", "layers", self.index)

    @property
    def path(self) -> str:
        return f"model.layers[{self.index}]"


@dataclass
class Check:
    """One look at the monitoring batch.

    Args:
        epoch: epochs completed when it was taken (0: before the first step).
        step: training steps done.
        gradients: gradient norm of each weighted layer's trainable weights (of the data loss).
        weights: norm of each weighted layer's trainable weights.
        dead: for each ReLU layer, the fraction of its units never positive on the batch.
        saturated: for each hidden sigmoid or tanh layer, the fraction of its units saturated on
            most of the batch.
        non_finite: the first layer (in the order the model computes them) whose output on the
            batch, or whose weights, hold a NaN or an infinity; None if all are finite.
        loss: the data loss on the batch (None if it could not be computed).
        step_size: for plain SGD without clipping, the learning rate as it is now, divided by
            ``1 - momentum``: what a gradient is multiplied by to make a step. None for optimizers
            that scale their steps themselves (Adam, RMSprop, ...) and for clipped gradients.
        during: taken during an epoch (every N steps) rather than at its start or end.
    """

    epoch: int
    step: int
    during: bool = False
    gradients: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    dead: dict[str, float] = field(default_factory=dict)
    saturated: dict[str, float] = field(default_factory=dict)
    non_finite: str | None = None
    loss: float | None = None
    step_size: float | None = None


@dataclass
class Evidence:
    """Everything measured in one run so far.

    Args:
        layers: the monitored layers, in the order the model computes them.
        epochs: the epochs the run is set to train.
        baseline: the loss of the trivial model that predicts the class prior (classification) or
            the mean (regression) on the training labels; None where nnconf cannot compute it.
        baseline_kind: what that trivial model predicts, in words.
        losses: each completed epoch's training loss, without regularization penalties.
        checks: every look at the monitoring batch.
    """

    layers: list[LayerFacts]
    epochs: int
    baseline: float | None = None
    baseline_kind: str = ""
    losses: list[float] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def layer(self, name: str) -> LayerFacts | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def by_path(self, path: str) -> LayerFacts | None:
        return next((layer for layer in self.layers if layer.path == path), None)

    def reference(self) -> LayerFacts | None:
        """The weighted layer nearest the output, whose gradient the others are compared with."""
        weighted = [layer for layer in self.layers if layer.weighted]
        return weighted[-1] if weighted else None

    def up_to(self, epoch: int) -> Evidence:
        """The evidence of the first ``epoch`` epochs: what a run resumed after that epoch keeps."""
        checks = [check for check in self.checks if check.epoch < epoch or check.epoch == epoch and not check.during]
        return Evidence(self.layers, self.epochs, self.baseline, self.baseline_kind, self.losses[:epoch], checks)

    def to_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Evidence:
        if data.get("format") != FORMAT:
            raise ValueError(f"diagnostics format {data.get('format')!r}, expected {FORMAT}")
        return cls(layers=[LayerFacts(**layer) for layer in data["layers"]], epochs=int(data["epochs"]),
                   baseline=data.get("baseline"), baseline_kind=data.get("baseline_kind", ""),
                   losses=[_number(value) for value in data.get("losses", [])],
                   checks=[Check(**check) for check in data.get("checks", [])])


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
