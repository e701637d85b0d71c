import keras
import pytest

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, parse_layer, refusal

LSTM = {"type": "LSTM", "units": 3}
GRU = {"type": "GRU", "units": 4, "return_sequences": True}
MHA = {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4}


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "SimpleRNN", "units": 4}, (5, 3)),
        ({"type": "SimpleRNN", "units": 2, "return_sequences": True, "activation": "relu", "use_bias": False},
         (None, 3)),
        ({"type": "SimpleRNN", "units": 3, "go_backwards": True, "dropout": 0.2, "recurrent_dropout": 0.1, "seed": 1,
          "kernel_regularizer": "l2", "recurrent_regularizer": {"name": "l1", "l1": 0.001},
          "recurrent_constraint": "unit_norm", "recurrent_initializer": "glorot_normal"}, (6, 2)),
        ({"type": "LSTM", "units": 8}, (5, 3)),
        ({"type": "LSTM", "units": 3, "return_sequences": True, "unit_forget_bias": False,
          "recurrent_activation": "hard_sigmoid", "activity_regularizer": "l2"}, (None, 4)),
        ({"type": "LSTM", "units": 2, "use_bias": False, "unroll": True, "use_cudnn": False}, (4, 3)),
        ({"type": "LSTM", "units": 5, "activation": {"name": "leaky_relu", "negative_slope": 0.1},
          "bias_initializer": {"name": "constant", "value": 0.5}, "bias_constraint": "non_neg",
          "trainable": False}, (7, 1)),
        ({"type": "GRU", "units": 4}, (5, 3)),
        ({"type": "GRU", "units": 4, "reset_after": False, "return_sequences": True}, (5, 3)),
        ({"type": "GRU", "units": 3, "reset_after": False, "use_bias": False}, (None, 2)),
        ({"type": "GRU", "units": 3, "use_bias": False, "go_backwards": True}, (6, 2)),
        ({"type": "Bidirectional", "layer": LSTM}, (5, 4)),
        ({"type": "Bidirectional", "layer": {**LSTM, "return_sequences": True}, "merge_mode": "concat"}, (None, 4)),
        ({"type": "Bidirectional", "layer": GRU, "merge_mode": "sum"}, (5, 2)),
        ({"type": "Bidirectional", "layer": GRU, "merge_mode": "mul"}, (5, 2)),
        ({"type": "Bidirectional", "layer": {**GRU, "reset_after": False}, "merge_mode": "ave"}, (5, 2)),
        ({"type": "Bidirectional", "layer": {"type": "SimpleRNN", "units": 2, "use_bias": False}}, (3, 6)),
        ({"type": "Bidirectional", "layer": LSTM,
          "backward_layer": {"type": "GRU", "units": 3, "go_backwards": True}}, (5, 4)),
        ({"type": "Bidirectional", "layer": {**LSTM, "return_sequences": True}, "merge_mode": "sum",
          "backward_layer": {**LSTM, "return_sequences": True, "go_backwards": True, "activation": "relu"}}, (5, 4)),
        ({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 6}}, (5, 3)),
        ({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2, "use_bias": False}}, (None, 4, 3)),
        ({"type": "TimeDistributed", "layer": {"type": "Dropout", "rate": 0.5}}, (5, 3)),
        ({"type": "TimeDistributed", "layer": {"type": "Flatten"}}, (5, 4, 3)),
        ({"type": "TimeDistributed", "layer": {"type": "Embedding", "input_dim": 10, "output_dim": 3}}, (5, 7)),
        ({"type": "TimeDistributed", "layer": LSTM}, (5, 6, 2)),
        ({"type": "TimeDistributed", "layer": {"type": "Bidirectional", "layer": GRU}}, (4, None, 2)),
    ],
)
def test_recurrent_layers_and_wrappers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        (MHA, [(5, 16), (7, 8)]),
        ({**MHA, "value_dim": 3}, [(5, 16), (7, 8)]),
        ({**MHA, "output_shape": 6}, [(5, 16), (7, 8)]),
        ({**MHA, "output_shape": [3, 4], "value_dim": 2}, [(5, 16), (7, 8)]),
        ({**MHA, "use_bias": False}, [(None, 16), (None, 8)]),
        (MHA, [(5, 16), (7, 8), (7, 3)]),
        ({**MHA, "use_gate": True, "sliding_window": 2, "dropout": 0.1, "seed": 3}, [(5, 16), (7, 8)]),
        ({**MHA, "use_gate": True, "use_bias": False, "value_dim": 5}, [(5, 16), (5, 16), (5, 2)]),
        ({**MHA, "kernel_initializer": "he_normal", "bias_regularizer": "l2", "kernel_constraint": "max_norm",
          "activity_regularizer": {"name": "l1_l2", "l1": 0.01}}, [(4, 6), (4, 6)]),
        (MHA, [(2, 5, 16), (3, 7, 8)]),
        ({**MHA, "attention_axes": 2}, [(2, 5, 16), (2, 7, 8)]),
        ({**MHA, "attention_axes": [-2]}, [(2, 5, 16), (None, 7, 8)]),
        ({**MHA, "attention_axes": [2, 1]}, [(2, 5, 16), (3, 7, 8)]),
        (MHA, [(5, 16)]),
        ({**MHA, "output_shape": 4}, (None, 6)),
    ],
)
def test_multi_head_attention_matches_keras(data, input_shape):
    # Keras names every projection's weights kernel and bias, so the shared parity check, which
    # compares bare weight names, cannot tell them apart; nnconf prefixes the projection's name.
    spec = parse_layer(data)
    several = isinstance(input_shape, list)
    inputs = [keras.Input(shape=s) for s in (input_shape if several else [input_shape])]
    if len(inputs) == 1:
        inputs *= 2  # self-attention: the query is also the value
    layer = make_layer(spec)
    output = layer(*inputs)

    assert tuple(output.shape[1:]) == spec.output_shape(input_shape)
    assert layer.count_params() == spec.param_count(input_shape)
    keras_weights = sorted((f"{w.path.split('/')[-2]}_{w.name}", tuple(w.shape)) for w in layer.weights)
    assert keras_weights == sorted(spec.weight_shapes(input_shape).items())


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Bidirectional", "layer": LSTM},
        {"type": "Bidirectional", "layer": LSTM, "backward_layer": {**GRU, "units": 3, "return_sequences": False,
                                                                    "go_backwards": True}},
    ],
)
def test_bidirectional_weights_are_named_by_direction(data):
    spec = parse_layer(data)
    layer = make_layer(spec)
    layer(keras.Input(shape=(5, 4)))
    keras_weights = sorted(
        (f"{direction}_{w.name}", tuple(w.shape))
        for direction in ("forward", "backward") for w in getattr(layer, f"{direction}_layer").weights
    )
    assert keras_weights == sorted(spec.weight_shapes((5, 4)).items())


@pytest.mark.parametrize(
    ("data", "input_shape", "field"),
    [
        (LSTM, (4,), None),
        ({"type": "SimpleRNN", "units": 2}, (3, 4, 5), None),
        ({"type": "GRU", "units": 2, "unroll": True}, (None, 4), "unroll"),
        ({"type": "Bidirectional", "layer": LSTM}, (4,), "layer"),
        ({"type": "Bidirectional", "layer": LSTM, "backward_layer": {**LSTM, "go_backwards": True, "unroll": True}},
         (None, 4), "backward_layer"),
        ({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}}, (4,), None),
        ({"type": "TimeDistributed", "layer": LSTM}, (5, 4), "layer"),
        (MHA, [(16,), (8,)], None),
        (MHA, (16,), None),
        (MHA, [(5, 16), (7, 3, 8)], None),
        (MHA, [(5, 16), (7, 8), (6, 8)], None),
        (MHA, [(5, 16), (7, 8), (7, 8), (7, 8)], "inputs"),
        ({**MHA, "attention_axes": 2}, [(2, 5, 16), (3, 7, 8)], "attention_axes"),
        ({**MHA, "attention_axes": 0}, [(2, 5, 16), (2, 7, 8)], "attention_axes"),
        ({**MHA, "attention_axes": 3}, [(2, 5, 16), (2, 7, 8)], "attention_axes"),
        ({**MHA, "attention_axes": -1}, [(2, 5, 16), (2, 7, 8)], "attention_axes"),
        ({**MHA, "attention_axes": [1, -3]}, [(2, 5, 16), (2, 7, 8)], "attention_axes"),
    ],
)
def test_shapes_the_layer_cannot_take(data, input_shape, field):
    with pytest.raises(ShapeError) as error:
        parse_layer(data).output_shape(input_shape)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        (LSTM, (5, None)),
        ({"type": "Bidirectional", "layer": LSTM}, (5, None)),
        (MHA, [(5, None), (7, 8)]),
        (MHA, [(5, 16), (7, 8), (7, None)]),
    ],
)
def test_weights_need_known_feature_axes(data, input_shape):
    with pytest.raises(ShapeError):
        parse_layer(data).param_count(input_shape)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "LSTM", "units": 0}, "units should be greater than 0, found 0"),
        ({"type": "GRU", "units": 2, "dropout": 1.5}, "dropout should be less than 1, found 1.5"),
        ({"type": "SimpleRNN", "units": 2, "recurrent_dropout": 1.0}, "recurrent_dropout should be less than 1"),
        ({"type": "LSTM", "units": 2, "return_state": True}, "one output per layer"),
        ({"type": "GRU", "units": 2, "stateful": True}, "fixed batch size"),
        ({"type": "LSTM", "units": 2, "recurrent_activation": "sigmoidal"}, "recurrent_activation"),
        ({"type": "GRU", "units": 2, "use_cudnn": "yes"}, "use_cudnn"),
        ({"type": "SimpleRNN", "units": 2, "activity_regularizer": "l2"}, "never applies it"),
        ({"type": "SimpleRNN", "units": 2, "reset_after": True}, "unknown key 'reset_after'"),
        ({"type": "Bidirectional", "layer": LSTM, "merge_mode": "max"}, "merge_mode"),
        ({"type": "Bidirectional", "layer": LSTM, "merge_mode": None}, "one output per layer"),
        ({"type": "Bidirectional", "layer": {"type": "Dense", "units": 2}}, "recurrent layer"),
        ({"type": "Bidirectional", "layer": {"type": "LSMT", "units": 2}},
         "unknown layer type 'LSMT' (did you mean 'LSTM'?)"),
        ({"type": "Bidirectional", "layer": {**LSTM, "return_state": True}}, "one output per layer"),
        ({"type": "Bidirectional", "layer": LSTM, "backward_layer": LSTM}, "opposite go_backwards"),
        ({"type": "Bidirectional", "layer": LSTM, "backward_layer": {**GRU, "go_backwards": True}},
         "return_sequences"),
        ({"type": "Bidirectional", "layer": LSTM,
          "backward_layer": {"type": "GRU", "units": 5, "go_backwards": True}}, "same units"),
        ({"type": "Bidirectional", "layer": {**LSTM, "inputs": "x"}}, "give it to the Bidirectional"),
        ({"type": "TimeDistributed", "layer": {"type": "Dense"}}, "units"),
        ({"type": "TimeDistributed", "layer": {"type": "Foo"}}, "unknown layer type 'Foo'"),
        ({"type": "TimeDistributed", "layer": MHA}, "takes one input"),
        ({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2, "weights": {"bias": [0, 0]}}},
         "give it to the TimeDistributed"),
        ({**MHA, "num_heads": 0}, "num_heads should be greater than 0, found 0"),
        ({**MHA, "dropout": 1.5}, "dropout should be less than 1, found 1.5"),
        ({**MHA, "output_shape": 0}, "output_shape"),
        ({**MHA, "output_shape": []}, "output_shape"),
        ({**MHA, "output_shape_": 4}, "unknown key 'output_shape_'"),
        ({**MHA, "flash_attention": True, "dropout": 0.1}, "does not support dropout"),
    ],
)
def test_invalid_arguments_are_refused(data, message):
    assert message in refusal(data)


def test_keras_refuses_what_the_schema_refuses():
    with pytest.raises(ValueError):
        keras.layers.Bidirectional(keras.layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError):
        keras.layers.LSTM(0)
    with pytest.raises(ValueError):
        keras.layers.Bidirectional(keras.layers.LSTM(2), backward_layer=keras.layers.LSTM(2))
    with pytest.raises(ValueError):
        keras.layers.MultiHeadAttention(2, 4, dropout=0.1, flash_attention=True)


def test_multi_head_attention_output_shape_keeps_its_keras_name():
    spec = parse_layer({**MHA, "output_shape": [3, 4]})
    assert spec.keras_arguments()["output_shape"] == [3, 4]
    assert "output_shape_" not in spec.keras_arguments()
    data = spec.model_dump(mode="json")
    assert data["output_shape"] == [3, 4] and "output_shape_" not in data
    assert parse_layer(data) == spec
