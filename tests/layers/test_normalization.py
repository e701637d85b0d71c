"""GroupNormalization, RMSNormalization, UnitNormalization and the SpectralNormalization wrapper against Keras."""

import keras
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer

DENSE = {"type": "Dense", "units": 3}


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "GroupNormalization", "groups": 4}, (8,)),
        ({"type": "GroupNormalization", "groups": 2, "axis": 1, "center": False}, (4, 5, 5)),
        ({"type": "GroupNormalization", "groups": -1, "scale": False, "epsilon": 1e-5}, (None, 6)),
        ({"type": "GroupNormalization", "groups": 1, "gamma_regularizer": "l2", "beta_constraint": "non_neg",
          "gamma_initializer": {"name": "random_normal", "stddev": 0.1}, "trainable": False}, (7, 3)),
        ({"type": "GroupNormalization", "groups": 3, "axis": -2}, (6, 2)),
        ({"type": "RMSNormalization"}, (None, 8)),
        ({"type": "RMSNormalization", "axis": [1, 2], "epsilon": 1e-5}, (3, 4)),
        ({"type": "RMSNormalization", "axis": [-1, 1]}, (3, 4, 5)),
        ({"type": "UnitNormalization"}, (None, 3)),
        ({"type": "UnitNormalization", "axis": [1, 2]}, (3, 4)),
        ({"type": "SpectralNormalization", "layer": DENSE}, (4,)),
        ({"type": "SpectralNormalization", "layer": {"type": "Dense", "units": 2, "use_bias": False},
          "power_iterations": 3}, (5, 4)),
        ({"type": "SpectralNormalization", "layer": {"type": "Conv2D", "filters": 2, "kernel_size": 3}}, (6, 6, 3)),
        ({"type": "SpectralNormalization", "layer": {"type": "DepthwiseConv2D", "kernel_size": 3}}, (6, 6, 3)),
        ({"type": "SpectralNormalization", "layer": {"type": "Embedding", "input_dim": 10, "output_dim": 4}}, (5,)),
        ({"type": "SpectralNormalization", "layer": DENSE, "trainable": False}, (4,)),
        ({"type": "SpectralNormalization", "layer": {**DENSE, "trainable": False}}, (4,)),
    ],
)
def test_normalization_layers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "GroupNormalization", "groups": 4}, (6,), "groups"),
        ({"type": "GroupNormalization", "groups": 8}, (4,), "groups"),
        ({"type": "GroupNormalization", "groups": 2}, (None,), None),
        ({"type": "GroupNormalization", "groups": 2, "axis": 2}, (4,), "axis"),
        ({"type": "RMSNormalization", "axis": 3}, (4, 5), "axis"),
        ({"type": "RMSNormalization"}, (None,), None),
        ({"type": "SpectralNormalization", "layer": {"type": "LSTM", "units": 2}}, (3, 4), "layer"),
        ({"type": "SpectralNormalization", "layer": {"type": "SeparableConv2D", "filters": 2, "kernel_size": 3}},
         (6, 6, 3), "layer"),
        ({"type": "SpectralNormalization", "layer": DENSE}, (None,), "layer"),
    ],
)
def test_inputs_keras_cannot_build_either(data, input_shape, field):
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as error:
        spec.output_shape(input_shape)
        spec.weight_shapes(input_shape)
    assert error.value.field == field
    with pytest.raises((ValueError, IndexError)):
        make_layer(spec)(keras.Input(shape=input_shape))


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "UnitNormalization", "axis": 0}, (4,)),
        ({"type": "RMSNormalization", "axis": [0, 1]}, (4,)),
        ({"type": "UnitNormalization", "axis": -3}, (4,)),
    ],
)
def test_axes_that_mix_samples_or_lie_outside_are_shape_errors(data, input_shape):
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == "axis"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "GroupNormalization", "groups": 0},
        {"type": "GroupNormalization", "groups": -2},
        {"type": "SpectralNormalization", "layer": DENSE, "power_iterations": 0},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "GroupNormalization", "axis": [1, 2]},
        {"type": "RMSNormalization", "epsilon": 0},
        {"type": "UnitNormalization", "axis": []},
        {"type": "SpectralNormalization", "layer": {"type": "TimeDistributed", "layer": DENSE}},
        {"type": "SpectralNormalization", "layer": {"type": "Add"}},
        {"type": "SpectralNormalization", "layer": {**DENSE, "weights": {"bias": [0, 0, 0]}}},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)


def test_spectral_normalization_state_is_not_trainable():
    spec = parse_layer({"type": "SpectralNormalization", "layer": DENSE})
    assert [name for name in spec.weight_shapes((4,)) if not spec.trainable_weight(name)] == ["vector_u"]
