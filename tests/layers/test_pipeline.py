"""Pipeline: several layers applied as one, against Keras."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer, weight_key
from tests.keras_parity import assert_matches_keras, parse_layer

AUGMENT = [{"type": "RandomFlip", "mode": "horizontal"}, {"type": "RandomRotation", "factor": 0.1}]


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Pipeline", "layers": AUGMENT}, (8, 8, 3)),
        ({"type": "Pipeline", "layers": [{"type": "Rescaling", "scale": 0.5}, {"type": "Resizing", "height": 4,
                                                                            "width": 4}]}, (8, 8, 3)),
        ({"type": "Pipeline", "layers": [{"type": "Normalization"}, {"type": "Dense", "units": 3},
                                         {"type": "Dense", "units": 2, "use_bias": False}]}, (5,)),
        ({"type": "Pipeline", "layers": [{"type": "Dense", "units": 3}, {"type": "BatchNormalization"}],
          "trainable": False}, (5,)),
        ({"type": "Pipeline", "layers": [{"type": "Dense", "units": 3, "trainable": False},
                                         {"type": "Dense", "units": 2}]}, (5,)),
    ],
)
def test_pipelines_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def test_pipeline_weights_are_named_by_position_and_set_inline():
    spec = parse_layer({"type": "Pipeline", "layers": [{"type": "Dense", "units": 2}, {"type": "Dense", "units": 1}]})
    assert sorted(spec.weight_shapes((3,))) == ["0_bias", "0_kernel", "1_bias", "1_kernel"]
    layer = make_layer(spec)
    layer(keras.Input(shape=(3,)))
    assert sorted(weight_key(layer, w) for w in layer.weights) == sorted(spec.weight_shapes((3,)))


def test_a_pipeline_acts_in_training_only_where_its_layers_do():
    layer = make_layer(parse_layer({"type": "Pipeline", "layers": [{"type": "RandomFlip", "seed": 1}]}))
    images = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape((2, 4, 4, 1))
    model = keras.Sequential([keras.Input(shape=(4, 4, 1)), layer])
    assert np.array_equal(model.predict(images, verbose=0), images)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Pipeline", "layers": [{"type": "Dense", "units": 3}, {"type": "Conv2D", "filters": 2,
                                                                          "kernel_size": 3}]}, (5,)),
        ({"type": "Pipeline", "layers": AUGMENT}, (8, 8)),
    ],
)
def test_a_layer_of_the_pipeline_that_cannot_take_its_input_is_a_shape_error(data, input_shape):
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == "layers"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Pipeline", "layers": []},
        {"type": "Pipeline", "layers": [{"type": "Add"}]},
        {"type": "Pipeline", "layers": [{"type": "Dense", "units": 2, "inputs": "x"}]},
        {"type": "Pipeline", "layers": [{"type": "Dens", "units": 2}]},
    ],
)
def test_invalid_pipelines(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
