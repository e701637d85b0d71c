import pytest

from nnconf.config.layers import ShapeError
from tests.keras_parity import assert_matches_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Dense", "units": 8, "activation": "relu"}, (4,)),
        ({"type": "Dense", "units": 3, "use_bias": False}, (5, 7)),
        ({"type": "Dense", "units": 2, "activation": {"name": "leaky_relu", "negative_slope": 0.1},
          "kernel_initializer": {"name": "random_normal", "stddev": 0.1}, "kernel_regularizer": "l2",
          "bias_constraint": "non_neg"}, (3,)),
        ({"type": "Activation", "activation": "tanh"}, (6, 2)),
        ({"type": "Dropout", "rate": 0.3, "seed": 1}, (10,)),
        ({"type": "Flatten"}, (4, 5, 3)),
        ({"type": "Flatten"}, (None, 5)),
        ({"type": "Embedding", "input_dim": 100, "output_dim": 16, "mask_zero": True}, (20,)),
    ],
)
def test_core_layers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def test_dense_needs_a_known_last_axis():
    with pytest.raises(ShapeError):
        parse_layer({"type": "Dense", "units": 2}).param_count((None,))


@pytest.mark.parametrize("noise_shape", [[None, 1, 4], [None, None, None], [1, 4], [4]])
def test_a_dropout_mask_that_broadcasts_keras_s_way_is_accepted(noise_shape):
    # Each of these trains in Keras; the refused ones below fail at Keras's first training step.
    assert_matches_keras({"type": "Dropout", "rate": 0.5, "noise_shape": noise_shape}, (10, 4))


@pytest.mark.parametrize("noise_shape", [[None, 1, 4, 1], [None, 3, 4], [None, 10], [None, 1], [2, 4], [None, 1, 5]])
def test_a_dropout_mask_that_cannot_broadcast_to_the_input_is_a_shape_error(noise_shape):
    with pytest.raises(ShapeError) as caught:
        parse_layer({"type": "Dropout", "rate": 0.5, "noise_shape": noise_shape}).output_shape((10, 4))
    assert caught.value.field == "noise_shape"
