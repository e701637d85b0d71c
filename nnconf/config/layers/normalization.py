"""Normalization layers: BatchNormalization, LayerNormalization."""

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, field_validator

from nnconf.config.base import PositiveFloat
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import Layer, Shape, ShapeError, require_axis, require_known

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
    axis: Union[int, Annotated[list[int], Field(min_length=1)]] = -1
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

