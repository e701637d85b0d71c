"""Metrics, by Keras name, with the arguments of those that take any."""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field
from typing_extensions import Annotated

from nnconf.config.base import NamedSpec, PositiveInt, by_name

Threshold = Annotated[float, Field(ge=0, le=1)]


class PlainMetric(NamedSpec):
    """A metric without arguments."""

    NAME_CHOOSES: ClassVar[bool] = True

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
    NAME_CHOOSES: ClassVar[bool] = True
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
    NAME_CHOOSES: ClassVar[bool] = True
    name: Literal["precision", "recall"]
    thresholds: Union[Threshold, list[Threshold], None] = None
    top_k: Optional[PositiveInt] = None
    class_id: Optional[Annotated[int, Field(ge=0)]] = None


METRICS = (PlainMetric, BinaryAccuracy, TopKCategoricalAccuracy, AUC, PrecisionRecall)
# Keras's spellings: its metric class names, and the abbreviations keras.metrics.get reads. Keras's
# compile reads "accuracy" and "acc" in any case as the accuracy that fits the output.
METRIC_SPELLINGS = {
    "Accuracy": "accuracy", "ACCURACY": "accuracy", "Acc": "acc", "ACC": "acc",
    "BinaryAccuracy": "binary_accuracy", "CategoricalAccuracy": "categorical_accuracy",
    "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy", "AUC": "auc", "Precision": "precision",
    "Recall": "recall", "MeanSquaredError": "mean_squared_error", "RootMeanSquaredError": "root_mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error", "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error", "CosineSimilarity": "cosine_similarity",
    "LogCoshError": "log_cosh_error", "R2Score": "r2_score", "Hinge": "hinge", "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge", "KLDivergence": "kl_divergence", "Poisson": "poisson",
    "BinaryCrossentropy": "binary_crossentropy", "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy", "bce": "binary_crossentropy",
    "BCE": "binary_crossentropy", "MSE": "mse", "MAE": "mae", "MAPE": "mape", "MSLE": "msle",
}
Metric = by_name("Metric", *METRICS, spellings=METRIC_SPELLINGS)
THRESHOLDED = {"binary_accuracy", "precision", "recall"}
ACCURACIES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
              "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision", "recall"}
