"""tf.data pipelines over prepared data (TensorFlow is imported when one is made).

Inputs of a streaming source hold file paths; their preprocessing plan says how one is read
(``read: image`` or ``read: text``), and the pipeline reads them sample by sample, in parallel and
in order, so that only the batches in flight are ever in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from nnconf.config.source import SourceMap
from nnconf.engine.data.base import Arrays, Prepared
from nnconf.engine.data.errors import Where, quoted

if TYPE_CHECKING:
    import tensorflow as tf


def make_dataset(x: Arrays, y: Arrays | None, *, batch_size: int, shuffle: bool, seed: int | None, cache: bool,
                 prefetch: bool, preprocessing: dict | None = None) -> tf.data.Dataset:
    """A tf.data pipeline over in-memory arrays: (cache,) shuffle each epoch, read files, batch, (prefetch).

    A model with one input (or output) gets a plain tensor rather than a dict, as Keras expects.
    Inputs that the ``preprocessing`` plans read from files are read after caching: only their paths
    are cached, never the decoded samples, which would fill memory.
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
    reading = sample_reader(preprocessing, list(x))
    if reading is not None:
        dataset = dataset.map(reading, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size)
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset


def read_batches(preprocessing: dict | None, keys: list[str], batch_size: int) -> Callable[[tf.data.Dataset],
                                                                                           tf.data.Dataset]:
    """For ``Dataset.apply`` on batches of (x, y) whose streamed inputs are paths: the same batches, read.

    Batches of in-memory inputs pass unchanged. Files are read sample by sample in parallel, in order
    (as keras.utils.image_dataset_from_directory does), and batched again to the same boundaries.
    """
    reading = sample_reader(preprocessing, keys)
    if reading is None:
        return lambda dataset: dataset

    def read(dataset: tf.data.Dataset) -> tf.data.Dataset:
        import tensorflow as tf

        return dataset.unbatch().map(reading, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)

    return read


def sample_reader(preprocessing: dict | None, keys: list[str]) -> Callable | None:
    """A function for ``Dataset.map`` over samples (x, or (x, y)) with input names ``keys``, reading the
    inputs that hold paths; None where no input does."""
    plans = (preprocessing or {}).get("inputs", {})
    readers = {key: entry_reader(plans[key]) for key in keys if plans.get(key, {}).get("read")}
    if not readers:
        return None

    def read(x, *labels):
        if isinstance(x, dict):
            x = {key: readers[key](value) if key in readers else value for key, value in x.items()}
        else:
            x = readers[keys[0]](x)
        return (x, *labels) if labels else x

    return read


def entry_reader(plan: dict) -> Callable[[tf.Tensor], tf.Tensor]:
    """The TensorFlow function from one stored path to its prepared sample, as ``plan`` says."""
    import tensorflow as tf

    def image(path: tf.Tensor) -> tf.Tensor:
        # As keras.utils.image_dataset_from_directory loads an image: decoded by its content, then resized
        # (always, so that every image is float32 on the same scale) with bilinear interpolation.
        height, width = plan["image_size"]
        decoded = tf.io.decode_image(tf.io.read_file(path), channels=plan["channels"], expand_animations=False)
        resized = tf.image.resize(decoded, (height, width), method="bilinear")
        resized.set_shape((height, width, plan["channels"]))
        return resized

    load = {"image": image, "text": tf.io.read_file}[plan["read"]]

    def prepared(path: tf.Tensor) -> tf.Tensor:
        sample = load(path)
        if plan.get("reshape") is not None:
            sample = tf.reshape(sample, [-1 if d is None else d for d in plan["reshape"]])
        if plan.get("scale") is not None:
            sample = sample / tf.constant(plan["scale"], tf.float32)
        return sample

    return prepared


def read_sample(paths: np.ndarray, plan: dict, count: int, where: Where) -> np.ndarray:
    """The first ``count`` of ``paths`` read and prepared as training reads them (for describing the data);
    a file TensorFlow cannot read is named by path."""
    import tensorflow as tf

    reader = entry_reader(plan)
    samples = []
    for path in paths[:count]:
        try:
            samples.append(reader(tf.constant(path)).numpy())
        except tf.errors.OpError as error:
            raise where.error(("data", "path"), f"{quoted(path)} cannot be read by TensorFlow "
                              f"({error.message.splitlines()[0][:200]})",
                              hint="replace or remove the file") from None
    return np.stack(samples)


# What a plan holds to read an input's files, besides the keys every plan has.
READER_KEYS = frozenset({"read", "image_size", "channels", "columns"})


def valid_reader(plan: dict) -> bool:
    """Whether a plan's reader settings (if any) are ones nnconf writes: a run's preprocessing.json is checked
    with this before it prepares new inputs."""
    kind = plan.get("read")
    if "columns" in plan:
        return kind is None and _valid_columns(plan["columns"])
    if kind is None:
        return not (set(plan) & READER_KEYS)
    if kind == "text":
        return set(plan) & READER_KEYS == {"read"} and plan.get("dtype") == "string"
    size, channels = plan.get("image_size"), plan.get("channels")
    return (kind == "image" and isinstance(size, list) and len(size) == 2
            and all(type(d) is int and 0 < d < 2**16 for d in size) and channels in (1, 3, 4))


def _valid_columns(columns) -> bool:
    """Table columns as a plan lists them: each a name and kind, a category with its known values."""
    return isinstance(columns, list) and bool(columns) and all(
        isinstance(column, dict) and isinstance(column.get("name"), str) and (
            (column.get("kind") == "number" and set(column) == {"name", "kind"}) or
            (column.get("kind") == "category" and set(column) == {"name", "kind", "values"} and
             isinstance(column["values"], list) and all(isinstance(value, str) for value in column["values"])))
        for column in columns)


def readable(prepared: Prepared, settings, seed: int | None) -> tuple[Arrays, Arrays]:
    """The training inputs and labels for training.diagnostics: as they are, or where inputs are files, the
    ``settings.samples`` the monitor draws (with its seeded choice), read into memory."""
    plans = prepared.preprocessing["inputs"]
    x, y = prepared.x_train, prepared.y_train
    if settings is None or not any(plan.get("read") for plan in plans.values()):
        return x, y
    count = len(next(iter(x.values())))
    index = np.sort(np.random.default_rng(seed if seed is not None else 0).permutation(count)[:settings.samples])
    where = Where(prepared.source or SourceMap())
    chosen = {key: value[index] for key, value in x.items()}
    read = {key: read_sample(value, plans[key], len(index), where) if plans[key].get("read") else value
            for key, value in chosen.items()}
    return read, {key: value[index] for key, value in y.items()}
