"""Regularization layers: SpatialDropout1D, SpatialDropout2D, GaussianNoise (Dropout is in core)."""

from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import Field

from nnconf.config.base import Rate, Seed
from nnconf.config.layers.base import Layer, Shape, require_rank


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


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise to the inputs in training.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: seed of the noise.
    """

    type: Literal["GaussianNoise"]
    stddev: Annotated[float, Field(ge=0, le=1)]
    seed: Optional[Seed] = None

