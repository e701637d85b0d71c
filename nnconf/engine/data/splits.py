"""Splitting the samples into training, validation and test sets, seeded."""

from __future__ import annotations

import numpy as np

from nnconf.config.model import Config
from nnconf.engine.data.base import Arrays, Raw
from nnconf.engine.data.errors import Where


def take(arrays: Arrays, index: np.ndarray) -> Arrays:
    return {key: np.asarray(value)[index] for key, value in arrays.items()}


def split(raw: Raw, config: Config, where: Where):
    """(train, val, test) as (x, y) pairs; val and test None when empty."""
    data = config.data
    rng = np.random.default_rng(config.seed)
    n = len(next(iter(raw.x.values())))
    order = rng.permutation(n) if data.shuffle else np.arange(n)
    test = None
    if raw.x_test is not None:
        if len(next(iter(raw.x_test.values()))):
            test = (dict(raw.x_test), dict(raw.y_test))
        pool = order
    else:
        n_test = int(round(n * data.test_split))
        pool, test_index = order[:n - n_test], order[n - n_test:]
        if n_test:
            test = (take(raw.x, test_index), take(raw.y, test_index))
    n_val = int(round(len(pool) * data.validation_split))
    train_index, val_index = pool[:len(pool) - n_val], pool[len(pool) - n_val:]
    if data.max_samples is not None:
        train_index = train_index[:data.max_samples]
    if len(train_index) == 0:
        raise where.error(("data",), f"no training samples are left of {n}: data.test_split and "
                          "data.validation_split take them all", hint="lower the splits, or use more data")
    val = (take(raw.x, val_index), take(raw.y, val_index)) if n_val else None
    return (take(raw.x, train_index), take(raw.y, train_index)), val, test
