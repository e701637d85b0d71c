"""Metrics, by Keras name, with the arguments of those that take any."""

from typing import Literal, Optional, Union

from pydantic import Field
from typing_extensions import Annotated

from nnconf.config.base import NamedSpec, PositiveInt, by_name

Threshold = Annotated[float, Field(ge=0, le=1)]


class PlainMetric(NamedSpec):
    """A metric without arguments."""

    name: Literal[
        "accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy",
        "mean_squared_error", "mse", "mean_absolute_error", "mae", "mean_absolute_percentage_error", "mape",
        "mean_squared_logarithmic_error", "msle", "root_mean_squared_error", "rmse", "r2_score",
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
        "kl_divergence", "poisson", "log_cosh_error", "cosine_similarity", "hinge", "squared_hinge",
        "categorical_hinge",
    ]


class BinaryAccuracy(NamedSpec):
    name: Literal["binary_accuracy"]
    threshold: Threshold = 0.5


class TopKCategoricalAccuracy(NamedSpec):
    name: Literal["top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"]
    k: PositiveInt = 5


class AUC(NamedSpec):
    name: Literal["auc"]
    num_thresholds: Annotated[int, Field(gt=1)] = 200
    curve: Literal["ROC", "PR"] = "ROC"
    summation_method: Literal["interpolation", "minoring", "majoring"] = "interpolation"
    multi_label: bool = False
    num_labels: Optional[PositiveInt] = None
    from_logits: bool = False


class PrecisionRecall(NamedSpec):
    name: Literal["precision", "recall"]
    thresholds: Union[Threshold, list[Threshold], None] = None
    top_k: Optional[PositiveInt] = None
    class_id: Optional[Annotated[int, Field(ge=0)]] = None


METRICS = (PlainMetric, BinaryAccuracy, TopKCategoricalAccuracy, AUC, PrecisionRecall)
Metric = by_name("Metric", *METRICS)
THRESHOLDED = {"binary_accuracy", "precision", "recall"}
ACCURACIES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
              "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision", "recall"}
