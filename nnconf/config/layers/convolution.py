"""Convolution layers: Conv1D/2D/3D, SeparableConv1D/2D, DepthwiseConv1D/2D, Conv1D/2D/3DTranspose.

Also the base for every layer over spatial axes and a channel axis, which pooling shares.
"""

from typing import ClassVar, Literal, Optional, Union

from pydantic import field_validator, model_validator

from nnconf.config.base import NonNegativeInt, PositiveInt
from nnconf.config.functions import Activation as ActivationFunction
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import (
    DataFormat, Layer, Shape, ShapeError, as_tuple, deconv_length, require_known, require_rank, spatial_output,
)
from nnconf.config.layers.core import KernelArguments

# One int for every spatial axis, or a list of one int per axis, as Keras takes window arguments.
IntOrTuple = Union[PositiveInt, list[PositiveInt]]

_SPATIAL_AXES = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}


class SpatialLayer(Layer):
    """A layer over ``RANK`` spatial axes and one channel axis.

    Args:
        data_format: ``channels_last`` (inputs ``(batch, *spatial, channels)``) or ``channels_first``
            (``(batch, channels, *spatial)``); None takes Keras's ``image_data_format``, which shape
            inference takes to be its default, ``channels_last``.
    """

    RANK: ClassVar[int]

    data_format: DataFormat = None

    @field_validator("kernel_size", "strides", "dilation_rate", "output_padding", "pool_size", "output_size",
                     check_fields=False)
    @classmethod
    def _one_per_axis(cls, value, info):
        if isinstance(value, list) and len(value) != cls.RANK:
            raise ValueError(
                f"{info.field_name} takes one int or a list of {cls.RANK} ints (one per spatial axis), "
                f"not a list of {len(value)}"
            )
        return value

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"

    def per_axis(self, field: str) -> tuple[int, ...]:
        """A window argument as one int per spatial axis."""
        return as_tuple(getattr(self, field), self.RANK)

    def split(self, input_shape: Shape) -> tuple[tuple, int | None]:
        """The spatial sizes and the channel count of an input; a wrong rank is a ShapeError."""
        axes = _SPATIAL_AXES[self.RANK]
        layout = f"channels, {axes}" if self.channels_first else f"{axes}, channels"
        require_rank(input_shape, self.RANK + 1, self.type, f" (batch, {layout})")
        if self.channels_first:
            return tuple(input_shape[1:]), input_shape[0]
        return tuple(input_shape[:-1]), input_shape[-1]

    def join(self, spatial: tuple, channels: int | None) -> Shape:
        return (channels, *spatial) if self.channels_first else (*spatial, channels)


class ConvolutionWindow(SpatialLayer):
    """The window arguments every convolution shares.

    Args:
        kernel_size: size of the convolution window along each spatial axis.
        strides: step of the window along each spatial axis.
        padding: ``valid`` (no padding: the output shrinks by the window) or ``same`` (zero padding so
            that with strides 1 the output keeps the input's size).
        dilation_rate: spacing of the kernel's taps along each spatial axis, for dilated convolution.
    """

    # Keras rejects strides > 1 together with dilation_rate > 1 for these layers only.
    STRIDES_EXCLUDE_DILATION: ClassVar[bool] = False

    kernel_size: IntOrTuple
    strides: IntOrTuple = 1
    padding: Literal["valid", "same"] = "valid"
    dilation_rate: IntOrTuple = 1

    @model_validator(mode="after")
    def _strides_or_dilation(self):
        strided, dilated = max(self.per_axis("strides")) > 1, max(self.per_axis("dilation_rate")) > 1
        if self.STRIDES_EXCLUDE_DILATION and strided and dilated:
            raise ValueError(f"{self.type} cannot combine strides > 1 with dilation_rate > 1; set one of them to 1")
        return self

    def input_channels(self, input_shape: Shape) -> int:
        return require_known(self.split(input_shape)[1], self.type, "channel axis")

    def output_spatial(self, input_shape: Shape) -> tuple:
        return spatial_output(
            self.type, self.split(input_shape)[0], self.per_axis("kernel_size"), self.per_axis("strides"),
            self.padding, self.per_axis("dilation_rate"),
        )


class Convolution(ConvolutionWindow, KernelArguments):
    """A convolution with ``filters`` output channels: ``activation(conv(x, kernel) + bias)``.

    Args:
        filters: number of output channels.
        groups: number of groups the channels are split into, each convolved separately with
            ``filters / groups`` filters; filters and input channels must both divide by it.
    """

    STRIDES_EXCLUDE_DILATION: ClassVar[bool] = True

    filters: PositiveInt
    groups: PositiveInt = 1

    @model_validator(mode="after")
    def _filters_split_into_groups(self):
        if self.filters % self.groups:
            raise ValueError(f"filters ({self.filters}) must be a multiple of groups ({self.groups})")
        return self

    def grouped_channels(self, input_shape: Shape) -> int:
        """Input channels each filter sees; they must split evenly into the groups."""
        channels = self.input_channels(input_shape)
        if channels % self.groups:
            raise ShapeError(
                f"{self.type} has groups: {self.groups}, but its input has {channels} channels, "
                f"not a multiple of {self.groups}",
                field="groups",
                hint=f"use groups that divide {channels}",
            )
        return channels // self.groups

    def output_shape(self, input_shape: Shape) -> Shape:
        self.grouped_channels(input_shape)
        return self.join(self.output_spatial(input_shape), self.filters)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        shapes = {"kernel": self.per_axis("kernel_size") + (self.grouped_channels(input_shape), self.filters)}
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes


class Conv1D(Convolution):
    """1D convolution over the steps of a sequence.

    Args:
        padding: ``valid``, ``same``, or ``causal`` (zero padding before the first step only, so that
            no output step depends on later input steps).
    """

    RANK: ClassVar[int] = 1

    type: Literal["Conv1D"]
    padding: Literal["valid", "same", "causal"] = "valid"


class Conv2D(Convolution):
    """2D convolution over the rows and columns of an image."""

    RANK: ClassVar[int] = 2

    type: Literal["Conv2D"]


class Conv3D(Convolution):
    """3D convolution over a volume (depth, rows, columns), e.g. of video or scans."""

    RANK: ClassVar[int] = 3

    type: Literal["Conv3D"]


class DepthwiseArguments(Layer):
    """The activation, initializer, regularizer and constraint arguments of depthwise convolutions.

    Args:
        activation: applied to the output.
        use_bias: whether to add a bias to the output.
        depthwise_initializer: initializer of the depthwise kernel.
        bias_initializer: initializer of the bias.
        depthwise_regularizer: regularizer of the depthwise kernel.
        bias_regularizer: regularizer of the bias.
        activity_regularizer: regularizer of the output.
        depthwise_constraint: constraint on the depthwise kernel.
        bias_constraint: constraint on the bias.
    """

    activation: ActivationFunction = "linear"
    use_bias: bool = True
    depthwise_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"
    depthwise_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None
    activity_regularizer: Optional[Regularizer] = None
    depthwise_constraint: Optional[Constraint] = None
    bias_constraint: Optional[Constraint] = None


class DepthwiseConvolution(ConvolutionWindow, DepthwiseArguments):
    """Depthwise convolution: each input channel convolved on its own with ``depth_multiplier`` filters.

    Args:
        depth_multiplier: output channels per input channel.
    """

    depth_multiplier: PositiveInt = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        channels = self.input_channels(input_shape)
        return self.join(self.output_spatial(input_shape), channels * self.depth_multiplier)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        channels = self.input_channels(input_shape)
        shapes = {"kernel": self.per_axis("kernel_size") + (channels, self.depth_multiplier)}
        if self.use_bias:
            shapes["bias"] = (channels * self.depth_multiplier,)
        return shapes


class DepthwiseConv1D(DepthwiseConvolution):
    """1D depthwise convolution over the steps of a sequence."""

    RANK: ClassVar[int] = 1

    type: Literal["DepthwiseConv1D"]


class DepthwiseConv2D(DepthwiseConvolution):
    """2D depthwise convolution over the rows and columns of an image."""

    RANK: ClassVar[int] = 2

    type: Literal["DepthwiseConv2D"]


class SeparableArguments(DepthwiseArguments):
    """The depthwise arguments plus those of the pointwise (1x1) kernel.

    Args:
        pointwise_initializer: initializer of the pointwise kernel.
        pointwise_regularizer: regularizer of the pointwise kernel.
        pointwise_constraint: constraint on the pointwise kernel.
    """

    pointwise_initializer: Initializer = "glorot_uniform"
    pointwise_regularizer: Optional[Regularizer] = None
    pointwise_constraint: Optional[Constraint] = None


class SeparableConvolution(ConvolutionWindow, SeparableArguments):
    """Separable convolution: a depthwise convolution, then a pointwise (size 1) convolution mixing the channels.

    Args:
        filters: number of output channels.
        depth_multiplier: channels per input channel between the depthwise and the pointwise step.
    """

    filters: PositiveInt
    depth_multiplier: PositiveInt = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        self.input_channels(input_shape)
        return self.join(self.output_spatial(input_shape), self.filters)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        channels = self.input_channels(input_shape)
        shapes = {
            "depthwise_kernel": self.per_axis("kernel_size") + (channels, self.depth_multiplier),
            "pointwise_kernel": (1,) * self.RANK + (channels * self.depth_multiplier, self.filters),
        }
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes


class SeparableConv1D(SeparableConvolution):
    """1D separable convolution over the steps of a sequence."""

    RANK: ClassVar[int] = 1

    type: Literal["SeparableConv1D"]


class SeparableConv2D(SeparableConvolution):
    """2D separable convolution over the rows and columns of an image."""

    RANK: ClassVar[int] = 2

    type: Literal["SeparableConv2D"]


class ConvolutionTranspose(ConvolutionWindow, KernelArguments):
    """Transposed convolution ("deconvolution"), upsampling the spatial axes by ``strides``.

    Args:
        filters: number of output channels.
        output_padding: extra size added to each spatial axis of the output, less than ``strides``
            on that axis; None infers it (``valid``: ``size * strides + max(kernel - strides, 0)``,
            ``same``: ``size * strides``).
    """

    STRIDES_EXCLUDE_DILATION: ClassVar[bool] = True

    filters: PositiveInt
    output_padding: Union[NonNegativeInt, list[NonNegativeInt], None] = None

    @model_validator(mode="after")
    def _output_padding_below_strides(self):
        if self.output_padding is None:
            return self
        for axis, (extra, stride) in enumerate(zip(self.per_axis("output_padding"), self.per_axis("strides"))):
            if extra >= stride:
                raise ValueError(
                    f"output_padding ({extra}) must be less than strides ({stride}) on spatial axis {axis + 1}"
                )
        return self

    def output_shape(self, input_shape: Shape) -> Shape:
        self.input_channels(input_shape)
        paddings = (None,) * self.RANK if self.output_padding is None else self.per_axis("output_padding")
        spatial = tuple(
            deconv_length(size, kernel, stride, self.padding, dilation, extra)
            for size, kernel, stride, dilation, extra in zip(
                self.split(input_shape)[0], self.per_axis("kernel_size"), self.per_axis("strides"),
                self.per_axis("dilation_rate"), paddings,
            )
        )
        return self.join(spatial, self.filters)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        # Transposed: the kernel maps output channels back to input channels.
        shapes = {"kernel": self.per_axis("kernel_size") + (self.filters, self.input_channels(input_shape))}
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes


class Conv1DTranspose(ConvolutionTranspose):
    """1D transposed convolution, upsampling the steps of a sequence."""

    RANK: ClassVar[int] = 1

    type: Literal["Conv1DTranspose"]


class Conv2DTranspose(ConvolutionTranspose):
    """2D transposed convolution, upsampling the rows and columns of an image."""

    RANK: ClassVar[int] = 2

    type: Literal["Conv2DTranspose"]


class Conv3DTranspose(ConvolutionTranspose):
    """3D transposed convolution, upsampling a volume (depth, rows, columns)."""

    RANK: ClassVar[int] = 3

    type: Literal["Conv3DTranspose"]
