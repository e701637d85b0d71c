"""Core layers: Dense, Activation, Dropout, Flatten, Embedding."""

import math
from typing import Literal, Optional

from nnconf.config.base import PositiveInt, Rate, Seed
from nnconf.config.functions import Activation as ActivationFunction
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import DataFormat, Layer, Shape, ShapeError, require_known


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

