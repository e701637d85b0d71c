"""Preprocessing layers against Keras: Normalization, Discretization and the categorical layers, built
on inputs of the dtype each takes (strings, integers) as Keras builds them."""

import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape", "dtype"),
    [
        ({"type": "Normalization"}, (3,), "float32"),
        ({"type": "Normalization", "axis": [1, 2]}, (3, 4), "float32"),
        ({"type": "Normalization", "axis": [-1, 1], "invert": True}, (3, 4, 5), "float32"),
        ({"type": "Normalization", "axis": None}, (3, None), "float32"),
        ({"type": "Normalization", "axis": []}, (3,), "float32"),
        ({"type": "Normalization", "mean": 1.0, "variance": 2.0}, (3,), "float32"),
        ({"type": "Normalization", "mean": [1.0, 2, 3], "variance": [1.0, 2, 3]}, (None, 3), "float32"),
        ({"type": "Normalization", "axis": [1, 2], "mean": [[1.0], [2]], "variance": [[1.0], [2]]}, (2, 3), "float32"),
        ({"type": "Normalization", "trainable": False}, (2,), "float32"),
        ({"type": "Discretization", "bin_boundaries": [0.0, 1.0]}, (3,), "float32"),
        ({"type": "Discretization", "bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, (3,), "float32"),
        ({"type": "Discretization", "bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, (3, 1), "float32"),
        ({"type": "Discretization", "bin_boundaries": [-1.5], "output_mode": "multi_hot"}, (3,), "float32"),
        ({"type": "Discretization", "bin_boundaries": [0.0, 1.0], "output_mode": "count"}, (4, 3), "float32"),
        ({"type": "Discretization", "num_bins": 4, "epsilon": 0.1, "output_mode": "count"}, (3,), "float32"),
        ({"type": "CategoryEncoding", "num_tokens": 5}, (3,), "int32"),
        ({"type": "CategoryEncoding", "num_tokens": 5, "output_mode": "one_hot"}, (1,), "int32"),
        ({"type": "CategoryEncoding", "num_tokens": 5, "output_mode": "one_hot"}, (2, 3), "int64"),
        ({"type": "CategoryEncoding", "num_tokens": 5, "output_mode": "count"}, (None,), "int32"),
        ({"type": "Hashing", "num_bins": 5}, (3,), "string"),
        ({"type": "Hashing", "num_bins": 5, "output_mode": "one_hot"}, (1,), "int32"),
        ({"type": "Hashing", "num_bins": 5, "output_mode": "multi_hot"}, (3,), "string"),
        ({"type": "Hashing", "num_bins": 5, "salt": [1, 2], "mask_value": "x"}, (2, 3), "string"),
        ({"type": "Hashing", "num_bins": 3, "salt": 7, "mask_value": 0, "output_mode": "count"}, (4,), "int64"),
        ({"type": "HashedCrossing", "num_bins": 5}, [(1,), (1,)], "int32"),
        ({"type": "HashedCrossing", "num_bins": 5, "output_mode": "one_hot"}, [(1,), (1,)], "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b", "c"]}, (3,), "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b", "c"], "output_mode": "one_hot"}, (1,), "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b"], "output_mode": "one_hot", "mask_token": ""},
         (2,), "string"),
        ({"type": "StringLookup", "vocabulary": ["", "[UNK]", "a"], "mask_token": "", "output_mode": "int"},
         (2,), "string"),
        ({"type": "StringLookup", "vocabulary": ["[UNK]", "a", "b", "c"], "output_mode": "count"}, (4,), "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b", "c"], "num_oov_indices": 3, "output_mode": "multi_hot"},
         (4,), "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b", "c"], "output_mode": "tf_idf",
          "idf_weights": [1.0, 2, 3]}, (4,), "string"),
        ({"type": "StringLookup", "max_tokens": 10, "pad_to_max_tokens": True, "output_mode": "multi_hot"},
         (4,), "string"),
        ({"type": "StringLookup", "output_mode": "multi_hot"}, (4,), "string"),
        ({"type": "StringLookup", "vocabulary": ["a", "b"], "invert": True, "oov_method": "farmhash", "salt": 3},
         (4,), "int64"),
        ({"type": "IntegerLookup", "vocabulary": [3, 5, 7], "num_oov_indices": 2, "mask_token": 0}, (4,), "int64"),
        ({"type": "IntegerLookup", "vocabulary": [3, 5, 7], "output_mode": "one_hot", "oov_method": "farmhash",
          "salt": [1, 2]}, (1,), "int64"),
        ({"type": "IntegerLookup", "max_tokens": 4, "num_oov_indices": 0}, (None,), "int64"),
    ],
)
def test_preprocessing_layers_match_keras(data, input_shape, dtype):
    assert_matches_keras(data, input_shape, dtype)


def _sample(shape, dtype):
    if dtype == "string":
        return np.full((2, *shape), "a")
    return np.ones((2, *shape), dtype=dtype)


@pytest.mark.parametrize(
    ("data", "input_shape", "dtype"),
    [
        ({"type": "CategoryEncoding", "num_tokens": 4, "output_mode": "one_hot"}, (3,), "int32"),
        ({"type": "Discretization", "bin_boundaries": [0.5], "output_mode": "count"}, (4, 3), "float32"),
        ({"type": "Hashing", "num_bins": 5, "output_mode": "one_hot"}, (1,), "int32"),
        ({"type": "StringLookup", "vocabulary": ["a"], "output_mode": "multi_hot"}, (3,), "string"),
        ({"type": "HashedCrossing", "num_bins": 4, "output_mode": "one_hot"}, [(1,), (1,)], "int64"),
    ],
)
def test_encoded_outputs_have_the_inferred_shape(data, input_shape, dtype):
    # Keras's own inferred shape of some encodings differs from what they compute; these agree.
    spec = parse_layer(data)
    several = isinstance(input_shape, list)
    values = [_sample(s, dtype) for s in input_shape] if several else _sample(input_shape, dtype)
    assert tuple(make_layer(spec)(values).shape[1:]) == spec.output_shape(input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "Normalization", "axis": 2}, (3,), "axis"),
        ({"type": "Normalization", "axis": 0}, (3,), "axis"),
        ({"type": "Normalization"}, (None,), "axis"),
        ({"type": "Normalization", "mean": [1.0, 2.0], "variance": [1.0, 1.0]}, (3,), "mean"),
        # Keras infers (depth,) or drops an axis here, but encodes another shape.
        ({"type": "CategoryEncoding", "num_tokens": 4}, (2, 3), "output_mode"),
        ({"type": "StringLookup", "vocabulary": ["a"], "output_mode": "count"}, (2, 3), "output_mode"),
        ({"type": "Hashing", "num_bins": 4, "output_mode": "one_hot"}, (3,), "output_mode"),
        ({"type": "Hashing", "num_bins": 4, "output_mode": "multi_hot"}, (2, 3), "output_mode"),
        ({"type": "HashedCrossing", "num_bins": 4}, [(1,), (2,)], "inputs"),
        ({"type": "HashedCrossing", "num_bins": 4}, [(2,), (2,)], "inputs"),
        ({"type": "HashedCrossing", "num_bins": 4}, [(1,), (1,), (1,)], "inputs"),
    ],
)
def test_inputs_a_preprocessing_layer_cannot_take(data, input_shape, field):
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == field


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Normalization", "mean": 1.0},
        {"type": "Normalization", "mean": [1.0, 2.0], "variance": [1.0]},
        {"type": "Normalization", "axis": -1, "mean": [[1.0]], "variance": [[1.0]]},
        {"type": "Discretization"},
        {"type": "Discretization", "bin_boundaries": [1.0], "num_bins": 2},
        {"type": "Discretization", "num_bins": -1},
        {"type": "Discretization", "num_bins": 2, "output_mode": "tf_idf"},
        {"type": "Discretization", "bin_boundaries": [1.0], "sparse": True, "output_mode": "int"},
        {"type": "CategoryEncoding"},
        {"type": "CategoryEncoding", "num_tokens": 0},
        {"type": "CategoryEncoding", "num_tokens": 3, "output_mode": "int"},
        {"type": "Hashing", "num_bins": 0},
        {"type": "Hashing", "num_bins": 3, "output_mode": "tf_idf"},
        {"type": "Hashing", "num_bins": 3, "salt": [1, 2, 3]},
        {"type": "HashedCrossing", "num_bins": 3, "output_mode": "multi_hot"},
        {"type": "StringLookup", "max_tokens": 1},
        {"type": "StringLookup", "pad_to_max_tokens": True},
        {"type": "StringLookup", "num_oov_indices": -1},
        {"type": "StringLookup", "oov_method": "md5"},
        {"type": "StringLookup", "invert": True, "output_mode": "one_hot"},
        {"type": "StringLookup", "idf_weights": [1.0]},
        {"type": "StringLookup", "vocabulary": ["a"], "output_mode": "tf_idf"},
        {"type": "StringLookup", "vocabulary": ["a"], "idf_weights": [1.0, 2.0], "output_mode": "tf_idf"},
        {"type": "StringLookup", "vocabulary": ["a", "b", "a"]},
        {"type": "StringLookup", "vocabulary": ["a", "", "b"], "mask_token": ""},
        {"type": "StringLookup", "vocabulary": ["", "[UNK]", "a"], "mask_token": "", "output_mode": "multi_hot"},
        {"type": "StringLookup", "vocabulary": ["a", "[UNK]"], "invert": True},
        {"type": "StringLookup", "vocabulary": ["a", "b", "c"], "max_tokens": 3},
        {"type": "IntegerLookup", "salt": 3},
        {"type": "IntegerLookup", "vocabulary_dtype": "int32"},
        {"type": "IntegerLookup", "vocabulary": [1, 1]},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Normalization", "mean": [0.0, 1.0], "variance": [1.0, -1.0]},
        {"type": "Normalization", "mean": [[0.0], [1.0, 2.0]], "variance": [[0.0], [1.0, 2.0]]},
        {"type": "Discretization", "bin_boundaries": [1.0, 0.0]},
        {"type": "Discretization", "bin_boundaries": []},
        {"type": "CategoryEncoding", "num_tokens": 3, "sparse": True},
        {"type": "Hashing", "num_bins": 3, "output_mode": "count", "sparse": True},
        {"type": "StringLookup", "vocabulary": []},
        {"type": "StringLookup", "vocabulary": "vocabulary.txt"},
        {"type": "IntegerLookup", "vocabulary": ["a"]},
    ],
)
def test_arguments_that_fail_later_in_keras_are_refused(data):
    # A negative variance or unsorted boundaries give NaNs or fail at the first call; a sparse output
    # needs layers that take it; a vocabulary file would be read from the disk.
    with pytest.raises(ValidationError):
        parse_layer(data)


def test_an_unadapted_lookup_has_an_unknown_encoded_size():
    spec = parse_layer({"type": "StringLookup", "output_mode": "one_hot"})
    assert spec.output_shape((1,)) == (None,)
    adapted = parse_layer({"type": "StringLookup", "vocabulary": ["a", "b"], "output_mode": "one_hot"})
    assert adapted.output_shape((1,)) == (3,)


def test_normalization_statistics_are_not_trainable():
    spec = parse_layer({"type": "Normalization"})
    assert spec.param_count((4,)) == 9
    assert not any(spec.trainable_weight(name) for name in spec.weight_shapes((4,)))
