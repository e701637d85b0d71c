"""How nnconf's snake_case names map to Keras class names, shared by building and importing."""

from __future__ import annotations

# Keras classes whose names are not the CamelCase of nnconf's (Keras's own) snake_case names.
KERAS_CLASS_NAMES = {
    "kl_divergence": "KLDivergence", "sgd": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW", "auc": "AUC",
    "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy",
}


def keras_class_name(snake: str) -> str:
    """``glorot_uniform`` -> ``GlorotUniform``, ``l1_l2`` -> ``L1L2``, ``sgd`` -> ``SGD``."""
    return KERAS_CLASS_NAMES.get(snake) or "".join(part[:1].upper() + part[1:] for part in snake.split("_"))
