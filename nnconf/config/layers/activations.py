"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from nnconf.config.base import NonNegativeFloat, PositiveInt
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import Layer, Shape, ShapeError, format_shape, require_axis, require_known


class ReLU(Layer):
    """Rectified linear unit: ``x`` from ``threshold`` up to ``max_value``, a linear slope below.

    Args:
        max_value: saturation value; None leaves it unbounded.
        negative_slope: slope below the threshold.
        threshold: the value below which the negative slope applies.
    """

    type: Literal["ReLU"]
    max_value: Optional[NonNegativeFloat] = None
    negative_slope: NonNegativeFloat = 0.0
    threshold: NonNegativeFloat = 0.0


class LeakyReLU(Layer):
    """Leaky ReLU: ``x`` for positive inputs, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: slope for negative inputs.
    """

    type: Literal["LeakyReLU"]
    negative_slope: NonNegativeFloat = 0.3


class PReLU(Layer):
    """Parametric ReLU: ``x`` for positive inputs, ``alpha * x`` otherwise, with ``alpha`` learned.

    Args:
        alpha_initializer: initializer of ``alpha``.
        alpha_regularizer: regularizer of ``alpha``.
        alpha_constraint: constraint on ``alpha``.
        shared_axes: axes (the batch axis is 0) along which one ``alpha`` is shared, e.g. ``[1, 2]``
            for one per channel of an image; None learns one per input element.
    """

    type: Literal["PReLU"]
    alpha_initializer: Initializer = "zeros"
    alpha_regularizer: Optional[Regularizer] = None
    alpha_constraint: Optional[Constraint] = None
    shared_axes: Union[PositiveInt, list[PositiveInt], None] = None

    @property
    def shared(self) -> list[int]:
        if self.shared_axes is None:
            return []
        return [self.shared_axes] if isinstance(self.shared_axes, int) else list(self.shared_axes)

    def output_shape(self, input_shape: Shape) -> Shape:
        for axis in self.shared:
            if axis > len(input_shape):
                raise ShapeError(
                    f"PReLU shares alpha along axis {axis}, but its input {format_shape(input_shape)} "
                    f"has axes 1..{len(input_shape)} besides the batch axis",
                    field="shared_axes",
                )
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        return {"alpha": tuple(
            1 if axis in self.shared else require_known(size, "PReLU", f"size of axis {axis} (not shared)")
            for axis, size in enumerate(input_shape, start=1)
        )}


class ELU(Layer):
    """Exponential linear unit: ``x`` for positive inputs, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: scale of the negative part.
    """

    type: Literal["ELU"]
    alpha: float = 1.0


class Softmax(Layer):
    """Softmax: exponentiates and normalizes the inputs to sum to one along ``axis``.

    Args:
        axis: the axis, or axes, to normalize along, counting the batch axis as 0.
    """

    type: Literal["Softmax"]
    axis: Union[int, Annotated[list[int], Field(min_length=1)]] = -1

    def output_shape(self, input_shape: Shape) -> Shape:
        # Keras infers the shape without checking the axis; it fails only on the first real call.
        for axis in [self.axis] if isinstance(self.axis, int) else self.axis:
            require_axis(axis, input_shape, "Softmax")
        return tuple(input_shape)

