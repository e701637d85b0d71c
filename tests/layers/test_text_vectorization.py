"""TextVectorization against Keras: its output shape and (zero) parameters on string inputs, and the
shapes and modes it refuses."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, parse_layer


@pytest.mark.parametrize("data", [
    {"type": "TextVectorization"},
    {"type": "TextVectorization", "max_tokens": 100, "output_sequence_length": 12},
    {"type": "TextVectorization", "ngrams": 2, "standardize": "lower", "output_sequence_length": 4},
    {"type": "TextVectorization", "ngrams": [1, 3], "split": "character", "standardize": None},
    {"type": "TextVectorization", "split": None, "vocabulary": ["good", "bad"], "output_sequence_length": 1},
])
def test_text_vectorization_matches_keras(data):
    assert_matches_keras(data, (1,), "string")


def test_text_vectorization_gives_the_ids_keras_does():
    spec = parse_layer({"type": "TextVectorization", "vocabulary": ["good", "bad", "film"],
                        "output_sequence_length": 4})
    texts = np.array([["A good film!"], ["bad, BAD"]], dtype=object)
    ids = keras.ops.convert_to_numpy(make_layer(spec)(texts))
    np.testing.assert_array_equal(ids, [[1, 2, 4, 0], [3, 3, 0, 0]])  # 1: 'a' is out of the vocabulary


@pytest.mark.parametrize("shape", [(), (3,), (1, 1)])
def test_text_vectorization_takes_one_text_per_sample(shape):
    with pytest.raises(ShapeError, match="takes one text per sample"):
        parse_layer({"type": "TextVectorization"}).output_shape(shape)


@pytest.mark.parametrize("data", [
    {"type": "TextVectorization", "output_mode": "multi_hot"},
    {"type": "TextVectorization", "max_tokens": 2},
    {"type": "TextVectorization", "split": "comma"},
    {"type": "TextVectorization", "vocabulary": []},
])
def test_text_vectorization_refuses(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
