"""Pooling layers: max and average pooling over windows, adaptive pooling to a fixed output size, and
global pooling over all spatial axes."""

from typing import ClassVar, Literal, Optional

from nnconf.config.layers.base import Shape, spatial_output
from nnconf.config.layers.convolution import IntOrTuple, SpatialLayer


class Pooling(SpatialLayer):
    """Pools each channel over windows of the spatial axes.

    Args:
        pool_size: size of the pooling window along each spatial axis.
        strides: step of the window along each spatial axis; None takes ``pool_size``, so windows
            tile the input without overlapping.
        padding: ``valid`` (no padding: partial windows at the end are dropped) or ``same`` (padding
            so that with strides 1 the output keeps the input's size).
    """

    POSITIONAL: ClassVar[tuple[str, ...]] = ("pool_size", "strides", "padding")  # MaxPooling2D(2)

    pool_size: IntOrTuple
    strides: Optional[IntOrTuple] = None
    padding: Literal["valid", "same"] = "valid"

    def output_shape(self, input_shape: Shape) -> Shape:
        spatial, channels = self.split(input_shape)
        pool = self.per_axis("pool_size")
        strides = pool if self.strides is None else self.per_axis("strides")
        return self.join(spatial_output(self.type, spatial, pool, strides, self.padding, field="pool_size"), channels)


class MaxPooling1D(Pooling):
    """Takes the maximum of each channel over windows of steps."""

    RANK: ClassVar[int] = 1

    type: Literal["MaxPooling1D"]
    pool_size: IntOrTuple = 2


class MaxPooling2D(Pooling):
    """Takes the maximum of each channel over windows of rows and columns."""

    RANK: ClassVar[int] = 2

    type: Literal["MaxPooling2D"]
    pool_size: IntOrTuple = 2


class MaxPooling3D(Pooling):
    """Takes the maximum of each channel over windows of depth, rows and columns."""

    RANK: ClassVar[int] = 3

    type: Literal["MaxPooling3D"]
    pool_size: IntOrTuple = 2


class AveragePooling1D(Pooling):
    """Averages each channel over windows of steps."""

    RANK: ClassVar[int] = 1

    type: Literal["AveragePooling1D"]


class AveragePooling2D(Pooling):
    """Averages each channel over windows of rows and columns."""

    RANK: ClassVar[int] = 2

    type: Literal["AveragePooling2D"]


class AveragePooling3D(Pooling):
    """Averages each channel over windows of depth, rows and columns."""

    RANK: ClassVar[int] = 3

    type: Literal["AveragePooling3D"]


class AdaptivePooling(SpatialLayer):
    """Pools each channel over windows chosen to give ``output_size`` along each spatial axis.

    Args:
        output_size: the size of each spatial axis of the output, one int for all or one per axis.
    """

    output_size: IntOrTuple

    def output_shape(self, input_shape: Shape) -> Shape:
        _, channels = self.split(input_shape)
        return self.join(self.per_axis("output_size"), channels)


class AdaptiveAveragePooling1D(AdaptivePooling):
    """Averages each channel over windows of steps, to ``output_size`` steps."""

    RANK: ClassVar[int] = 1

    type: Literal["AdaptiveAveragePooling1D"]


class AdaptiveAveragePooling2D(AdaptivePooling):
    """Averages each channel over windows of rows and columns, to ``output_size`` rows and columns."""

    RANK: ClassVar[int] = 2

    type: Literal["AdaptiveAveragePooling2D"]


class AdaptiveAveragePooling3D(AdaptivePooling):
    """Averages each channel over windows of depth, rows and columns, to ``output_size`` of each."""

    RANK: ClassVar[int] = 3

    type: Literal["AdaptiveAveragePooling3D"]


class AdaptiveMaxPooling1D(AdaptivePooling):
    """Takes the maximum of each channel over windows of steps, to ``output_size`` steps."""

    RANK: ClassVar[int] = 1

    type: Literal["AdaptiveMaxPooling1D"]


class AdaptiveMaxPooling2D(AdaptivePooling):
    """Takes the maximum of each channel over windows of rows and columns, to ``output_size`` of each."""

    RANK: ClassVar[int] = 2

    type: Literal["AdaptiveMaxPooling2D"]


class AdaptiveMaxPooling3D(AdaptivePooling):
    """Takes the maximum of each channel over windows of depth, rows and columns, to ``output_size`` of each."""

    RANK: ClassVar[int] = 3

    type: Literal["AdaptiveMaxPooling3D"]


class GlobalPooling(SpatialLayer):
    """Pools each channel over all spatial axes at once.

    Args:
        keepdims: keep the spatial axes, each of size 1, rather than dropping them.
    """

    keepdims: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        _, channels = self.split(input_shape)
        return self.join((1,) * self.RANK if self.keepdims else (), channels)


class GlobalAveragePooling1D(GlobalPooling):
    """Averages each channel over all steps (masked steps left out)."""

    RANK: ClassVar[int] = 1

    type: Literal["GlobalAveragePooling1D"]


class GlobalAveragePooling2D(GlobalPooling):
    """Averages each channel over all rows and columns."""

    RANK: ClassVar[int] = 2

    type: Literal["GlobalAveragePooling2D"]


class GlobalAveragePooling3D(GlobalPooling):
    """Averages each channel over all depth, rows and columns."""

    RANK: ClassVar[int] = 3

    type: Literal["GlobalAveragePooling3D"]


class GlobalMaxPooling1D(GlobalPooling):
    """Takes the maximum of each channel over all steps."""

    RANK: ClassVar[int] = 1

    type: Literal["GlobalMaxPooling1D"]


class GlobalMaxPooling2D(GlobalPooling):
    """Takes the maximum of each channel over all rows and columns."""

    RANK: ClassVar[int] = 2

    type: Literal["GlobalMaxPooling2D"]


class GlobalMaxPooling3D(GlobalPooling):
    """Takes the maximum of each channel over all depth, rows and columns."""

    RANK: ClassVar[int] = 3

    type: Literal["GlobalMaxPooling3D"]
