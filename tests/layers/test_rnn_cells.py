"""RNN of a given cell (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) against Keras."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import LAYER_CLASSES, ShapeError
from nnconf.config.layers.cells import CELL_CLASSES
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, parse_layer

STACK = {"type": "StackedRNNCells", "cells": [{"type": "LSTMCell", "units": 3}, {"type": "GRUCell", "units": 2}]}


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "RNN", "cell": {"type": "SimpleRNNCell", "units": 3}}, (5, 4)),
        ({"type": "RNN", "cell": {"type": "LSTMCell", "units": 3, "unit_forget_bias": False,
                                  "recurrent_activation": "hard_sigmoid", "dropout": 0.1, "seed": 1},
          "return_sequences": True}, (None, 4)),
        ({"type": "RNN", "cell": {"type": "GRUCell", "units": 2, "reset_after": False, "use_bias": False},
          "go_backwards": True, "unroll": True}, (5, 4)),
        ({"type": "RNN", "cell": {"type": "GRUCell", "units": 2, "kernel_regularizer": "l2",
                                  "recurrent_initializer": "glorot_uniform"}, "zero_output_for_mask": True}, (5, 4)),
        ({"type": "RNN", "cell": STACK, "return_sequences": True}, (5, 4)),
        ({"type": "RNN", "cell": {"type": "StackedRNNCells", "cells": [{"type": "SimpleRNNCell", "units": 3},
                                                                       {"type": "SimpleRNNCell", "units": 2}]}},
         (5, 4)),
        ({"type": "RNN", "cell": {"type": "StackedRNNCells", "cells": [
            {"type": "SimpleRNNCell", "units": 3, "trainable": False}, {"type": "LSTMCell", "units": 2}]}}, (5, 4)),
        ({"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}, "trainable": False}, (5, 4)),
    ],
)
def test_rnn_of_a_cell_matches_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def test_an_rnn_of_a_cell_computes_what_the_layer_of_that_cell_computes():
    rnn = make_layer(parse_layer({"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}}))
    lstm = keras.layers.LSTM(3)
    sequences = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    rnn(sequences), lstm(sequences)
    lstm.set_weights(rnn.get_weights())
    np.testing.assert_allclose(rnn(sequences), lstm(sequences), rtol=1e-5, atol=1e-6)


def test_cells_are_no_layer_types():
    assert not set(CELL_CLASSES) & set(LAYER_CLASSES)
    with pytest.raises(ValidationError):
        parse_layer({"type": "LSTMCell", "units": 3})


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}}, (4,), None),
        ({"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}, "unroll": True}, (None, 4), "unroll"),
    ],
)
def test_inputs_an_rnn_cannot_take(data, input_shape, field):
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == field


@pytest.mark.parametrize(
    "data",
    [
        {"type": "RNN"},
        {"type": "RNN", "cell": {"type": "LSTM", "units": 3}},
        {"type": "RNN", "cell": {"type": "LSTMCell"}},
        {"type": "RNN", "cell": {"type": "LSTMCell", "units": 3, "return_sequences": True}},
        {"type": "RNN", "cell": {"type": "StackedRNNCells", "cells": []}},
        {"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}, "return_state": True},
        {"type": "RNN", "cell": {"type": "LSTMCell", "units": 3}, "stateful": True},
        {"type": "RNN", "cell": {"type": "GRUCell", "units": 3, "dropout": 1.0}},
    ],
)
def test_invalid_rnns(data):
    with pytest.raises(ValidationError):
        parse_layer(data)


def test_cells_made_in_python_make_an_rnn():
    from nnconf.layers import CELLS, RNN, LSTMCell, StackedRNNCells

    assert set(CELLS) == set(CELL_CLASSES)
    rnn = RNN(StackedRNNCells([LSTMCell(3), LSTMCell(2)]), return_sequences=True)
    assert rnn.output_shape((5, 4)) == (5, 2)
