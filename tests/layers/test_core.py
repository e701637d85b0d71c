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
