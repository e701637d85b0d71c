import keras
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, parse_layer

# Keras warns on every use of LayerNormalization's deprecated rms_scaling; it is still a valid argument.
rms_scaling_warns = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "ReLU"}, (6,)),
        ({"type": "ReLU", "max_value": 6, "negative_slope": 0.1, "threshold": 0.5}, (4, 3)),
        ({"type": "LeakyReLU"}, (5,)),
        ({"type": "LeakyReLU", "negative_slope": 0.01}, (None, 3)),
        ({"type": "PReLU"}, (4, 3)),
        ({"type": "PReLU", "shared_axes": [1, 2], "alpha_initializer": {"name": "constant", "value": 0.25},
          "alpha_regularizer": "l2", "alpha_constraint": "non_neg"}, (8, 8, 3)),
        ({"type": "PReLU", "shared_axes": 1}, (None, 5)),
        ({"type": "PReLU", "shared_axes": [2]}, (4, 5, 6)),
        ({"type": "ELU"}, (3,)),
        ({"type": "ELU", "alpha": 0.5}, (2, 3)),
        ({"type": "Softmax"}, (10,)),
        ({"type": "Softmax", "axis": 1}, (4, 5)),
        ({"type": "Softmax", "axis": [1, 2]}, (4, 5)),
        ({"type": "BatchNormalization"}, (8,)),
        ({"type": "BatchNormalization", "axis": 1, "momentum": 0.9, "epsilon": 1e-5}, (3, 16, 16)),
        ({"type": "BatchNormalization", "axis": -2}, (None, 7, 2)),
        ({"type": "BatchNormalization", "center": False}, (4, 6)),
        ({"type": "BatchNormalization", "scale": False, "center": False}, (4, 6)),
        ({"type": "BatchNormalization", "gamma_initializer": {"name": "random_normal", "stddev": 0.02},
          "beta_regularizer": "l1", "gamma_constraint": "unit_norm", "moving_variance_initializer": "zeros",
          "synchronized": True, "trainable": False}, (5,)),
        ({"type": "BatchNormalization", "renorm": True, "renorm_clipping": {"rmax": 3.0, "rmin": 0.3, "dmax": 5.0},
          "renorm_momentum": 0.9}, (5, 4)),
        ({"type": "LayerNormalization"}, (None, 8)),
        ({"type": "LayerNormalization", "axis": [1, 2]}, (4, 5, 6)),
        ({"type": "LayerNormalization", "axis": [-1, 1]}, (4, 5, 6)),
        ({"type": "LayerNormalization", "axis": 1, "center": False}, (4, 5)),
        ({"type": "LayerNormalization", "scale": False, "epsilon": 1e-6, "beta_constraint": "max_norm"}, (6,)),
        pytest.param({"type": "LayerNormalization", "rms_scaling": True}, (4, 6), marks=rms_scaling_warns),
        pytest.param({"type": "LayerNormalization", "rms_scaling": True, "scale": False}, (6,),
                     marks=rms_scaling_warns),
        ({"type": "SpatialDropout1D", "rate": 0.2}, (None, 8)),
        ({"type": "SpatialDropout1D", "rate": 0.0, "seed": 3, "trainable": False}, (10, 4)),
        ({"type": "SpatialDropout2D", "rate": 0.5}, (8, 8, 3)),
        ({"type": "SpatialDropout2D", "rate": 0.1, "data_format": "channels_first", "seed": 1}, (3, None, 8)),
        ({"type": "GaussianNoise", "stddev": 0.1}, (4,)),
        ({"type": "GaussianNoise", "stddev": 0, "seed": 7}, (2, 3)),
        ({"type": "Rescaling", "scale": 1 / 255}, (32, 32, 3)),
        ({"type": "Rescaling", "scale": 1 / 127.5, "offset": -1}, (None, 3)),
    ],
)
def test_simple_layers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "SpatialDropout1D", "rate": 0.2}, (4, 5, 6), None),
        ({"type": "SpatialDropout1D", "rate": 0.2}, (4,), None),
        ({"type": "SpatialDropout2D", "rate": 0.2}, (4, 5), None),
        ({"type": "BatchNormalization", "axis": 3}, (3, 4), "axis"),
        ({"type": "BatchNormalization", "axis": -4}, (3, 4), "axis"),
        ({"type": "BatchNormalization", "axis": 0}, (3, 4), "axis"),
        ({"type": "LayerNormalization", "axis": [-3, -1]}, (4, 5), "axis"),
        ({"type": "LayerNormalization", "axis": [1, 4]}, (4, 5, 6), "axis"),
        ({"type": "PReLU", "shared_axes": [3]}, (4, 5), "shared_axes"),
    ],
)
def test_inputs_the_layer_cannot_take(data, input_shape, field):
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as error:
        spec.output_shape(input_shape)
    assert error.value.field == field
    with pytest.raises((ValueError, IndexError)):
        make_layer(spec)(keras.Input(shape=input_shape))


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "BatchNormalization", "axis": 1}, (None, 4)),
        ({"type": "LayerNormalization"}, (4, None)),
        ({"type": "PReLU"}, (None, 5)),
    ],
)
def test_weights_need_known_sizes(data, input_shape):
    spec = parse_layer(data)
    spec.output_shape(input_shape)
    with pytest.raises(ShapeError):
        spec.weight_shapes(input_shape)
    with pytest.raises(ValueError):  # Keras refuses as well (in its own words, which this test leaves alone)
        make_layer(spec)(keras.Input(shape=input_shape))


def test_softmax_axis_out_of_range():
    # Keras builds this without complaint and fails on the first call, so only the spec is checked.
    with pytest.raises(ShapeError) as error:
        parse_layer({"type": "Softmax", "axis": 3}).output_shape((3, 4))
    assert error.value.field == "axis"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "SpatialDropout1D", "rate": 1.0},
        {"type": "SpatialDropout2D", "rate": -0.1},
        {"type": "SpatialDropout1D", "rate": 0.2, "data_format": "channels_last"},
        {"type": "GaussianNoise", "stddev": -1},
        {"type": "GaussianNoise", "stddev": 1.5},
        {"type": "BatchNormalization", "momentum": "fast"},
        {"type": "BatchNormalization", "momentum": 1.5},
        {"type": "BatchNormalization", "epsilon": 0},
        {"type": "BatchNormalization", "axis": [1, 2]},
        {"type": "BatchNormalization", "renorm": True, "renorm_clipping": {"rmax": 0.5, "rmin": 1.0}},
        {"type": "BatchNormalization", "renorm_clipping": {"rmaxx": 3.0}},
        {"type": "LayerNormalization", "axis": []},
        {"type": "LayerNormalization", "center": "yes"},
        {"type": "ReLU", "max_value": -1},
        {"type": "ReLU", "alpha": 0.1},
        {"type": "LeakyReLU", "negative_slope": -0.2},
        {"type": "PReLU", "shared_axes": [0]},
        {"type": "Softmax", "axis": "last"},
        {"type": "Rescaling"},
        {"type": "Rescaling", "scale": 0.5, "bias": 1},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
