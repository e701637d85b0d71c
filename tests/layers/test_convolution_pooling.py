import pytest

from nnconf.config.layers import ShapeError
from tests.keras_parity import assert_matches_keras, parse_layer, refusal

CF = {"data_format": "channels_first"}


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Conv1D", "filters": 8, "kernel_size": 3}, (20, 4)),
        ({"type": "Conv1D", "filters": 4, "kernel_size": [5], "strides": 2, "padding": "same"}, (21, 3)),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 4}, (16, 2)),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "padding": "causal", "strides": 3}, (None, 2)),
        ({"type": "Conv1D", "filters": 6, "kernel_size": 2, "groups": 3, "use_bias": False}, (9, 6)),
        ({"type": "Conv1D", "filters": 5, "kernel_size": 3, "strides": 2, **CF}, (3, 11)),
        ({"type": "Conv2D", "filters": 16, "kernel_size": 3, "activation": "relu"}, (28, 28, 1)),
        ({"type": "Conv2D", "filters": 8, "kernel_size": [3, 5], "strides": [2, 1], "padding": "same"}, (15, 16, 3)),
        ({"type": "Conv2D", "filters": 8, "kernel_size": 3, "dilation_rate": [2, 3]}, (12, 13, 3)),
        ({"type": "Conv2D", "filters": 8, "kernel_size": 1, "groups": 4, "use_bias": False,
          "kernel_initializer": "he_normal", "kernel_regularizer": {"name": "l2", "l2": 0.001}}, (7, 7, 12)),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "strides": 2}, (None, None, 3)),
        ({"type": "Conv2D", "filters": 4, "kernel_size": [2, 3], "strides": 2, **CF}, (3, 10, 9)),
        ({"type": "Conv3D", "filters": 4, "kernel_size": 3}, (8, 9, 10, 2)),
        ({"type": "Conv3D", "filters": 6, "kernel_size": [1, 3, 3], "strides": [1, 2, 2], "padding": "same",
          "groups": 2}, (5, 9, 9, 4)),
        ({"type": "Conv3D", "filters": 2, "kernel_size": 2, "dilation_rate": [1, 2, 3], "use_bias": False,
          **CF}, (3, 6, 6, 7)),
        ({"type": "SeparableConv2D", "filters": 8, "kernel_size": 3}, (10, 10, 3)),
        ({"type": "SeparableConv2D", "filters": 8, "kernel_size": [3, 1], "depth_multiplier": 3, "strides": 2,
          "padding": "same", "use_bias": False, "pointwise_initializer": "he_uniform"}, (11, 10, 4)),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "dilation_rate": 2, "strides": 2}, (16, 16, 2)),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "depth_multiplier": 2, **CF}, (3, 9, 8)),
        ({"type": "DepthwiseConv2D", "kernel_size": 3}, (10, 10, 3)),
        ({"type": "DepthwiseConv2D", "kernel_size": [3, 5], "depth_multiplier": 4, "padding": "same",
          "strides": [1, 2], "use_bias": False}, (9, 9, 2)),
        ({"type": "DepthwiseConv2D", "kernel_size": 3, "dilation_rate": 2, "depthwise_constraint": "non_neg"},
         (None, 12, 5)),
        ({"type": "DepthwiseConv2D", "kernel_size": 2, "depth_multiplier": 2, **CF}, (3, 8, 7)),
        ({"type": "Conv2DTranspose", "filters": 8, "kernel_size": 3}, (7, 7, 4)),
        ({"type": "Conv2DTranspose", "filters": 8, "kernel_size": 2, "strides": 3}, (5, 6, 4)),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (7, 8, 3)),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": [3, 4], "strides": [2, 3], "padding": "same",
          "output_padding": [1, 0]}, (7, 8, 3)),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 5, "strides": 2, "output_padding": 1,
          "use_bias": False}, (None, 6, 3)),
        ({"type": "Conv2DTranspose", "filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
         (5, 6, 3)),
        ({"type": "Conv2DTranspose", "filters": 2, "kernel_size": 3, "strides": 2, **CF}, (3, 5, 6)),
        ({"type": "MaxPooling1D"}, (10, 3)),
        ({"type": "MaxPooling1D", "pool_size": 3, "strides": 1, "padding": "same"}, (None, 3)),
        ({"type": "MaxPooling2D"}, (28, 27, 8)),
        ({"type": "MaxPooling2D", "pool_size": [3, 2], "strides": [2, 1]}, (9, 9, 1)),
        ({"type": "MaxPooling2D", "pool_size": 3, "padding": "same", **CF}, (2, 10, 11)),
        ({"type": "MaxPooling3D"}, (8, 9, 10, 2)),
        ({"type": "MaxPooling3D", "pool_size": [1, 2, 3], "strides": 1, "padding": "same"}, (4, None, 6, 2)),
        ({"type": "AveragePooling1D", "pool_size": 4}, (17, 5)),
        ({"type": "AveragePooling1D", "pool_size": 2, "strides": 3, "padding": "same"}, (10, 5)),
        ({"type": "AveragePooling2D", "pool_size": 2}, (None, 9, 3)),
        ({"type": "AveragePooling2D", "pool_size": [2, 3], "strides": 1, **CF}, (3, 9, 9)),
        ({"type": "AveragePooling3D", "pool_size": 2, "padding": "same"}, (5, 6, 7, 2)),
        ({"type": "AveragePooling3D", "pool_size": [2, 2, 1], "strides": [1, 2, 1]}, (5, 6, 7, 2)),
        ({"type": "GlobalAveragePooling1D"}, (None, 6)),
        ({"type": "GlobalAveragePooling1D", "keepdims": True}, (10, 6)),
        ({"type": "GlobalAveragePooling1D", **CF}, (6, 10)),
        ({"type": "GlobalAveragePooling2D"}, (7, 7, 32)),
        ({"type": "GlobalAveragePooling2D", "keepdims": True, **CF}, (32, None, None)),
        ({"type": "GlobalMaxPooling1D", "keepdims": True}, (None, 4)),
        ({"type": "GlobalMaxPooling2D"}, (None, None, 3)),
        ({"type": "GlobalMaxPooling2D", "keepdims": True}, (5, 6, 3)),
    ],
)
def test_convolution_and_pooling_layers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3}, (28, 28)),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 3}, (5, 10, 3)),
        ({"type": "Conv3D", "filters": 4, "kernel_size": 3}, (8, 8, 8)),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3}, (8,)),
        ({"type": "DepthwiseConv2D", "kernel_size": 3}, (8, 8, 8, 3)),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 3}, (8, 8)),
        ({"type": "MaxPooling2D"}, (8, 8)),
        ({"type": "AveragePooling1D", "pool_size": 2}, (8, 8, 3)),
        ({"type": "GlobalAveragePooling2D"}, (8, 3)),
        ({"type": "GlobalMaxPooling1D"}, (8, 8, 3)),
    ],
)
def test_wrong_input_rank_is_a_shape_error(data, input_shape):
    with pytest.raises(ShapeError, match="expects inputs of rank"):
        parse_layer(data).output_shape(input_shape)


def test_image_without_channel_axis_gets_a_hint():
    with pytest.raises(ShapeError) as error:
        parse_layer({"type": "Conv2D", "filters": 4, "kernel_size": 3}).output_shape((28, 28))
    assert error.value.hint == "add a channel axis to the input shape, e.g. [28, 28, 1]"


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "Conv2D", "filters": 4, "kernel_size": 5}, (4, 10, 3), "kernel_size"),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "dilation_rate": 3}, (6, 3), "kernel_size"),
        ({"type": "DepthwiseConv2D", "kernel_size": [1, 4]}, (8, 3, 3), "kernel_size"),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, **CF}, (3, 2, 8), "kernel_size"),
        ({"type": "Conv3D", "filters": 4, "kernel_size": 3}, (8, 2, 8, 3), "kernel_size"),
        ({"type": "MaxPooling2D", "pool_size": 4}, (3, 9, 3), "pool_size"),
        ({"type": "AveragePooling1D", "pool_size": 6}, (5, 2), "pool_size"),
        ({"type": "MaxPooling3D"}, (4, 4, 1, 2), "pool_size"),
    ],
)
def test_window_larger_than_input_is_a_shape_error(data, input_shape, field):
    with pytest.raises(ShapeError, match="larger than the input") as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == field


def test_same_padding_takes_a_window_larger_than_input():
    assert_matches_keras({"type": "MaxPooling2D", "pool_size": 4, "padding": "same"}, (3, 9, 3))


def test_input_channels_must_split_into_groups():
    with pytest.raises(ShapeError, match="not a multiple of 2") as error:
        parse_layer({"type": "Conv2D", "filters": 4, "kernel_size": 3, "groups": 2}).output_shape((8, 8, 3))
    assert error.value.field == "groups"


@pytest.mark.parametrize("layer", ["Conv2D", "Conv2DTranspose", "SeparableConv2D"])
def test_convolutions_need_a_known_channel_count(layer):
    spec = parse_layer({"type": layer, "filters": 4, "kernel_size": 3})
    with pytest.raises(ShapeError, match="channel axis"):
        spec.param_count((8, 8, None))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "Conv2D", "filters": 4, "kernel_size": [3]}, "list of 2 ints"),
        ({"type": "Conv1D", "filters": 4, "kernel_size": [3, 3]}, "list of 1 ints"),
        ({"type": "Conv3D", "filters": 4, "kernel_size": 3, "strides": [1, 2]}, "list of 3 ints"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "dilation_rate": [1, 1, 1]}, "list of 2 ints"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "full"}, "allowed: 'valid', 'same'"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "causal"}, "allowed: 'valid', 'same'"),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 3, "padding": "full"}, "allowed: 'valid', 'same', 'causal'"),
        ({"type": "Conv2D", "filters": 0, "kernel_size": 3}, "filters should be greater than 0, found 0"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": [3, 0]}, "kernel_size should be greater than 0, found 0"),
        ({"type": "Conv2D", "filters": 4}, "missing required key 'kernel_size'"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3.0},
         "kernel_size should be an integer or a list, found 3.0"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "data_format": "NHWC"}, "channels_last"),
        ({"type": "Conv2D", "filters": 6, "kernel_size": 3, "groups": 4}, "multiple of groups"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "dilation_rate > 1"),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3, "depth_multiplier": 2}, "unknown key 'depth_multiplier'"),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "groups": 2}, "unknown key 'groups'"),
        ({"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "kernel_initializer": "zeros"},
         "unknown key 'kernel_initializer'"),
        ({"type": "DepthwiseConv2D", "kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier should be greater than 0"),
        ({"type": "DepthwiseConv2D", "kernel_size": 3, "filters": 4}, "unknown key 'filters'"),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2},
         "less than strides"),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 3, "output_padding": [0]}, "list of 2 ints"),
        ({"type": "Conv2DTranspose", "filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
         "dilation_rate > 1"),
        ({"type": "MaxPooling2D", "pool_size": [2, 2, 2]}, "list of 2 ints"),
        ({"type": "MaxPooling1D", "strides": 0}, "strides should be greater than 0, found 0"),
        ({"type": "AveragePooling2D"}, "missing required key 'pool_size'"),
        ({"type": "AveragePooling3D", "pool_size": 2, "padding": "causal"}, "allowed: 'valid', 'same'"),
        ({"type": "GlobalMaxPooling2D", "keepdims": "yes"}, "keepdims should be true or false, found 'yes'"),
        ({"type": "GlobalAveragePooling1D", "pool_size": 2}, "unknown key 'pool_size'"),
    ],
)
def test_invalid_arguments_are_rejected(data, message):
    assert message in refusal(data)


def test_int_or_list_arguments_keep_their_form():
    spec = parse_layer({"type": "Conv2D", "filters": 4, "kernel_size": [3, 5], "strides": 2})
    assert (spec.kernel_size, spec.strides, spec.dilation_rate) == ([3, 5], 2, 1)
    assert spec.model_dump(mode="json")["padding"] == "valid"
