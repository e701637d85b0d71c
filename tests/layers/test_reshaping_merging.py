import keras
import pytest
from pydantic import ValidationError

from nnconf.config.layers import ShapeError
from nnconf.engine.layers import make_layer
from tests.keras_parity import assert_matches_keras, call_keras, parse_layer


@pytest.mark.parametrize(
    ("data", "input_shape"),
    [
        ({"type": "Reshape", "target_shape": [3, 4]}, (12,)),
        ({"type": "Reshape", "target_shape": [-1, 2, 2]}, (12,)),
        ({"type": "Reshape", "target_shape": [6, -1]}, (3, 4, 2)),
        ({"type": "Reshape", "target_shape": [2, -1]}, (None, 4)),
        ({"type": "Reshape", "target_shape": [4, 5]}, (None, 10)),
        ({"type": "Permute", "dims": [2, 1]}, (10, 64)),
        ({"type": "Permute", "dims": [3, 1, 2]}, (None, 4, 5)),
        ({"type": "Permute", "dims": [1]}, (7,)),
        ({"type": "RepeatVector", "n": 3}, (32,)),
        ({"type": "RepeatVector", "n": 1}, (None,)),
        ({"type": "UpSampling2D"}, (4, 5, 3)),
        ({"type": "UpSampling2D", "size": 3, "interpolation": "bilinear"}, (4, None, 3)),
        ({"type": "UpSampling2D", "size": [1, 2], "data_format": "channels_first"}, (3, 4, 5)),
        ({"type": "UpSampling2D", "size": [2, 3], "data_format": "channels_last"}, (4, 5, 3)),
        ({"type": "ZeroPadding2D"}, (4, 5, 3)),
        ({"type": "ZeroPadding2D", "padding": 2}, (4, None, 3)),
        ({"type": "ZeroPadding2D", "padding": [1, 3]}, (4, 5, 3)),
        ({"type": "ZeroPadding2D", "padding": [[1, 2], [0, 4]], "data_format": "channels_first"}, (3, 4, 5)),
        ({"type": "ZeroPadding2D", "padding": [1, [2, 3]]}, (4, 4, 3)),
        ({"type": "Cropping2D"}, (4, 5, 3)),
        ({"type": "Cropping2D", "cropping": 1}, (4, 5, 3)),
        ({"type": "Cropping2D", "cropping": [1, 2]}, (None, 5, 3)),
        ({"type": "Cropping2D", "cropping": [[1, 0], [2, 1]], "data_format": "channels_first"}, (3, 4, 5)),
        ({"type": "Concatenate"}, [(4, 3), (4, 5)]),
        ({"type": "Concatenate", "axis": 1}, [(4, 3), (5, 3), (1, 3)]),
        ({"type": "Concatenate", "axis": -2}, [(2, 4, 3), (2, 1, 3)]),
        ({"type": "Concatenate", "axis": 2}, [(None, 3), (5, 2)]),
        ({"type": "Concatenate"}, [(4, None), (4, 2)]),
        ({"type": "Add"}, [(4, 5), (4, 5)]),
        ({"type": "Add"}, [(None, 5), (3, 1), (1, 5)]),
        ({"type": "Add"}, [(5,), (3, 5)]),
        ({"type": "Subtract"}, [(8,), (8,)]),
        ({"type": "Subtract"}, [(1, 6), (4, 1)]),
        ({"type": "Multiply"}, [(None, 4), (None, 4), (None, 4)]),
        ({"type": "Average"}, [(2, 3), (2, 3), (1, 3)]),
        ({"type": "Maximum"}, [(None, 3), (7, 3)]),
        ({"type": "Minimum"}, [(6,), (1,), (6,)]),
        ({"type": "Dot", "axes": 1}, [(5,), (5,)]),
        ({"type": "Dot", "axes": -1, "normalize": True}, [(3, 4), (6, 4)]),
        ({"type": "Dot", "axes": [1, 2]}, [(3, 5), (10, 3)]),
        ({"type": "Dot", "axes": [2, 1]}, [(None, 4), (4,)]),
        ({"type": "Dot", "axes": [-2, 1]}, [(4, 2, 3), (2, None)]),
    ],
)
def test_layers_match_keras(data, input_shape):
    assert_matches_keras(data, input_shape)


def shape_error(data: dict, input_shape, keras_refuses: bool = True) -> ShapeError:
    """The ShapeError for ``input_shape``, after checking that Keras refuses it too."""
    spec = parse_layer(data)
    with pytest.raises(ShapeError) as caught:
        spec.output_shape(input_shape)
    assert caught.value.hint, "every error here should say how to fix it"
    if keras_refuses:
        several = isinstance(input_shape, list)
        inputs = [keras.Input(shape=s) for s in input_shape] if several else keras.Input(shape=input_shape)
        with pytest.raises((ValueError, IndexError)):
            call_keras(make_layer(spec), spec, inputs)
    return caught.value


def test_reshape_that_changes_the_element_count():
    error = shape_error({"type": "Reshape", "target_shape": [4, 4]}, (3, 4))
    assert "12" in error.message and "16" in error.message
    assert error.field == "target_shape"


def test_reshape_whose_minus_one_cannot_be_inferred():
    error = shape_error({"type": "Reshape", "target_shape": [5, -1]}, (12,))
    assert "12" in error.message and error.field == "target_shape"


def test_reshape_with_two_unknown_axes():
    error = shape_error({"type": "Reshape", "target_shape": [-1, -1]}, (12,))
    assert "-1" in error.message and error.field == "target_shape"


@pytest.mark.parametrize(("dims", "input_shape"), [([1, 1], (3, 4)), ([2, 1], (3, 4, 5)), ([1, 3], (3, 4))])
def test_permute_needs_a_permutation_of_the_input_axes(dims, input_shape):
    error = shape_error({"type": "Permute", "dims": dims}, input_shape)
    assert error.field == "dims"


def test_repeat_vector_needs_vectors():
    error = shape_error({"type": "RepeatVector", "n": 2}, (3, 4))
    assert "rank 2" in error.message


@pytest.mark.parametrize("layer", ["UpSampling2D", "ZeroPadding2D", "Cropping2D"])
def test_image_layers_need_rank_four(layer):
    error = shape_error({"type": layer}, (28, 28))
    assert "rank 4" in error.message and "[28, 28, 1]" in error.hint


@pytest.mark.parametrize(("cropping", "data_format"), [([[2, 2], [0, 0]], None), ([0, 3], "channels_first")])
def test_cropping_away_everything(cropping, data_format):
    data = {"type": "Cropping2D", "cropping": cropping, "data_format": data_format}
    error = shape_error(data, (4, 4, 6) if data_format is None else (3, 5, 6))
    assert error.field == "cropping"


def test_concatenate_of_shapes_that_differ_off_the_axis():
    error = shape_error({"type": "Concatenate", "axis": 1}, [(4, 3), (5, 2)])
    assert "(None, 4, 3)" in error.message and "(None, 5, 2)" in error.message
    assert "axis 2" in error.message


def test_concatenate_hint_names_the_axis_where_shapes_differ():
    error = shape_error({"type": "Concatenate"}, [(4, 3), (5, 3)])
    assert "axis 1" in error.hint


def test_concatenate_of_different_ranks():
    error = shape_error({"type": "Concatenate"}, [(4, 3), (3,)])
    assert "(None, 4, 3)" in error.message and "(None, 3)" in error.message


@pytest.mark.parametrize("axis", [3, -4])
def test_concatenate_axis_out_of_range(axis):
    assert shape_error({"type": "Concatenate", "axis": axis}, [(4, 3), (4, 3)]).field == "axis"


def test_concatenate_along_the_batch_axis():
    # Keras builds it, but the output then has more samples than the targets.
    error = shape_error({"type": "Concatenate", "axis": 0}, [(4, 3), (4, 3)], keras_refuses=False)
    assert "batch axis" in error.message and error.field == "axis"


@pytest.mark.parametrize("layer", ["Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract"])
def test_elementwise_merge_of_incompatible_shapes(layer):
    error = shape_error({"type": layer}, [(4, 5), (4, 6)])
    assert layer in error.message and "5" in error.message and "6" in error.message


def test_elementwise_merge_checks_every_input():
    shape_error({"type": "Add"}, [(4, 1), (4, 5), (3, 5)])


def test_subtract_takes_exactly_two_inputs():
    error = shape_error({"type": "Subtract"}, [(4,), (4,), (4,)])
    assert "exactly 2" in error.message and error.field == "inputs"


@pytest.mark.parametrize("layer", ["Add", "Concatenate", "Maximum"])
def test_merges_need_at_least_two_inputs(layer):
    # Keras passes a single input through; a one-input merge is a wiring mistake all the same.
    assert shape_error({"type": layer}, [(4,)], keras_refuses=False).field == "inputs"


@pytest.mark.parametrize(
    ("axes", "input_shapes"),
    [(1, [(4,), (5,)]), ([1, 2], [(3, 5), (3, 5)]), (-1, [(None,), (5,)]), (3, [(4,), (4,)])],
)
def test_dot_with_mismatched_axes(axes, input_shapes):
    assert shape_error({"type": "Dot", "axes": axes}, input_shapes).field == "axes"


def test_dot_over_the_batch_axis():
    # Keras infers a shape for it and fails only when batch_dot runs on data.
    error = shape_error({"type": "Dot", "axes": 0}, [(4,), (4,)], keras_refuses=False)
    assert "batch axis" in error.message and error.field == "axes"


def test_dot_takes_exactly_two_inputs():
    assert shape_error({"type": "Dot", "axes": 1}, [(4,), (4,), (4,)]).field == "inputs"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Reshape", "target_shape": []},
        {"type": "Reshape", "target_shape": [0, 4]},
        {"type": "Reshape", "target_shape": [-2, 4]},
        {"type": "Permute", "dims": [0, 1]},
        {"type": "RepeatVector", "n": 0},
        {"type": "RepeatVector", "n": 2.0},
        {"type": "UpSampling2D", "interpolation": "cubic2"},
        {"type": "UpSampling2D", "size": [2, 2, 2]},
        {"type": "UpSampling2D", "size": 0},
        {"type": "ZeroPadding2D", "padding": -1},
        {"type": "ZeroPadding2D", "padding": [[1, 2, 3], [0, 0]]},
        {"type": "Cropping2D", "cropping": [1, 2, 3]},
        {"type": "Cropping2D", "data_format": "channels_middle"},
        {"type": "Dot"},
        {"type": "Dot", "axes": [1, 2, 3]},
        {"type": "Concatenate", "axis": "last"},
        {"type": "Add", "axis": 1},
        {"type": "Reshape", "target_shape": [4], "shape": [4]},
    ],
)
def test_invalid_arguments_are_schema_errors(data):
    with pytest.raises(ValidationError):
        parse_layer(data)


def test_merges_take_a_list_of_inputs():
    assert parse_layer({"type": "Dot", "axes": 1}).CALL_STYLE == "list"
    assert parse_layer({"type": "Reshape", "target_shape": [4]}).CALL_STYLE == "single"
