"""EinsumDense, ReversibleEmbedding, Masking, Identity, LoRA on Dense/Embedding/EinsumDense, and the
regularization layers GaussianDropout, AlphaDropout, SpatialDropout3D and ActivityRegularization, against Keras."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 4}, (3,)),
        ({"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c",
          "activation": "relu"}, (3,)),
        ({"type": "EinsumDense", "equation": "abc,cd->abd", "output_shape": [None, 5], "bias_axes": "d"}, (7, 3)),
        ({"type": "EinsumDense", "equation": "abc,cde->abde", "output_shape": [6, 2, 4], "bias_axes": "de"}, (6, 3)),
        ({"type": "EinsumDense", "equation": "abc,cde->abde", "output_shape": [None, 2, 4], "bias_axes": "e"},
         (None, 3)),
        ({"type": "EinsumDense", "equation": "...b,bc->...c", "output_shape": 4, "bias_axes": "c"}, (5, 3)),
        ({"type": "EinsumDense", "equation": "...b,bc->...c", "output_shape": 4, "bias_axes": "c"}, (5, 5, 3)),
        ({"type": "EinsumDense", "equation": "...b,bc->...c", "output_shape": 4}, (3,)),
        ({"type": "EinsumDense", "equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"}, (3, 6)),
        ({"type": "EinsumDense", "equation": "abcd,de->abce", "output_shape": [3, 4, 2], "bias_axes": "be"},
         (3, 4, 5)),
        ({"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 4, "lora_rank": 2, "lora_alpha": 4.0},
         (3,)),
        ({"type": "EinsumDense", "equation": "abc,cde->abde", "output_shape": [None, 2, 4], "lora_rank": 1,
          "kernel_regularizer": "l2", "kernel_initializer": "he_normal"}, (5, 3)),
        ({"type": "Dense", "units": 4, "lora_rank": 2}, (3,)),
        ({"type": "Dense", "units": 4, "lora_rank": 2, "trainable": False}, (3,)),
        ({"type": "Embedding", "input_dim": 10, "output_dim": 4, "lora_rank": 3}, (5,)),
        ({"type": "ReversibleEmbedding", "input_dim": 10, "output_dim": 4}, (5,)),
        ({"type": "ReversibleEmbedding", "input_dim": 10, "output_dim": 4, "tie_weights": False, "mask_zero": True,
          "logit_soft_cap": 30.0, "reverse_dtype": "float32"}, (None,)),
        ({"type": "Masking"}, (5, 3)),
        ({"type": "Masking", "mask_value": -1.0}, (None, 3)),
        ({"type": "Identity"}, (2, 3)),
        ({"type": "GaussianDropout", "rate": 0.3}, (4,)),
        ({"type": "GaussianDropout", "rate": 0.0, "seed": 2}, (4, 2)),
        ({"type": "AlphaDropout", "rate": 0.1}, (4,)),
        ({"type": "AlphaDropout", "rate": 0.2, "noise_shape": [None, 1, 3], "seed": 1}, (4, 3)),
        ({"type": "SpatialDropout3D", "rate": 0.2}, (2, 3, 4, 5)),
        ({"type": "SpatialDropout3D", "rate": 0.2, "data_format": "channels_first"}, (5, 2, None, 4)),
        ({"type": "ActivityRegularization"}, (4,)),
        ({"type": "ActivityRegularization", "l1": 0.01, "l2": 0.1}, (4, 2)),
    ],
)
def test_core_and_regularization_variants_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def test_einsum_dense_computes_its_inferred_shape():
    spec = parse_layer({"type": "EinsumDense", "equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"})
    assert tuple(make_layer(spec)(np.ones((2, 3, 5, 6), "float32")).shape[1:]) == spec.output_shape((3, 5, 6))


def test_einsum_dense_refuses_leading_axes_keras_infers_in_reverse():
    spec = parse_layer({"type": "EinsumDense", "equation": "...b,bc->...c", "output_shape": 4})
    with pytest.raises(ShapeError) as error:
        spec.output_shape((5, 6, 3))
    assert error.value.field == "equation"
    layer = make_layer(spec)
    inferred = tuple(layer(keras.Input(shape=(5, 6, 3))).shape[1:])
    computed = tuple(layer(np.ones((1, 5, 6, 3), "float32")).shape[1:])
    assert inferred != computed


def test_lora_freezes_the_weight_it_adapts():
    spec = parse_layer({"type": "Dense", "units": 4, "lora_rank": 2})
    frozen = [name for name in spec.weight_shapes((3,)) if not spec.trainable_weight(name)]
    assert frozen == ["kernel"]


def test_masking_masks_what_follows():
    layer = make_layer(parse_layer({"type": "Masking", "mask_value": 0.0}))
    outputs = layer(np.array([[[0.0, 0.0], [1.0, 2.0]]], "float32"))
    assert outputs._keras_mask.numpy().tolist() == [[False, True]]


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        ({"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 4}, (3, 5), "equation"),
        ({"type": "EinsumDense", "equation": "abc,cd->abd", "output_shape": [6, 5]}, (7, 3), "output_shape"),
        ({"type": "EinsumDense", "equation": "abc,cde->abde", "output_shape": [2, 4]}, (7, 3), "output_shape"),
        ({"type": "EinsumDense", "equation": "ab,bcd->ac", "output_shape": 4}, (3,), "equation"),
        ({"type": "EinsumDense", "equation": "ab,bc->acd", "output_shape": [4, 2]}, (3,), "equation"),
        ({"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": [None]}, (3,), "output_shape"),
        ({"type": "AlphaDropout", "rate": 0.1, "noise_shape": [None, 2]}, (4,), "noise_shape"),
        ({"type": "SpatialDropout3D", "rate": 0.1}, (4, 4, 4), None),
    ],
)
def test_inputs_the_layer_cannot_take(data, input_shape, field):
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as error:
        spec.output_shape(input_shape)
        spec.weight_shapes(input_shape)
    assert error.value.field == field


@pytest.mark.parametrize(
    "data",
    [
        {"type": "GaussianDropout", "rate": 1.5},
        {"type": "AlphaDropout", "rate": -0.1},
        {"type": "SpatialDropout3D", "rate": 2.0},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "x"},
        {"type": "Dense", "units": 2, "lora_rank": 2, "kernel_constraint": "max_norm"},
    ],
)
def test_arguments_keras_refuses_when_it_builds_the_layer_are_refused(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
    arguments = {key: value for key, value in data.items() if key != "type"}
    with pytest.raises(ValueError):
        getattr(keras.layers, data["type"])(**arguments)(keras.Input(shape=(3,)))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "EinsumDense", "equation": "ab->b", "output_shape": 4},
        {"type": "EinsumDense", "equation": "a...b,bc->ac", "output_shape": 4},
        {"type": "EinsumDense", "equation": "ab,bc->ac"},
        {"type": "EinsumDense", "equation": "ab,bc->ac", "output_shape": 0},
        {"type": "Embedding", "input_dim": 4, "output_dim": 2, "lora_rank": 0},
        {"type": "Embedding", "input_dim": 4, "output_dim": 2, "lora_rank": 1, "embeddings_constraint": "non_neg"},
        {"type": "ReversibleEmbedding", "input_dim": 4, "output_dim": 2, "reverse_dtype": "int8"},
        {"type": "GaussianDropout", "rate": 1.0},
        {"type": "ActivityRegularization", "l1": -0.1},
        {"type": "Masking", "mask_value": "pad"},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)
