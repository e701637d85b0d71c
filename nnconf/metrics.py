"""Metrics, named as Keras's: ``SparseCategoricalAccuracy()``, ``AUC(curve="PR")``, ``Precision(top_k=1)``.

Each gives nnconf's spec of the Keras metric of the same name, checked at once. ``BinaryAccuracy``
and ``AUC`` are spec classes; the others are functions making the spec that stands for their
metric (several metrics share one spec class). Anywhere a metric goes, its name
(``"sparse_categorical_accuracy"``, or Keras's ``"SparseCategoricalAccuracy"``) or a mapping does
too, and ``"accuracy"`` picks the accuracy that fits the loss, as in Keras.
"""

from typing import Any, Callable

from nnconf.config.base import NamedSpec
from nnconf.config.metrics import AUC, METRICS, BinaryAccuracy


def _metric(keras_name: str, name: str) -> Callable[..., NamedSpec]:
    spec = next(spec for spec in METRICS if name in spec.names())

    def metric(**arguments: Any) -> NamedSpec:
        return spec(name=name, **arguments)

    metric.__name__ = metric.__qualname__ = keras_name
    metric.__doc__ = f"The metric {name!r} (Keras's {keras_name}); keyword arguments as Keras's."
    return metric


CategoricalAccuracy = _metric("CategoricalAccuracy", "categorical_accuracy")
SparseCategoricalAccuracy = _metric("SparseCategoricalAccuracy", "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _metric("TopKCategoricalAccuracy", "top_k_categorical_accuracy")
SparseTopKCategoricalAccuracy = _metric("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy")
Precision = _metric("Precision", "precision")
Recall = _metric("Recall", "recall")
MeanSquaredError = _metric("MeanSquaredError", "mean_squared_error")
RootMeanSquaredError = _metric("RootMeanSquaredError", "root_mean_squared_error")
MeanAbsoluteError = _metric("MeanAbsoluteError", "mean_absolute_error")
MeanAbsolutePercentageError = _metric("MeanAbsolutePercentageError", "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _metric("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error")
CosineSimilarity = _metric("CosineSimilarity", "cosine_similarity")
LogCoshError = _metric("LogCoshError", "log_cosh_error")
R2Score = _metric("R2Score", "r2_score")
Hinge = _metric("Hinge", "hinge")
SquaredHinge = _metric("SquaredHinge", "squared_hinge")
CategoricalHinge = _metric("CategoricalHinge", "categorical_hinge")
KLDivergence = _metric("KLDivergence", "kl_divergence")
Poisson = _metric("Poisson", "poisson")
BinaryCrossentropy = _metric("BinaryCrossentropy", "binary_crossentropy")
CategoricalCrossentropy = _metric("CategoricalCrossentropy", "categorical_crossentropy")
SparseCategoricalCrossentropy = _metric("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")

__all__ = [
    "AUC", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "CosineSimilarity", "Hinge", "KLDivergence", "LogCoshError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "Precision",
    "R2Score", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SquaredHinge", "TopKCategoricalAccuracy",
]
