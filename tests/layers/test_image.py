"""Image preprocessing and augmentation layers against Keras: shapes as built, the images they give in
training and inference, and the arguments Keras refuses."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import FAMILIES, ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer

# The arguments each image layer needs, for the tests that run every one of them.
REQUIRED = {
    "Resizing": {"height": 4, "width": 5}, "CenterCrop": {"height": 4, "width": 5},
    "RandomCrop": {"height": 4, "width": 5}, "RandomRotation": {"factor": 0.1}, "RandomZoom": {"height_factor": 0.1},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.2}, "RandomContrast": {"factor": 0.2},
    "RandomBrightness": {"factor": 0.2}, "RandomHue": {"factor": 0.2}, "RandomSaturation": {"factor": 0.2},
    "RandomSharpness": {"factor": 0.2}, "RandomColorDegeneration": {"factor": 0.2},
    "RandomPosterization": {"factor": 4},
    "MaxNumBoundingBoxes": {"max_number": 3},
}
IMAGE_LAYERS = FAMILIES["image"]


@pytest.mark.parametrize("layer_type", IMAGE_LAYERS)
@pytest.mark.parametrize(("input_shape", "data_format"), [((8, 6, 3), None), ((3, 8, None), "channels_first")])
def test_every_image_layer_matches_keras(layer_type, input_shape, data_format):
    data = {"type": layer_type, **REQUIRED.get(layer_type, {})}
    if data_format:
        data["data_format"] = data_format
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize("layer_type", IMAGE_LAYERS)
def test_images_keep_the_inferred_shape_in_training_and_inference(layer_type):
    spec = parse_layer({"type": layer_type, **REQUIRED.get(layer_type, {})})
    layer = make_layer(spec)
    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 6, 3)).astype("float32")
    assert tuple(layer(images, training=True).shape[1:]) == spec.output_shape((8, 6, 3))
    inferred = tuple(layer(images, training=False).shape[1:])
    if layer_type == "RandomCrop":  # Keras 3 passes images through uncropped in inference (documented)
        assert inferred == (8, 6, 3)
    else:
        assert inferred == spec.output_shape((8, 6, 3))


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Resizing", "height": 16, "width": 8, "interpolation": "nearest", "crop_to_aspect_ratio": True},
         (None, None, 3)),
        ({"type": "Resizing", "height": 3, "width": 3, "interpolation": "lanczos5", "pad_to_aspect_ratio": True,
          "fill_value": 1.0, "antialias": True}, (7, 5, 1)),
        ({"type": "CenterCrop", "height": 10, "width": 2}, (4, 4, 2)),
        ({"type": "RandomFlip", "mode": "horizontal", "seed": 3}, (5, 5, 1)),
        ({"type": "RandomRotation", "factor": [-0.2, 0.3], "fill_mode": "constant", "fill_value": 2.0,
          "interpolation": "nearest"}, (5, 5, 3)),
        ({"type": "RandomZoom", "height_factor": [-0.3, 0.2], "width_factor": 0.1, "fill_mode": "wrap"}, (5, 5, 3)),
        ({"type": "RandomTranslation", "height_factor": 1, "width_factor": [-1, 1], "fill_mode": "nearest"},
         (5, 5, 3)),
        ({"type": "RandomShear", "x_factor": [0.1, 0.3], "y_factor": [0, 1]}, (5, 5, 3)),
        ({"type": "RandomContrast", "factor": [0.1, 0.9], "value_range": [0, 1]}, (5, 5, 1)),
        ({"type": "RandomBrightness", "factor": -0.5, "value_range": [-1, 1], "seed": 0}, (5, 5, 1)),
        ({"type": "RandomPosterization", "factor": [2, 6]}, (5, 5, 3)),
        ({"type": "RandomGaussianBlur", "kernel_size": [3, 5], "sigma": [0.1, 0.9]}, (5, 5, 3)),
        ({"type": "RandomErasing", "scale": 0.5, "fill_value": [1.0, 2.0, 3.0]}, (5, 5, 3)),
        ({"type": "RandomErasing", "fill_value": 0.0}, (5, 5, 3)),
        ({"type": "RandomElasticTransform", "scale": [0.1, 0.2], "fill_mode": "mirror"}, (5, 5, 3)),
        ({"type": "RandomColorJitter", "brightness_factor": 0.1, "contrast_factor": 0.2, "saturation_factor": 0.5,
          "hue_factor": [0.1, 0.2]}, (5, 5, 3)),
        ({"type": "Solarization", "addition_factor": [0.1, 0.2], "threshold_factor": 0.5}, (5, 5, 3)),
        ({"type": "ContrastLimitedAdaptiveHistogramEqualization", "clip_limit": 2.0, "tile_grid_size": [2, 2]},
         (8, 8, 1)),
        ({"type": "AugMix", "num_chains": 2, "chain_depth": 1, "alpha": 0.5, "all_ops": False}, (8, 8, 3)),
        ({"type": "RandAugment", "num_ops": 1, "factor": [0.1, 0.5], "value_range": [0, 1]}, (8, 8, 3)),
    ],
)
def test_image_layer_arguments_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "RandomFlip"}, (8, 8)),
        ({"type": "Resizing", "height": 2, "width": 2}, (8,)),
        ({"type": "RandomContrast", "factor": 0.1}, (2, 8, 8, 3)),
        ({"type": "RandomHue", "factor": 0.1}, (8, 8, 1)),
        ({"type": "RandomSaturation", "factor": 0.1, "data_format": "channels_first"}, (1, 8, 8)),
        ({"type": "RandomColorDegeneration", "factor": 0.1}, (8, 8, 4)),
        ({"type": "RandomColorJitter", "hue_factor": 0.1}, (8, 8, 1)),
        ({"type": "RandomColorJitter", "saturation_factor": 0.1, "data_format": "channels_first"}, (3, 8, 8)),
    ],
)
def test_inputs_an_image_layer_cannot_take(data, input_shape):
    with pytest.raises(ShapeError):
        parse_layer(data).output_shape(input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "RandomHue", "factor": 0.1}, (4, 4, 1)),
        ({"type": "RandomSaturation", "factor": 0.1}, (4, 4, 2)),
        ({"type": "RandomColorJitter", "hue_factor": 0.1, "data_format": "channels_first"}, (3, 4, 4)),
    ],
)
def test_keras_fails_in_training_on_the_images_refused_for_lack_of_rgb(data, input_shape):
    images = np.ones((2, *input_shape), dtype="float32")
    with pytest.raises(Exception):
        make_layer(parse_layer(data))(images, training=True)


def test_colour_degeneration_on_gray_images_fails_in_keras_too():
    with pytest.raises(ValueError):
        keras.layers.RandomColorDegeneration(0.1)(keras.Input(shape=(4, 4, 1)))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "RandomRotation", "factor": 1.5},
        {"type": "RandomRotation", "factor": [2, 3]},
        {"type": "RandomRotation", "factor": [0.1, 0.2, 0.3]},
        {"type": "RandomRotation", "factor": 0.1, "fill_mode": "mirror"},
        {"type": "RandomRotation", "factor": 0.1, "interpolation": "bicubic"},
        {"type": "RandomZoom", "height_factor": -1.0},
        {"type": "RandomZoom", "height_factor": 0.1, "width_factor": [0.1, 1.5]},
        {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": -1.2},
        {"type": "RandomShear", "x_factor": -0.1},
        {"type": "RandomContrast", "factor": -0.1},
        {"type": "RandomBrightness", "factor": 1.1},
        {"type": "RandomBrightness", "factor": 0.1, "value_range": [0]},
        {"type": "RandomHue", "factor": [-2, -1.5]},
        {"type": "RandomSharpness", "factor": 2},
        {"type": "RandomPosterization", "factor": 9},
        {"type": "RandomPosterization", "factor": 0},
        {"type": "RandomInvert", "factor": 1.5},
        {"type": "RandomGrayscale", "factor": 1.5},
        {"type": "RandomGaussianBlur", "kernel_size": 4},
        {"type": "RandomGaussianBlur", "kernel_size": [3, 4]},
        {"type": "RandomGaussianBlur", "sigma": 2.0},
        {"type": "RandomErasing", "scale": 1.5},
        {"type": "RandomPerspective", "scale": 1.5},
        {"type": "RandomPerspective", "interpolation": "bicubic"},
        {"type": "RandomElasticTransform", "fill_mode": "edge"},
        {"type": "RandomElasticTransform", "factor": 3.0},
        {"type": "Solarization", "addition_factor": 1.5},
        {"type": "Solarization", "threshold_factor": [-0.5, 0.5]},
        {"type": "AutoContrast", "value_range": [0, 1, 2]},
        {"type": "AugMix", "factor": 2.0},
        {"type": "RandAugment", "factor": -1.0},
        {"type": "CutMix", "factor": 5.0},
        {"type": "RandomColorJitter", "contrast_factor": -0.5},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data, (ValueError, NotImplementedError, TypeError))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "RandomFlip", "mode": "diagonal"},  # Keras flips nothing
        # Keras fails at the first call on these:
        {"type": "Resizing", "height": 2, "width": 2, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
        {"type": "Resizing", "height": 2, "width": 2, "interpolation": "cubic"},
        {"type": "Resizing", "height": 2, "width": 2, "fill_mode": "reflect"},
        {"type": "Resizing", "height": 0, "width": 2},
        {"type": "RandomPosterization", "factor": 4.5},  # fails at the first call
        {"type": "RandomErasing", "fill_value": [1.0, 2.0]},
        {"type": "MixUp", "alpha": 0},
        {"type": "ContrastLimitedAdaptiveHistogramEqualization", "tile_grid_size": [8]},
    ],
)
def test_arguments_that_fail_later_in_keras_are_refused(data):
    with pytest.raises(ValidationError):
        parse_layer(data)


def _reloaded(layer: keras.layers.Layer, tmp_path) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layer])
    model.save(tmp_path / "model.keras")
    return keras.models.load_model(tmp_path / "model.keras")


def test_a_single_shear_factor_is_refused_as_keras_cannot_load_it_back(tmp_path):
    with pytest.raises(ValidationError):
        parse_layer({"type": "RandomShear", "x_factor": 0.2})
    with pytest.raises(Exception):
        _reloaded(keras.layers.RandomShear(x_factor=0.2), tmp_path)
    spec = parse_layer({"type": "RandomShear", "x_factor": [0.0, 0.2], "y_factor": 0})
    assert isinstance(_reloaded(make_layer(spec), tmp_path).layers[0], keras.layers.RandomShear)


def test_equalization_is_no_layer_type_as_keras_cannot_load_it_back(tmp_path):
    assert "Equalization" not in FAMILIES["image"]
    with pytest.raises(Exception):
        _reloaded(keras.layers.Equalization(), tmp_path)
