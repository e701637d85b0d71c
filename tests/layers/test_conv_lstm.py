"""ConvLSTM1D, ConvLSTM2D and ConvLSTM3D against Keras."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "ConvLSTM1D", "filters": 3, "kernel_size": 2}, (4, 6, 2)),
        ({"type": "ConvLSTM1D", "filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True},
         (None, 6, 2)),
        ({"type": "ConvLSTM1D", "filters": 2, "kernel_size": 2, "data_format": "channels_first",
          "dilation_rate": 2, "use_bias": False}, (4, 2, 7)),
        ({"type": "ConvLSTM2D", "filters": 4, "kernel_size": 3}, (3, 8, 8, 1)),
        ({"type": "ConvLSTM2D", "filters": 4, "kernel_size": [3, 2], "strides": 2, "return_sequences": True,
          "recurrent_activation": "hard_sigmoid", "unit_forget_bias": False, "dropout": 0.1,
          "recurrent_dropout": 0.1, "seed": 1, "go_backwards": True}, (3, 9, 8, 2)),
        ({"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "data_format": "channels_first", "padding": "same",
          "kernel_regularizer": "l2", "recurrent_constraint": "max_norm", "trainable": False}, (None, 3, 6, 6)),
        ({"type": "ConvLSTM3D", "filters": 2, "kernel_size": 2}, (2, 3, 4, 5, 1)),
        ({"type": "ConvLSTM3D", "filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
         (2, 3, 4, 5, 1)),
    ],
)
def test_conv_lstm_matches_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def test_conv_lstm_computes_its_inferred_shape():
    spec = parse_layer({"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "strides": 2,
                        "return_sequences": True})
    outputs = make_layer(spec)(np.ones((1, 3, 9, 8, 2), "float32"))
    assert tuple(outputs.shape[1:]) == spec.output_shape((3, 9, 8, 2))


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3}, (8, 8, 1), None),
        ({"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3}, (3, None, 8, 1), None),
        ({"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3}, (3, 8, 8, None), None),
        ({"type": "ConvLSTM1D", "filters": 2, "kernel_size": 5}, (3, 4, 1), "kernel_size"),
    ],
)
def test_inputs_keras_cannot_build_either(data, input_shape, field):
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as error:
        spec.output_shape(input_shape)
    assert error.value.field == field
    with pytest.raises(ValueError):
        make_layer(spec)(keras.Input(shape=input_shape))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
        {"type": "ConvLSTM1D", "filters": 2, "kernel_size": 3, "padding": "causal"},
        {"type": "ConvLSTM3D", "filters": 2, "kernel_size": [2, 2]},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "return_state": True},
        {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "stateful": True},
        {"type": "ConvLSTM2D", "filters": 0, "kernel_size": 3},
        {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "dropout": 1.0},
        {"type": "Bidirectional", "layer": {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3}},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
