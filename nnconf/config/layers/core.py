"""Core layers: Dense, Activation, Dropout, Flatten, Embedding."""

import math
from typing import Literal, Optional

from nnconf.config.base import PositiveInt, Rate, Seed
from nnconf.config.functions import Activation as ActivationFunction
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import DataFormat, Layer, Shape, ShapeError, format_shape, require_known


class KernelArguments(Layer):
    """The initializer, regularizer and constraint arguments of layers with a kernel and a bias."""

    activation: ActivationFunction = "linear"
    use_bias: bool = True
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"
    kernel_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None
    activity_regularizer: Optional[Regularizer] = None
    kernel_constraint: Optional[Constraint] = None
    bias_constraint: Optional[Constraint] = None


class Dense(KernelArguments):
    """A fully connected layer on the last axis: ``activation(x @ kernel + bias)``.

    Args:
        units: the output width.
    """

    type: Literal["Dense"]
    units: PositiveInt

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) < 1:
            raise ShapeError("Dense needs an input of rank 2 or more")
        return tuple(input_shape[:-1]) + (self.units,)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        fan_in = require_known(input_shape[-1], "Dense", "last input axis")
        shapes = {"kernel": (fan_in, self.units)}
        if self.use_bias:
            shapes["bias"] = (self.units,)
        return shapes


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: the function, by name or ``{name: ..., arguments}``.
    """

    type: Literal["Activation"]
    activation: ActivationFunction


class Dropout(Layer):
    """Sets a random fraction ``rate`` of inputs to zero in training, scaling the rest up.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the binary mask, to drop whole features; None drops elementwise.
        seed: seed of the dropout mask.
    """

    type: Literal["Dropout"]
    rate: Rate
    noise_shape: Optional[list[Optional[PositiveInt]]] = None
    seed: Optional[Seed] = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if self.noise_shape is not None:
            _check_noise_shape(self.noise_shape, input_shape)
        return tuple(input_shape)


def _written(noise_shape: list[int | None]) -> str:
    return "[" + ", ".join("null" if size is None else str(size) for size in noise_shape) + "]"


def _check_noise_shape(noise_shape: list[int | None], input_shape: Shape) -> None:
    """Keras's rule: a None takes the size of the input axis at its position; the mask then
    broadcasts against the input from the last axis. It fails only in training, at the first step."""
    full_shape = [None, *input_shape]  # the batch axis first, its size unknown here
    if len(noise_shape) > len(full_shape):
        raise ShapeError(f"noise_shape {_written(noise_shape)} has {len(noise_shape)} axes, but the input "
                         f"{format_shape(input_shape)} has {len(full_shape)}", field="noise_shape",
                         hint="give one entry per axis, the batch axis first; null keeps an axis's size")
    mask_shape = [full_shape[i] if size is None else size for i, size in enumerate(noise_shape)]
    offset = len(full_shape) - len(mask_shape)
    if offset and noise_shape[0] is None:
        raise ShapeError(f"noise_shape {_written(noise_shape)} is shorter than the input's {len(full_shape)} axes, so its "
                         f"leading null (the batch size) is matched against axis {offset}, of size {full_shape[offset]}",
                         field="noise_shape", hint="give one entry per axis, the batch axis first")
    for axis, mask in enumerate(mask_shape, start=offset):
        size = full_shape[axis]
        if None not in (mask, size) and mask not in (1, size):
            raise ShapeError(f"noise_shape {_written(noise_shape)} gives the mask {mask} on axis {axis}, where the input "
                             f"{format_shape(input_shape)} has {size}", field="noise_shape",
                             hint=f"use 1 to share the mask along that axis, or null for {size}; "
                                  "one entry per axis, the batch axis first")


class Flatten(Layer):
    """Flattens each sample to one axis.

    Args:
        data_format: ``channels_last`` or ``channels_first``; it orders the flattened features.
    """

    type: Literal["Flatten"]
    data_format: DataFormat = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape):
            return (None,)
        return (math.prod(input_shape),)


class Embedding(Layer):
    """Maps integer token ids in ``[0, input_dim)`` to dense vectors.

    Args:
        input_dim: vocabulary size, the largest token id plus one.
        output_dim: size of each vector.
        embeddings_initializer: initializer of the table.
        embeddings_regularizer: regularizer of the table.
        embeddings_constraint: constraint on the table.
        mask_zero: treat id 0 as padding and mask it for later layers.
    """

    type: Literal["Embedding"]
    input_dim: PositiveInt
    output_dim: PositiveInt
    embeddings_initializer: Initializer = "uniform"
    embeddings_regularizer: Optional[Regularizer] = None
    embeddings_constraint: Optional[Constraint] = None
    mask_zero: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape) + (self.output_dim,)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        return {"embeddings": (self.input_dim, self.output_dim)}

