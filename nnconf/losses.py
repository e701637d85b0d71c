"""Loss classes, named as Keras's: ``SparseCategoricalCrossentropy(from_logits=True)``.

Each is nnconf's spec of the Keras loss of the same name, with its arguments and defaults; made in
Python it is checked at once. Anywhere a loss goes, its name (``"sparse_categorical_crossentropy"``
or Keras's ``"SparseCategoricalCrossentropy"``) or a mapping (``{"name": ..., "from_logits": True}``)
does too.
"""

from nnconf.config.losses import (
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy, CategoricalHinge,
    CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy, SquaredHinge,
)

__all__ = [
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber", "KLDivergence", "LogCosh", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "SparseCategoricalCrossentropy", "SquaredHinge",
]
