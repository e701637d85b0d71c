"""A prototype of the training-loop change the benchmark recommends, measured in its ``proposed``
rows and never used by nnconf itself (nnconf/engine/train.py owns the real loop).

nnconf's ``_Session._epochs`` concatenates every epoch's batches into one stream and passes
``steps_per_epoch``. Two costs follow:

* ``steps_per_execution`` > 1 works only where it divides the steps of an epoch (nnconf refuses any
  other): Keras runs each execution to its full length unless the data ends, so an execution that
  straddled an epoch's end would eat batches of the next epoch. Keras only stops an execution early
  at the end of the data. A default above 1 would refuse most data sets (sklearn digits, for one,
  has 41 steps of 32 samples: a prime).
* ``Dataset.shuffle`` with a buffer as large as the data set copies every sample into the buffer at
  the start of each epoch and then moves samples one element at a time.

The prototype gives Keras *one epoch* of batches per pass (``steps_per_epoch=None``), so Keras itself
ends each epoch's last execution early, and shuffles *indices* rather than samples: the order of
epoch ``e`` is ``stateless_shuffle(range(samples), seed=(seed, e))``, read from a variable that a
callback sets at the start of each epoch, so a resumed run still sees exactly the batches an
uninterrupted one would. Each batch is one ``tf.gather`` per array, and Keras's ``steps_per_execution``
may be anything: measured with 7 and 32, the history is identical to that of 1.
"""

from __future__ import annotations

import math


def use_prototype_loop() -> None:
    import keras
    import tensorflow as tf

    from nnconf.engine import train as training

    class EpochKey(keras.callbacks.Callback):
        """Sets the epoch the data pipeline shuffles for, before Keras starts that epoch's iterator."""

        def __init__(self, variable):
            super().__init__()
            self.variable = variable

        def on_epoch_begin(self, epoch, logs=None):
            self.variable.assign(epoch)

    keys: list = []

    def _epochs(self, first_epoch: int):
        config, prepared = self.config, self.prepared
        batch_size = config.training.batch_size
        samples = training._count(prepared.x_train)
        steps = math.ceil(samples / batch_size)
        seed = config.seed if config.seed is not None else 0
        x = tf.nest.map_structure(tf.convert_to_tensor, training._single(prepared.x_train))
        y = tf.nest.map_structure(tf.convert_to_tensor, training._single(prepared.y_train))
        epoch = tf.Variable(first_epoch, dtype=tf.int64, trainable=False)
        keys.append(EpochKey(epoch))

        def order(_):
            key = tf.stack([tf.constant(seed, tf.int64), epoch.read_value()])
            return tf.random.experimental.stateless_shuffle(tf.range(samples, dtype=tf.int64), seed=key)

        def gather(index):
            return (tf.nest.map_structure(lambda a: tf.gather(a, index), x),
                    tf.nest.map_structure(lambda a: tf.gather(a, index), y))

        # One gather per batch is cheap: a sequential map, overlapped with training by the prefetch,
        # leaves the cores to the training steps (a parallel map measured slower on two cores).
        dataset = (tf.data.Dataset.from_tensors(0).map(order).unbatch().batch(batch_size).map(gather)
                   .apply(tf.data.experimental.assert_cardinality(steps)))
        if config.training.prefetch:
            dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return self._sharded(dataset), None  # steps_per_epoch=None: Keras ends each epoch with its data

    fit = keras.Model.fit

    def keyed_fit(self, *positional, callbacks=None, **named):
        return fit(self, *positional, callbacks=[*keys, *(callbacks or [])], **named)

    keras.Model.fit = keyed_fit
    training._Session._epochs = _epochs
    # Today's loop refuses a steps_per_execution that does not divide an epoch's steps (it would shift
    # epochs there); with one epoch per pass, Keras ends each epoch's last execution early, so any is sound.
    training._Session._check_steps_per_execution = lambda self: None
