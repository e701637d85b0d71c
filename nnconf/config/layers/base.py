"""What every layer schema shares, and the contract for its shape and parameter rules.

Each layer type is one class holding its Keras arguments (names, types, ranges and defaults as
Keras has them), its output-shape rule and the shapes of its weights, from which its parameter
count follows. Shapes never include the batch axis; ``None`` is a dimension of unknown size.
"""

import math
from contextlib import contextmanager
from typing import Annotated, Any, ClassVar, Iterator, Literal, Mapping, Optional, Union, get_args

from pydantic import Field, model_serializer, model_validator
from typing_extensions import TypeAliasType

from nnconf.config.base import IDENTIFIER, ChosenBy, Spellings, StrictModel, required_fields

Shape = tuple  # of int | None, one sample, no batch axis
NestedFloats = TypeAliasType("NestedFloats", Union[float, list["NestedFloats"]])


def implied_type(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the ``type`` a class of one type stands for, where they leave it out."""
    kinds = get_args(cls.model_fields["type"].annotation)
    if "type" in values or len(kinds) != 1:
        return values
    return {"type": kinds[0], **values}


class ShapeError(Exception):
    """A layer cannot take the shape it is given.

    Args:
        message: what does not fit.
        field: the layer argument at fault, to locate the finding on it (None: the layer itself).
        hint: how to fix it.
    """

    def __init__(self, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.field, self.hint = message, field, hint


class Layer(StrictModel):
    """A layer of the model, by its Keras class name in ``type``.

    Args:
        name: the Keras layer name; required to refer to the layer in a functional model.
        inputs: functional models only: the earlier layer(s) or model input(s) this layer takes.
        weights: initial values for the layer's weights by Keras weight name,
            e.g. ``{kernel: [[1.0, 0.5], [-0.5, 1.0]], bias: [0, 0]}``.
        trainable: whether the layer's weights are updated in training.
    """

    # How Keras calls the layer: "single" (one tensor), "list" (merging layers take a list), or
    # "positional" (each input a separate argument, as MultiHeadAttention's query and value).
    CALL_STYLE: ClassVar[str] = "single"
    # Wrappers (Bidirectional, TimeDistributed) hold another layer in a field typed "AnyLayer".
    WRAPS_LAYER: ClassVar[bool] = False
    # Weights Keras keeps out of gradient descent (statistics it updates itself), by weight_shapes's names.
    NON_TRAINABLE_WEIGHTS: ClassVar[frozenset[str]] = frozenset()
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"inputs", "weights"})

    type: str
    name: Optional[str] = Field(default=None, pattern=IDENTIFIER, max_length=128)
    inputs: Union[str, list[str], None] = None
    weights: Optional[dict[str, NestedFloats]] = None
    trainable: bool = True

    @model_validator(mode="before")
    @classmethod
    def _canonical_type(cls, data: Any) -> Any:
        """Keras's other names of a class (``Convolution2D``, ``MaxPool2D``) read as the type they stand for."""
        if isinstance(data, dict) and data.get("type") in LAYER_ALIASES:
            return {**data, "type": LAYER_ALIASES[data["type"]]}
        return data

    @classmethod
    def _implied(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Made in Python, a layer's class says its type: ``Dense(units=8)``."""
        return implied_type(cls, values)

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        """The required arguments, which Keras takes first and in this order: ``Dense(64)``, ``Conv2D(32, 3)``."""
        return cls.POSITIONAL if cls.POSITIONAL is not None else required_fields(cls, "type")

    @property
    def input_names(self) -> list[str]:
        if self.inputs is None:
            return []
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    def keras_arguments(self) -> dict[str, Any]:
        """The arguments for the Keras class, as config values (specs are converted by the builder)."""
        return {k: getattr(self, k) for k in type(self).model_fields if k not in ("type", "inputs", "weights")}

    def output_shape(self, input_shape: Shape | list[Shape]) -> Shape:
        """The shape of one output sample; raises ShapeError for an input the layer cannot take."""
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape | list[Shape]) -> dict[str, Shape]:
        """Every weight the built Keras layer holds (trainable or not), by Keras weight name."""
        return {}

    def param_count(self, input_shape: Shape | list[Shape]) -> int:
        return sum(math.prod(shape) for shape in self.weight_shapes(input_shape).values())

    def inline_weights(self) -> dict[str, Any]:
        """The initial values given inline under ``weights``, by weight name ({} for none)."""
        return dict(self.weights or {})

    def trainable_weight(self, name: str) -> bool:
        """Whether Keras trains the weight ``name`` (of ``weight_shapes``): not when the layer is frozen,
        nor for the statistics a layer updates itself (BatchNormalization's moving mean, ...)."""
        return self.trainable and name not in self.NON_TRAINABLE_WEIGHTS


class OutputShapeArgument(Layer):
    """A layer with Keras's ``output_shape`` argument, declared as the field ``output_shape_`` with the
    alias ``output_shape``, since ``output_shape`` is the Layer contract's shape rule."""

    @model_serializer(mode="wrap")
    def _in_reading_order(self, handler) -> dict:
        # The shared serializer keys fields by their Python names; the config uses Keras's.
        data = StrictModel._in_reading_order(self, handler)
        return {("output_shape" if key == "output_shape_" else key): value for key, value in data.items()}

    def keras_arguments(self) -> dict[str, Any]:
        arguments = super().keras_arguments()
        arguments["output_shape"] = arguments.pop("output_shape_")
        return arguments


def _layer_classes() -> Mapping[str, type["Layer"]]:
    # The registry gathers the family modules, which import this one.
    from nnconf.config.layers import LAYER_CLASSES
    return LAYER_CLASSES


# Keras's other names of layer classes (keras.layers.Convolution2D is Conv2D), each with the type it is.
LAYER_ALIASES = Spellings({
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose", "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
})

# Any layer type, chosen by its ``type``: what a model's ``layers`` and a wrapper's ``layer`` hold.
AnyLayer = Annotated[Layer, ChosenBy("AnyLayer", _layer_classes, "type", spellings=LAYER_ALIASES)]


def check_wrapped(wrapper: str, layer: Layer) -> None:
    """A wrapped layer has no ``inputs`` or ``weights`` of its own: the wrapper alone is wired and loaded."""
    for key in ("inputs", "weights"):
        if getattr(layer, key) is not None:
            raise ValueError(f"the layer inside {wrapper} cannot have {key!r}; give it to the {wrapper} instead")


@contextmanager
def located_at(key: str) -> Iterator[None]:
    """Shape errors of a wrapped layer, located on the wrapper's field that holds it."""
    try:
        yield
    except ShapeError as error:
        raise ShapeError(error.message, field=key, hint=error.hint) from None


# Keras's data_format argument; None means Keras's configured default, channels_last.
DataFormat = Optional[Literal["channels_last", "channels_first"]]


# --- helpers for the shape rules ---------------------------------------------------------------


def require_rank(shape: Shape, rank: int | tuple[int, ...], layer: str, what: str = "") -> None:
    ranks = (rank,) if isinstance(rank, int) else rank
    if len(shape) not in ranks:
        want = " or ".join(str(r + 1) for r in ranks)
        raise ShapeError(
            f"{layer} expects inputs of rank {want} including the batch axis{what}, "
            f"but gets shape {format_shape(shape)} (rank {len(shape) + 1})",
            hint=_rank_hint(layer, shape, ranks),
        )


def _rank_hint(layer: str, shape: Shape, ranks: tuple[int, ...]) -> str | None:
    if len(shape) + 1 in ranks:
        return f"add a channel axis to the input shape, e.g. {list(shape) + [1]}"
    if len(shape) > max(ranks) and layer in ("Dense",):
        return "put a Flatten or GlobalAveragePooling layer before it"
    if len(shape) > max(ranks):
        return "reduce the rank first with Flatten, Reshape or global pooling"
    return None


def require_known(dim: int | None, layer: str, what: str) -> int:
    if dim is None:
        raise ShapeError(f"{layer} needs a known {what}, but it is of unknown size (null)")
    return dim


def nested_shape(values: Any) -> Shape | None:
    """The shape of a number or of nested lists of numbers; None where the lists are ragged."""
    if not isinstance(values, list):
        return ()
    shapes = {nested_shape(item) for item in values}
    if len(shapes) > 1 or None in shapes:
        return None
    return (len(values),) + (shapes.pop() if shapes else ())


def format_shape(shape: Shape) -> str:
    return "(None, " + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def as_tuple(value: int | list[int], n: int) -> tuple[int, ...]:
    return (value,) * n if isinstance(value, int) else tuple(value)


def conv_length(size: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis, as Keras computes it."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return (size + stride - 1) // stride
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def deconv_length(size: int | None, kernel: int, stride: int, padding: str, dilation: int = 1,
                  output_padding: int | None = None) -> int | None:
    """Output length of a transposed convolution along one axis, as Keras computes it."""
    if size is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(kernel - stride, 0)
        return size * stride
    pad = kernel // 2 if padding == "same" else 0
    return (size - 1) * stride + kernel - 2 * pad + output_padding


def spatial_output(layer: str, spatial: tuple, kernels: tuple, strides: tuple, padding: str,
                   dilations: tuple | None = None, field: str = "kernel_size") -> tuple:
    """Spatial output sizes of a window op; a size that reaches zero or below is a ShapeError."""
    dilations = dilations or (1,) * len(spatial)
    out = tuple(conv_length(s, k, st, padding, d) for s, k, st, d in zip(spatial, kernels, strides, dilations))
    for axis, (size, length) in enumerate(zip(spatial, out)):
        if length is not None and length <= 0:
            raise ShapeError(
                f"{layer} shrinks spatial axis {axis + 1} from {size} to {length}: the window "
                f"({kernels[axis]}) is larger than the input",
                field=field,
                hint="use padding: same, a smaller window, or less downsampling before this layer",
            )
    return out


def require_axis(axis: int, input_shape: Shape, layer: str, field: str = "axis") -> int:
    """The axis as an index into the shape with the batch axis (0); out of range is a ShapeError."""
    rank = len(input_shape) + 1
    if not -rank <= axis < rank:
        raise ShapeError(
            f"{layer} has {field} {axis}, outside input shape {format_shape(input_shape)} (rank {rank})",
            field=field,
            hint=f"axes count the batch axis as 0; use one in {-rank}..{rank - 1}, e.g. -1 for the last axis",
        )
    return axis % rank
