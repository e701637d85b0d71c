"""GroupQueryAttention, Attention and AdditiveAttention against Keras."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, assert_refused_like_keras, parse_layer

GQA = {"type": "GroupQueryAttention", "head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        (GQA, [(5, 8), (6, 8)]),
        (GQA, (5, 8)),
        ({**GQA, "use_bias": False, "use_gate": True}, [(5, 8), (6, 8), (6, 7)]),
        ({**GQA, "num_key_value_heads": 1, "dropout": 0.1, "seed": 2, "sliding_window": 3,
          "kernel_regularizer": "l2", "bias_initializer": "ones"}, [(None, 8), (None, 8)]),
        ({**GQA, "use_gate": True, "trainable": False}, (5, 8)),
        ({"type": "Attention"}, [(5, 4), (6, 4)]),
        ({"type": "Attention", "use_scale": True, "score_mode": "concat", "dropout": 0.1, "seed": 1},
         [(5, 4), (6, 3), (6, 4)]),
        ({"type": "Attention", "score_mode": "concat"}, [(None, 4), (None, 2), (None, 4)]),
        ({"type": "AdditiveAttention"}, [(5, 4), (6, 4)]),
        ({"type": "AdditiveAttention", "use_scale": False, "dropout": 0.2}, [(5, 4), (6, 7), (6, 4)]),
    ],
)
def test_attention_variants_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shapes"),
    [
        (GQA, [(5, 8), (6, 8), (6, 7)]),
        ({"type": "Attention", "score_mode": "concat"}, [(5, 4), (6, 2), (6, 4)]),
        ({"type": "AdditiveAttention"}, [(5, 4), (6, 7), (6, 4)]),
    ],
)
def test_attention_computes_its_inferred_shape(data, input_shapes):
    spec = parse_layer(data)
    layer = make_layer(spec)
    values = [np.ones((2, *shape), "float32") for shape in input_shapes]
    outputs = layer(*values) if spec.CALL_STYLE == "positional" else layer(values)
    assert tuple(outputs.shape[1:]) == spec.output_shape(input_shapes)


@pytest.mark.parametrize(
    ("data", "input_shapes"),
    [
        ({"type": "Attention"}, [(5, 4), (6, 3)]),
        ({"type": "AdditiveAttention"}, [(5, 4), (6, 2), (6, 3)]),
        ({"type": "Attention"}, [(5, 4), (6, 4), (7, 4)]),
    ],
)
def test_mismatched_sequences_are_shape_errors_where_keras_fails_at_the_first_call(data, input_shapes):
    spec = parse_layer(data)
    with pytest.raises(ShapeError):
        spec.output_shape(input_shapes)
    with pytest.raises(Exception):
        make_layer(spec)([np.ones((2, *shape), "float32") for shape in input_shapes])


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Attention"}, [(5, 4)]),
        ({"type": "Attention"}, [(5, 4)] * 4),
        ({"type": "Attention"}, [(4,), (4,)]),
        (GQA, [(5, 8), (6, 8), (7, 8)]),
        (GQA, [(5, 2, 8), (6, 2, 8)]),
        (GQA, [(5, 8), (6, None)]),
        (GQA, [(5, 8), (6, 4)]),
        (GQA, [(5, 8), (6, 8), (None, 8)]),
        ({"type": "AdditiveAttention"}, [(5, None), (6, 3)]),
    ],
)
def test_inputs_attention_cannot_take(data, input_shape):
    # (Keras builds some of these and fails at the first call.)
    spec = parse_layer(data)
    with pytest.raises(ShapeError):
        spec.output_shape(input_shape)
        spec.weight_shapes(input_shape)


@pytest.mark.parametrize("input_shapes", [[(5, 8), (6, 4)], [(5, 8), (6, 8), (None, 8)]])
def test_group_query_attention_refuses_what_keras_cannot_build(input_shapes):
    with pytest.raises(ShapeError):
        parse_layer(GQA).output_shape(input_shapes)
    with pytest.raises(ValueError):
        make_layer(parse_layer(GQA))(*[keras.Input(shape=shape) for shape in input_shapes])


@pytest.mark.parametrize(
    "data",
    [
        {**GQA, "num_key_value_heads": 3},
        {**GQA, "flash_attention": True, "dropout": 0.1},
        {"type": "Attention", "score_mode": "add"},
    ],
)
def test_arguments_keras_refuses_are_refused(data):
    assert_refused_like_keras(data)


@pytest.mark.parametrize(
    "data",
    [
        {**GQA, "head_dim": 0},
        {**GQA, "sliding_window": 0},
        {"type": "AdditiveAttention", "dropout": 1.0},
        {"type": "AdditiveAttention", "score_mode": "concat"},
    ],
)
def test_invalid_arguments(data):
    with pytest.raises(ValidationError):
        parse_layer(data)


def test_group_query_attention_in_a_functional_model_builds_as_inferred(tmp_path):
    import nnconf

    config = {
        "task": "regression", "loss": "mse",
        "model": {"inputs": {"q": [5, 8], "v": [6, 8]}, "outputs": "out", "layers": [
            {"name": "att", **GQA, "inputs": ["q", "v"]},
            {"name": "pool", "type": "GlobalAveragePooling1D", "inputs": "att"},
            {"name": "out", "type": "Dense", "units": 1, "inputs": "pool"}]},
    }
    report = nnconf.check(config)
    assert report.ok, [f.format() for f in report.findings]
    model = nnconf.build(report.config)
    assert model.count_params() == report.inference.total_params
    assert isinstance(model.get_layer("att"), keras.layers.GroupQueryAttention)
