"""Losses, by Keras name, with their Keras arguments and defaults."""

from typing import ClassVar, Literal, Optional

from pydantic import Field
from typing_extensions import Annotated

from nnconf.config.base import NamedSpec, NonNegativeFloat, by_name, class_spellings

Reduction = Optional[Literal["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]]
LabelSmoothing = Annotated[float, Field(ge=0, le=1)]


class _Loss(NamedSpec):
    reduction: Reduction = "sum_over_batch_size"

    CROSSENTROPY: ClassVar[bool] = False  # a probabilistic classification objective
    TARGET: ClassVar[str] = "real"  # what the labels are: real, binary, one_hot, integer, distribution


class BinaryCrossentropy(_Loss):
    name: Literal["binary_crossentropy"]
    from_logits: bool = False
    label_smoothing: LabelSmoothing = 0.0
    axis: int = -1
    CROSSENTROPY, TARGET = True, "binary"


class BinaryFocalCrossentropy(_Loss):
    name: Literal["binary_focal_crossentropy"]
    apply_class_balancing: bool = False
    alpha: Annotated[float, Field(ge=0, le=1)] = 0.25
    gamma: NonNegativeFloat = 2.0
    from_logits: bool = False
    label_smoothing: LabelSmoothing = 0.0
    axis: int = -1
    CROSSENTROPY, TARGET = True, "binary"


class CategoricalCrossentropy(_Loss):
    name: Literal["categorical_crossentropy"]
    from_logits: bool = False
    label_smoothing: LabelSmoothing = 0.0
    axis: int = -1
    CROSSENTROPY, TARGET = True, "one_hot"


class CategoricalFocalCrossentropy(_Loss):
    name: Literal["categorical_focal_crossentropy"]
    alpha: NonNegativeFloat = 0.25
    gamma: NonNegativeFloat = 2.0
    from_logits: bool = False
    label_smoothing: LabelSmoothing = 0.0
    axis: int = -1
    CROSSENTROPY, TARGET = True, "one_hot"


class SparseCategoricalCrossentropy(_Loss):
    name: Literal["sparse_categorical_crossentropy"]
    from_logits: bool = False
    ignore_class: Optional[int] = None
    axis: int = -1
    CROSSENTROPY, TARGET = True, "integer"


class MeanSquaredError(_Loss):
    name: Literal["mean_squared_error", "mse"]


class MeanAbsoluteError(_Loss):
    name: Literal["mean_absolute_error", "mae"]


class MeanAbsolutePercentageError(_Loss):
    name: Literal["mean_absolute_percentage_error", "mape"]


class MeanSquaredLogarithmicError(_Loss):
    name: Literal["mean_squared_logarithmic_error", "msle"]


class Huber(_Loss):
    name: Literal["huber"]
    delta: Annotated[float, Field(gt=0)] = 1.0


class LogCosh(_Loss):
    name: Literal["log_cosh", "logcosh"]


class Poisson(_Loss):
    name: Literal["poisson"]


class KLDivergence(_Loss):
    name: Literal["kl_divergence", "kld"]
    TARGET = "distribution"


class CosineSimilarity(_Loss):
    name: Literal["cosine_similarity"]
    axis: int = -1


class Hinge(_Loss):
    name: Literal["hinge"]
    TARGET = "binary"


class SquaredHinge(_Loss):
    name: Literal["squared_hinge"]
    TARGET = "binary"


class CategoricalHinge(_Loss):
    name: Literal["categorical_hinge"]
    TARGET = "one_hot"


LOSSES = (
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, Poisson, KLDivergence, CosineSimilarity, Hinge,
    SquaredHinge, CategoricalHinge,
)
REGRESSION_LOSSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                     MeanSquaredLogarithmicError, Huber, LogCosh)
# Keras's spellings: its class names, and the abbreviations keras.losses.get reads.
LOSS_SPELLINGS = {**class_spellings(*LOSSES), "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
                  "KLD": "kld", "MAE": "mae", "MSE": "mse", "MAPE": "mape", "MSLE": "msle"}
Loss = by_name("Loss", *LOSSES, spellings=LOSS_SPELLINGS)
