"""Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization (Dropout is in core)."""

from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import Field

from nnconf.config.base import NonNegativeFloat, Rate, Seed
from nnconf.config.layers.base import Layer, Shape, require_rank
from nnconf.config.layers.core import MaskedDropout


class SpatialDropout(Layer):
    """Dropout of whole feature maps: each channel of a sample is kept or zeroed as a whole.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: seed of the dropout mask.
    """

    SPATIAL_RANK: ClassVar[int]

    rate: Rate
    seed: Optional[Seed] = None

    def keras_arguments(self) -> dict[str, Any]:
        # Keras's spatial dropout classes refuse `trainable`; holding no weights, they have no use for it.
        arguments = super().keras_arguments()
        del arguments["trainable"]
        return arguments

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, self.SPATIAL_RANK + 1, self.type)
        return tuple(input_shape)


class SpatialDropout1D(SpatialDropout):
    """Drops whole channels of a sequence, shaped (steps, channels)."""

    SPATIAL_RANK = 1

    type: Literal["SpatialDropout1D"]


class SpatialDropout2D(SpatialDropout):
    """Drops whole channels of an image, shaped (rows, cols, channels) or (channels, rows, cols).

    Args:
        data_format: ``channels_last`` or ``channels_first``; None takes Keras's image_data_format.
    """

    SPATIAL_RANK = 2

    type: Literal["SpatialDropout2D"]
    data_format: Optional[Literal["channels_last", "channels_first"]] = None


class SpatialDropout3D(SpatialDropout):
    """Drops whole channels of a volume, shaped (depth, rows, cols, channels) or channels first.

    Args:
        data_format: ``channels_last`` or ``channels_first``; None takes Keras's image_data_format.
    """

    SPATIAL_RANK = 3

    type: Literal["SpatialDropout3D"]
    data_format: Optional[Literal["channels_last", "channels_first"]] = None


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise to the inputs in training.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: seed of the noise.
    """

    type: Literal["GaussianNoise"]
    stddev: Annotated[float, Field(ge=0, le=1)]
    seed: Optional[Seed] = None


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 in training.

    Args:
        rate: the drop probability it stands for, in [0, 1): the noise's standard deviation is
            ``sqrt(rate / (1 - rate))``.
        seed: seed of the noise.
    """

    type: Literal["GaussianDropout"]
    rate: Rate
    seed: Optional[Seed] = None


class AlphaDropout(MaskedDropout):
    """Dropout that keeps the mean and variance of its inputs, for self-normalizing (SELU) networks."""

    type: Literal["AlphaDropout"]


class ActivityRegularization(Layer):
    """Passes its inputs unchanged and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` of them to the loss.

    Args:
        l1: the L1 factor.
        l2: the L2 factor.
    """

    type: Literal["ActivityRegularization"]
    l1: NonNegativeFloat = 0.0
    l2: NonNegativeFloat = 0.0
