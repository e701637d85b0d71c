"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, RMSNormalization,
UnitNormalization, and the SpectralNormalization wrapper."""

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, field_validator

from nnconf.config.base import PositiveFloat, PositiveInt
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import (
    AnyLayer, Layer, Shape, ShapeError, check_wrapped, located_at, require_axis, require_known,
)

Axes = Union[int, Annotated[list[int], Field(min_length=1)]]

Momentum = Annotated[float, Field(ge=0, le=1)]


def normalized_size(axis: int, input_shape: Shape, layer: str) -> int:
    """The size of a normalized axis, which sizes the per-feature weights, so it must be known."""
    return require_known(((None,) + tuple(input_shape))[axis], layer, f"size of axis {axis}")


class AffineNormalization(Layer):
    """The epsilon and the learned offset (beta) and scale (gamma) arguments normalization layers share.

    Args:
        epsilon: small float added to the variance to avoid dividing by zero.
        center: add the learned offset ``beta``.
        scale: multiply by the learned scale ``gamma``.
        beta_initializer: initializer of ``beta``.
        gamma_initializer: initializer of ``gamma``.
        beta_regularizer: regularizer of ``beta``.
        gamma_regularizer: regularizer of ``gamma``.
        beta_constraint: constraint on ``beta``.
        gamma_constraint: constraint on ``gamma``.
    """

    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True
    beta_initializer: Initializer = "zeros"
    gamma_initializer: Initializer = "ones"
    beta_regularizer: Optional[Regularizer] = None
    gamma_regularizer: Optional[Regularizer] = None
    beta_constraint: Optional[Constraint] = None
    gamma_constraint: Optional[Constraint] = None

    @property
    def axes(self) -> list[int]:
        # Each subclass declares its own ``axis``: one int, or for LayerNormalization also a list.
        return [self.axis] if isinstance(self.axis, int) else list(self.axis)

    def output_shape(self, input_shape: Shape) -> Shape:
        for axis in self.axes:
            if require_axis(axis, input_shape, self.type) == 0:
                raise ShapeError(
                    f"{self.type} has axis {axis}, the batch axis, whose size cannot size its weights",
                    field="axis",
                    hint="axes count the batch axis as 0; normalize a feature axis, e.g. -1 for the last",
                )
        return tuple(input_shape)


class BatchNormalization(AffineNormalization):
    """Normalizes each feature with the batch statistics in training and their moving averages in inference.

    Args:
        axis: the feature axis, counting the batch axis as 0; e.g. 1 after a channels_first convolution.
        momentum: momentum of the moving mean and variance.
        moving_mean_initializer: initializer of the moving mean.
        moving_variance_initializer: initializer of the moving variance.
        renorm: use batch renormalization, which adds three non-trainable weights.
        renorm_clipping: with ``renorm``: bounds ``rmax``, ``rmin`` and ``dmax`` of the renorm correction.
        renorm_momentum: with ``renorm``: momentum of the renorm mean and standard deviation.
        synchronized: TensorFlow only: synchronize the batch statistics across devices.
    """

    NON_TRAINABLE_WEIGHTS = frozenset({"moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
                                       "renorm_stddev"})

    type: Literal["BatchNormalization"]
    axis: int = -1
    momentum: Momentum = 0.99
    moving_mean_initializer: Initializer = "zeros"
    moving_variance_initializer: Initializer = "ones"
    renorm: bool = False
    renorm_clipping: Optional[dict[Literal["rmax", "rmin", "dmax"], float]] = None
    renorm_momentum: Momentum = 0.99
    synchronized: bool = False

    @field_validator("renorm_clipping")
    @classmethod
    def _clipping_bounds(cls, clipping: Optional[dict]) -> Optional[dict]:
        if clipping is None:
            return None
        if "rmax" in clipping and "rmin" in clipping and clipping["rmax"] < clipping["rmin"]:
            raise ValueError("rmax must not be below rmin")
        if clipping.get("dmax", 0.0) < 0:
            raise ValueError("dmax must not be negative")
        return clipping

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        shape = (normalized_size(self.axis, input_shape, self.type),)
        shapes = {"moving_mean": shape, "moving_variance": shape}
        if self.scale:
            shapes["gamma"] = shape
        if self.center:
            shapes["beta"] = shape
        if self.renorm:
            shapes.update(dict.fromkeys(("moving_stddev", "renorm_mean", "renorm_stddev"), shape))
        return shapes


class LayerNormalization(AffineNormalization):
    """Normalizes each sample over the given axes, with a learned per-feature scale and offset.

    Args:
        axis: the axis or axes to normalize over, counting the batch axis as 0.
        rms_scaling: deprecated by Keras (it scales by the variance, not the root mean square): skip
            the centering and ``beta``, and always use ``gamma``.
    """

    type: Literal["LayerNormalization"]
    axis: Axes = -1
    rms_scaling: bool = False

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        # Keras sorts the axes as written, so [-1, 1] sizes the weights (last, first).
        shape = tuple(normalized_size(axis, input_shape, self.type) for axis in sorted(self.axes))
        shapes = {}
        if self.scale or self.rms_scaling:
            shapes["gamma"] = shape
        if self.center and not self.rms_scaling:
            shapes["beta"] = shape
        return shapes



def check_feature_axes(layer: str, axes: list[int], input_shape: Shape) -> None:
    """Each axis within the input, and none the batch axis (statistics across samples would mix them)."""
    for axis in axes:
        if require_axis(axis, input_shape, layer) == 0:
            raise ShapeError(f"{layer} has axis {axis}, the batch axis, which would mix the samples of a batch",
                             field="axis", hint="axes count the batch axis as 0; e.g. -1 for the last")


class GroupNormalization(AffineNormalization):
    """Normalizes each sample over groups of channels: instance normalization with ``groups: -1``, layer
    normalization with ``groups: 1``.

    Args:
        groups: the number of groups the channels of ``axis`` are split into; it must divide them.
            -1: one group per channel.
        axis: the channel axis, counting the batch axis as 0.
    """

    type: Literal["GroupNormalization"]
    groups: Union[PositiveInt, Literal[-1]] = 32
    axis: int = -1

    def output_shape(self, input_shape: Shape) -> Shape:
        super().output_shape(input_shape)
        channels = normalized_size(self.axis, input_shape, self.type)
        if self.groups != -1 and (self.groups > channels or channels % self.groups):
            raise ShapeError(f"GroupNormalization splits {channels} channels into {self.groups} groups, but "
                             f"{self.groups} does not divide {channels}", field="groups",
                             hint=f"use a divisor of {channels}, or -1 for one group per channel")
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        shape = (normalized_size(self.axis, input_shape, self.type),)
        shapes = {}
        if self.scale:
            shapes["gamma"] = shape
        if self.center:
            shapes["beta"] = shape
        return shapes


class RMSNormalization(Layer):
    """Root-mean-square normalization: divides by the root mean square over the axes, with a learned scale.

    Args:
        axis: the axis or axes to normalize over, counting the batch axis as 0.
        epsilon: small float added to the mean square to avoid dividing by zero.
    """

    type: Literal["RMSNormalization"]
    axis: Axes = -1
    epsilon: PositiveFloat = 1e-6

    @property
    def axes(self) -> list[int]:
        return [self.axis] if isinstance(self.axis, int) else list(self.axis)

    def output_shape(self, input_shape: Shape) -> Shape:
        check_feature_axes(self.type, self.axes, input_shape)
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        # Keras sorts the axes as written, as LayerNormalization does.
        return {"scale": tuple(normalized_size(axis, input_shape, self.type) for axis in sorted(self.axes))}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over the axes.

    Args:
        axis: the axis or axes the norm is taken over, counting the batch axis as 0.
    """

    type: Literal["UnitNormalization"]
    axis: Axes = -1

    def output_shape(self, input_shape: Shape) -> Shape:
        check_feature_axes(self.type, [self.axis] if isinstance(self.axis, int) else self.axis, input_shape)
        return tuple(input_shape)


class SpectralNormalization(Layer):
    """Divides the kernel (or embeddings) of a layer by its spectral norm in training, estimated by power
    iteration, to constrain the layer's Lipschitz constant (as in GAN discriminators).

    The weights are the wrapped layer's and ``vector_u``, the power iteration's state (non-trainable).

    Args:
        layer: a layer with a ``kernel`` or ``embeddings`` weight: Dense, EinsumDense, a convolution
            (not separable), a transposed convolution, Embedding.
        power_iterations: power iterations per training step.
    """

    WRAPS_LAYER = True
    NON_TRAINABLE_WEIGHTS = frozenset({"vector_u"})

    type: Literal["SpectralNormalization"]
    layer: AnyLayer
    power_iterations: PositiveInt = 1

    @field_validator("layer")
    @classmethod
    def _plain_layer(cls, layer: Layer) -> Layer:
        if layer.WRAPS_LAYER or layer.CALL_STYLE != "single":
            raise ValueError(f"SpectralNormalization wraps a layer with a kernel taking one input, not {layer.type}")
        check_wrapped("SpectralNormalization", layer)
        return layer

    def trainable_weight(self, name: str) -> bool:
        return super().trainable_weight(name) and self.layer.trainable_weight(name)

    def output_shape(self, input_shape: Shape) -> Shape:
        with located_at("layer"):
            return self.layer.output_shape(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        with located_at("layer"):
            shapes = dict(self.layer.weight_shapes(input_shape))
        # Recurrent layers keep their kernel in their cell, where Keras's wrapper does not look.
        kernel = None if "recurrent_kernel" in shapes else shapes.get("kernel", shapes.get("embeddings"))
        if kernel is None:
            raise ShapeError(f"SpectralNormalization normalizes the kernel of a layer that holds one itself, or the "
                             f"embeddings of an Embedding, which {self.layer.type} does not", field="layer",
                             hint="wrap a Dense, EinsumDense, convolution (not separable) or Embedding layer")
        return {**shapes, "vector_u": (1, kernel[-1])}
