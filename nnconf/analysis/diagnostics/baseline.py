"""The trivial baseline a model's loss must beat: the loss of always predicting the class prior
(classification) or the mean (regression) of the training labels.

Keras computes these losses with the same formulas; the baseline is computed with NumPy on the
labels as the model is trained on them (after nnconf encoded them for the loss).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnconf.config.model import Config

if TYPE_CHECKING:
    import numpy as np

# Keras clips probabilities to [epsilon, 1 - epsilon] in crossentropies.
EPSILON = 1e-7


def baseline_loss(config: Config, labels: dict[str, np.ndarray]) -> tuple[float | None, str]:
    """The weighted sum, over the outputs, of each output's trivial-model loss, and what the trivial
    model predicts in words; (None, '') if some output's loss has no baseline here."""
    losses, weights = config.losses(), _weights(config)
    total, kinds = 0.0, set()
    for name, spec in losses.items():
        if name not in labels:
            return None, ""
        found = _one(spec, labels[name])
        if found is None:
            return None, ""
        total += weights.get(name, 1.0) * found[0]
        kinds.add(found[1])
    return total, " and ".join(sorted(kinds))


def _weights(config: Config) -> dict[str, float]:
    given = config.loss_weights
    if given is None:
        return {}
    if isinstance(given, dict):
        return dict(given)
    return {name: float(given) for name in config.output_names()}


def _one(spec, y: np.ndarray) -> tuple[float, str] | None:
    import numpy as np

    name = spec.canonical
    y = np.asarray(y, dtype=np.float64)
    if name == "sparse_categorical_crossentropy":
        ids = y.reshape(len(y), -1)[:, 0].astype(np.int64)
        prior = np.bincount(ids) / len(ids)
        return _crossentropy(prior[ids][:, None]), "the class prior"
    if name == "categorical_crossentropy":
        target = _smoothed(y.reshape(len(y), -1), spec.label_smoothing, classes=y.shape[-1])
        prior = np.clip(target.mean(axis=0), EPSILON, 1 - EPSILON)
        return float(-(target * np.log(prior)).sum(axis=1).mean()), "the class prior"
    if name == "binary_crossentropy":
        target = _smoothed(y.reshape(len(y), -1), spec.label_smoothing, classes=2)
        prior = np.clip(target.mean(axis=0), EPSILON, 1 - EPSILON)
        loss = -(target * np.log(prior) + (1 - target) * np.log(1 - prior))
        return float(loss.mean()), "the class prior"
    if name == "mean_squared_error":
        flat = y.reshape(len(y), -1)
        return float(((flat - flat.mean(axis=0)) ** 2).mean()), "the mean"
    if name == "mean_absolute_error":
        flat = y.reshape(len(y), -1)
        return float(np.abs(flat - np.median(flat, axis=0)).mean()), "the median"
    return None


def _crossentropy(probabilities: np.ndarray) -> float:
    import numpy as np

    return float(-np.log(np.clip(probabilities, EPSILON, 1 - EPSILON)).mean())


def _smoothed(target: np.ndarray, smoothing: float, classes: int) -> np.ndarray:
    """Labels as Keras smooths them: ``y * (1 - s) + s / classes`` (binary: ``s / 2``)."""
    return target * (1 - smoothing) + smoothing / classes
