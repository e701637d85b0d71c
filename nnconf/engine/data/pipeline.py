"""tf.data pipelines over prepared data (TensorFlow is imported when one is made)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnconf.engine.data.base import Arrays

if TYPE_CHECKING:
    import tensorflow as tf


def make_dataset(x: Arrays, y: Arrays | None, *, batch_size: int, shuffle: bool, seed: int | None, cache: bool,
                 prefetch: bool) -> tf.data.Dataset:
    """A tf.data pipeline over in-memory arrays: (cache,) shuffle each epoch, batch, (prefetch).

    A model with one input (or output) gets a plain tensor rather than a dict, as Keras expects.
    """
    import tensorflow as tf

    def structure(arrays: Arrays):
        return next(iter(arrays.values())) if len(arrays) == 1 else dict(arrays)

    elements = structure(x) if y is None else (structure(x), structure(y))
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    if cache:
        dataset = dataset.cache()  # before shuffling, so each epoch is still shuffled anew
    if shuffle:
        samples = len(next(iter(x.values())))
        dataset = dataset.shuffle(max(samples, 1), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset
