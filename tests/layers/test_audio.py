"""MelSpectrogram and STFTSpectrogram against Keras."""

import keras
import numpy as np
import pytest
import scipy.signal
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.config.layers.audio import Window
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "MelSpectrogram"}, (16000,)),
        ({"type": "MelSpectrogram", "fft_length": 256, "sequence_stride": 100, "num_mel_bins": 16}, (1000,)),
        ({"type": "MelSpectrogram", "fft_length": 256, "sequence_length": 200, "window": "hamming",
          "sampling_rate": 8000, "min_freq": 0.0, "max_freq": 3000.0, "power_to_db": False, "mag_exp": 1.0},
         (None,)),
        ({"type": "STFTSpectrogram"}, (1000, 1)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "mode": "stft"}, (100, 2)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "mode": "real", "frame_step": 4}, (100, 2)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "mode": "imag", "fft_length": 64, "window": None}, (100, 1)),
        ({"type": "STFTSpectrogram", "frame_length": 20, "mode": "psd", "padding": "same", "scaling": None,
          "periodic": True, "window": "blackman"}, (None, 3)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "expand_dims": True, "mode": "angle"}, (100, 2)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "data_format": "channels_first", "mode": "magnitude"},
         (2, 100)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "data_format": "channels_first", "expand_dims": True,
          "trainable": False}, (2, 100)),
    ],
)
def test_spectrograms_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "MelSpectrogram", "fft_length": 256, "sequence_stride": 100, "num_mel_bins": 16}, (1000,)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "expand_dims": True}, (100, 2)),
        ({"type": "STFTSpectrogram", "frame_length": 16, "data_format": "channels_first"}, (2, 100)),
    ],
)
def test_spectrograms_compute_their_inferred_shape(data, input_shape):
    spec = parse_layer(data)
    outputs = make_layer(spec)(np.zeros((1, *input_shape), "float32"))
    assert tuple(outputs.shape[1:]) == spec.output_shape(input_shape)


def test_a_mel_frame_count_keras_gets_wrong_is_a_shape_error():
    data = {"type": "MelSpectrogram", "fft_length": 256, "sequence_stride": 100, "num_mel_bins": 16}
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape((999,))
    assert error.value.field == "sequence_stride"
    layer = make_layer(parse_layer(data))
    assert layer(keras.Input(shape=(999,))).shape[2] != layer(np.zeros((1, 999), "float32")).shape[2]


@pytest.mark.parametrize("window", Window.__args__)
def test_every_window_name_is_one_keras_takes(window):
    scipy.signal.get_window(window, 4)
    keras.layers.STFTSpectrogram(window=window)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "MelSpectrogram"}, (100, 1)),
        ({"type": "STFTSpectrogram"}, (100,)),
        ({"type": "STFTSpectrogram", "frame_length": 64}, (32, 1)),
    ],
)
def test_inputs_a_spectrogram_cannot_take(data, input_shape):
    with pytest.raises(ShapeError):
        parse_layer(data).output_shape(input_shape)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "MelSpectrogram", "fft_length": 256, "sequence_length": 512},
        {"type": "STFTSpectrogram", "frame_length": 16, "frame_step": 32},
        {"type": "STFTSpectrogram", "frame_length": 16, "fft_length": 8},
        {"type": "STFTSpectrogram", "mode": "power"},
        {"type": "STFTSpectrogram", "scaling": "energy"},
        {"type": "STFTSpectrogram", "padding": "causal"},
        {"type": "STFTSpectrogram", "window": "no_such_window"},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "MelSpectrogram", "window": "blackman"},
        {"type": "MelSpectrogram", "num_mel_bins": 0},
        {"type": "MelSpectrogram", "min_freq": -1.0},
        {"type": "STFTSpectrogram", "frame_step": 0},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
