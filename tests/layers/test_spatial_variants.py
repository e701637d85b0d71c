"""The 1D and 3D variants of the convolution, pooling, padding, cropping and upsampling layers, the
transposed, depthwise and separable convolutions, and adaptive pooling, against Keras."""

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
        ({"type": "Conv1DTranspose", "filters": 4, "kernel_size": 3}, (8, 2)),
        ({"type": "Conv1DTranspose", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (None, 2)),
        ({"type": "Conv1DTranspose", "filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 2,
          "use_bias": False}, (5, 3)),
        ({"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3, "dilation_rate": 2,
          "data_format": "channels_first"}, (3, 7)),
        ({"type": "Conv3DTranspose", "filters": 2, "kernel_size": 2, "strides": 2}, (3, 3, 3, 1)),
        ({"type": "Conv3DTranspose", "filters": 2, "kernel_size": [1, 2, 3], "strides": [1, 2, 2], "padding": "same",
          "output_padding": [0, 1, 1]}, (3, 4, 5, 2)),
        ({"type": "Conv3DTranspose", "filters": 3, "kernel_size": 3, "data_format": "channels_first",
          "activation": "relu", "kernel_regularizer": "l2"}, (2, 4, 4, 4)),
        ({"type": "DepthwiseConv1D", "kernel_size": 3}, (8, 2)),
        ({"type": "DepthwiseConv1D", "kernel_size": 3, "depth_multiplier": 3, "strides": 2, "padding": "same"},
         (None, 2)),
        ({"type": "DepthwiseConv1D", "kernel_size": 2, "dilation_rate": 2, "use_bias": False,
          "data_format": "channels_first", "depthwise_regularizer": "l1"}, (3, 9)),
        ({"type": "SeparableConv1D", "filters": 4, "kernel_size": 3}, (8, 2)),
        ({"type": "SeparableConv1D", "filters": 4, "kernel_size": 3, "depth_multiplier": 2, "strides": 2,
          "padding": "same", "use_bias": False}, (9, 3)),
        ({"type": "SeparableConv1D", "filters": 1, "kernel_size": 2, "dilation_rate": 3,
          "data_format": "channels_first", "pointwise_constraint": "non_neg"}, (2, 9)),
        ({"type": "GlobalAveragePooling3D"}, (3, 4, 5, 2)),
        ({"type": "GlobalAveragePooling3D", "keepdims": True, "data_format": "channels_first"}, (2, 3, None, 5)),
        ({"type": "GlobalMaxPooling3D"}, (3, 4, 5, 2)),
        ({"type": "GlobalMaxPooling3D", "keepdims": True}, (None, 4, 5, 2)),
        ({"type": "AdaptiveAveragePooling1D", "output_size": 3}, (8, 2)),
        ({"type": "AdaptiveAveragePooling2D", "output_size": [2, 3]}, (8, 8, 2)),
        ({"type": "AdaptiveAveragePooling2D", "output_size": 4, "data_format": "channels_first"}, (2, 8, 9)),
        ({"type": "AdaptiveAveragePooling3D", "output_size": [1, 2, 3]}, (4, 4, 4, 1)),
        ({"type": "AdaptiveMaxPooling1D", "output_size": 5}, (10, 2)),
        ({"type": "AdaptiveMaxPooling2D", "output_size": 2}, (5, 7, 3)),
        ({"type": "AdaptiveMaxPooling3D", "output_size": 2, "data_format": "channels_first"}, (1, 4, 4, 4)),
        ({"type": "UpSampling1D"}, (4, 3)),
        ({"type": "UpSampling1D", "size": 3}, (None, 3)),
        ({"type": "UpSampling3D"}, (2, 3, 4, 1)),
        ({"type": "UpSampling3D", "size": [1, 2, 3], "data_format": "channels_first"}, (1, 2, 3, None)),
        ({"type": "ZeroPadding1D"}, (4, 3)),
        ({"type": "ZeroPadding1D", "padding": [0, 3], "data_format": "channels_first"}, (3, 4)),
        ({"type": "ZeroPadding3D"}, (2, 3, 4, 1)),
        ({"type": "ZeroPadding3D", "padding": 2}, (2, None, 4, 1)),
        ({"type": "ZeroPadding3D", "padding": [1, [0, 2], 3], "data_format": "channels_first"}, (1, 2, 3, 4)),
        ({"type": "Cropping1D"}, (4, 3)),
        ({"type": "Cropping1D", "cropping": [0, 2]}, (None, 3)),
        ({"type": "Cropping1D", "cropping": 1}, (4, 3)),
        ({"type": "Cropping3D"}, (4, 5, 6, 1)),
        ({"type": "Cropping3D", "cropping": [[0, 1], 2, [1, 0]], "data_format": "channels_first"}, (1, 4, 5, 6)),
        ({"type": "Cropping3D", "cropping": 1}, (None, 5, 6, 2)),
    ],
)
def test_spatial_variants_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("alias", "data", "input_shape"),
    [
        ("Convolution1D", {"filters": 2, "kernel_size": 3}, (5, 2)),
        ("Convolution3DTranspose", {"filters": 2, "kernel_size": 2}, (2, 2, 2, 1)),
        ("SeparableConvolution1D", {"filters": 2, "kernel_size": 3}, (5, 2)),
        ("MaxPool2D", {}, (4, 4, 1)),
        ("AvgPool1D", {"pool_size": 2}, (4, 1)),
        ("GlobalAvgPool3D", {}, (2, 2, 2, 1)),
        ("GlobalMaxPool1D", {}, (4, 1)),
    ],
)
def test_keras_alias_names_read_as_the_class_they_name(alias, data, input_shape):
    spec = assert_matches_keras({"type": alias, **data}, input_shape)
    assert getattr(keras.layers, spec.type) is getattr(keras.layers, alias)


def test_adaptive_pooling_gives_its_output_size_whatever_the_input_size():
    spec = parse_layer({"type": "AdaptiveAveragePooling2D", "output_size": [2, 3]})
    layer = make_layer(spec)
    for rows, cols in ((8, 9), (3, 4), (2, 3)):
        assert tuple(layer(np.ones((1, rows, cols, 2), "float32")).shape[1:]) == spec.output_shape((None, None, 2))


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3}, (4, 3, 2), None),
        ({"type": "Conv3DTranspose", "filters": 2, "kernel_size": 3}, (4, 4, 4), None),
        ({"type": "DepthwiseConv1D", "kernel_size": 5}, (4, 2), "kernel_size"),
        ({"type": "SeparableConv1D", "filters": 2, "kernel_size": 3}, (8,), None),
        ({"type": "GlobalMaxPooling3D"}, (4, 4, 4), None),
        ({"type": "UpSampling1D"}, (4,), None),
        ({"type": "ZeroPadding3D"}, (4, 4, 4), None),
        ({"type": "Cropping1D", "cropping": [2, 2]}, (4, 3), "cropping"),
        ({"type": "Cropping3D", "cropping": [0, 3, 0], "data_format": "channels_first"}, (1, 4, 6, 6), "cropping"),
    ],
)
def test_inputs_the_layer_cannot_take(data, input_shape, field):
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as error:
        spec.output_shape(input_shape)
    assert error.value.field == field
    with pytest.raises((ValueError, IndexError)):
        make_layer(spec)(keras.Input(shape=input_shape))


def test_adaptive_pooling_of_the_wrong_rank_is_a_shape_error_where_keras_fails_at_the_first_call():
    spec = parse_layer({"type": "AdaptiveMaxPooling1D", "output_size": 2})
    with pytest.raises(ShapeError):
        spec.output_shape((4, 4, 4))
    with pytest.raises(Exception):
        make_layer(spec)(np.ones((1, 4, 4, 4), "float32"))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
        {"type": "Conv3DTranspose", "filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2},
        {"type": "Conv1DTranspose", "filters": 0, "kernel_size": 3},
        {"type": "DepthwiseConv1D", "kernel_size": 3, "depth_multiplier": 0},
        {"type": "SeparableConv1D", "filters": 2, "kernel_size": 0},
        {"type": "UpSampling1D", "size": 0},
        {"type": "UpSampling3D", "size": [2, 2]},
        {"type": "Cropping3D", "cropping": [1, 1]},
        {"type": "ZeroPadding3D", "padding": [[1, 1], [1, 1]]},
        {"type": "Cropping1D", "cropping": -1},
        {"type": "ZeroPadding1D", "padding": [1, 2, 3]},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3, "padding": "causal"},
        {"type": "DepthwiseConv1D", "kernel_size": 3, "padding": "causal"},
        {"type": "Conv3DTranspose", "filters": 2, "kernel_size": [2, 2]},
        {"type": "AdaptiveAveragePooling2D", "output_size": [1, 2, 3]},
        {"type": "AdaptiveMaxPooling1D", "output_size": 0},
        {"type": "ZeroPadding3D", "padding": -1},
        {"type": "Cropping1D", "data_format": "channels_first"},
        {"type": "UpSampling1D", "size": [2]},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
