"""Reshaping layers: Reshape, Permute, RepeatVector, and UpSampling, ZeroPadding and Cropping in 1D, 2D, 3D.

Flatten is a core layer (``core.py``).
"""

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field

from nnconf.config.base import NonNegativeInt, PositiveInt
from nnconf.config.layers.base import (
    DataFormat, Layer, Shape, ShapeError, as_tuple, format_shape, require_rank,
)
PositivePair = Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]
PositiveTriple = Annotated[list[PositiveInt], Field(min_length=3, max_length=3)]
NonNegativePair = Annotated[list[NonNegativeInt], Field(min_length=2, max_length=2)]
# Keras takes each axis's amount as one int (both sides) or a (before, after) pair, independently.
AxisAmount = Union[NonNegativeInt, NonNegativePair]
SideAmounts = Union[NonNegativeInt, Annotated[list[AxisAmount], Field(min_length=2, max_length=2)]]
SideAmounts3D = Union[NonNegativeInt, Annotated[list[AxisAmount], Field(min_length=3, max_length=3)]]

_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape``, keeping the number of elements.

    Args:
        target_shape: the new sample shape, without the batch axis; one entry may be -1, to be
            inferred from the others and the input size.
    """

    type: Literal["Reshape"]
    target_shape: Annotated[list[Union[PositiveInt, Literal[-1]]], Field(min_length=1)]

    def output_shape(self, input_shape: Shape) -> Shape:
        target = tuple(self.target_shape)
        if target.count(-1) > 1:
            raise ShapeError(
                f"Reshape target_shape {list(target)} has {target.count(-1)} entries of -1; at most one "
                "can be inferred",
                field="target_shape",
                hint="give every axis but one its size",
            )
        # An unknown input axis leaves the element count unknown, so Keras infers nothing and checks nothing.
        if None in input_shape:
            return tuple(None if d == -1 else d for d in target)
        size = math.prod(input_shape)
        known = math.prod(d for d in target if d != -1)
        if -1 not in target:
            if known != size:
                raise ShapeError(
                    f"Reshape cannot change the number of elements: input {format_shape(input_shape)} has "
                    f"{size}, target_shape {list(target)} has {known}",
                    field="target_shape",
                    hint=f"make the target sizes multiply to {size}, or write -1 for one axis to infer it",
                )
            return target
        if size % known:
            raise ShapeError(
                f"Reshape cannot fill target_shape {list(target)}: the input {format_shape(input_shape)} has "
                f"{size} elements, which is not a multiple of {known}, the product of the known sizes",
                field="target_shape",
                hint=f"make the known target sizes multiply to a divisor of {size}",
            )
        return tuple(size // known if d == -1 else d for d in target)


class Permute(Layer):
    """Reorders the axes of each sample.

    Args:
        dims: the new order of the input's axes, numbered from 1 (the batch axis stays first),
            e.g. ``[2, 1]`` swaps the two axes of a sequence.
    """

    type: Literal["Permute"]
    dims: Annotated[list[PositiveInt], Field(min_length=1)]

    def output_shape(self, input_shape: Shape) -> Shape:
        rank = len(input_shape)
        if sorted(self.dims) != list(range(1, rank + 1)):
            raise ShapeError(
                f"Permute dims {self.dims} is not a permutation of the axes 1..{rank} of its input "
                f"{format_shape(input_shape)}",
                field="dims",
                hint=f"list each of the numbers 1 to {rank} exactly once, e.g. {list(range(rank, 0, -1))}",
            )
        return tuple(input_shape[d - 1] for d in self.dims)


class RepeatVector(Layer):
    """Repeats each sample vector ``n`` times along a new axis: ``(features,)`` becomes ``(n, features)``.

    Args:
        n: number of repetitions.
    """

    type: Literal["RepeatVector"]
    n: PositiveInt

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, 1, "RepeatVector")
        return (self.n, input_shape[0])


class SpatialResizing(Layer):
    """A layer that changes the sizes of the ``RANK`` spatial axes of its input, keeping the channels."""

    RANK: ClassVar[int]

    def spatial_indices(self, input_shape: Shape) -> range:
        """Where the spatial axes are in the sample shape (after a channel axis with channels_first)."""
        axes = ", ".join(_AXIS_NAMES[self.RANK])
        channels_first = getattr(self, "data_format", None) == "channels_first"
        layout = f"channels, {axes}" if channels_first else f"{axes}, channels"
        require_rank(input_shape, self.RANK + 1, self.type, f" (batch, {layout})")
        return range(1, self.RANK + 1) if channels_first else range(self.RANK)

    def per_axis(self, value: int | list) -> list[tuple[int, int]]:
        """(before, after) amounts per spatial axis from Keras's int, pair, or list of ints or pairs."""
        if self.RANK == 1:
            return [as_tuple(value, 2)]
        return [as_tuple(amount, 2) for amount in as_tuple(value, self.RANK)]


class UpSampling(SpatialResizing):
    """Enlarges the spatial axes by whole factors, repeating the values.

    Args:
        size: the factor for each spatial axis, one int for all or one per axis.
    """

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = list(input_shape)
        for axis, factor in zip(self.spatial_indices(input_shape), as_tuple(self.size, self.RANK)):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)


class UpSampling1D(UpSampling):
    """Repeats each step of a sequence ``size`` times."""

    RANK = 1

    type: Literal["UpSampling1D"]
    size: PositiveInt = 2


class UpSampling2D(UpSampling):
    """Enlarges images by whole factors along rows and columns.

    Args:
        size: the factors for rows and columns, one int for both or a pair.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
        interpolation: how new pixels are filled: ``nearest`` repeats rows and columns.
    """

    RANK = 2

    type: Literal["UpSampling2D"]
    size: Union[PositiveInt, PositivePair] = [2, 2]
    data_format: DataFormat = None
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"] = "nearest"


class UpSampling3D(UpSampling):
    """Enlarges volumes by whole factors along depth, rows and columns.

    Args:
        size: the factors for depth, rows and columns, one int for all or three.
        data_format: ``channels_last`` (depth, rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    RANK = 3

    type: Literal["UpSampling3D"]
    size: Union[PositiveInt, PositiveTriple] = [2, 2, 2]
    data_format: DataFormat = None


class ZeroPadding(SpatialResizing):
    """Pads the spatial axes with zeros."""

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = list(input_shape)
        for axis, (before, after) in zip(self.spatial_indices(input_shape), self.per_axis(self.padding)):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)


class ZeroPadding1D(ZeroPadding):
    """Pads sequences with zero steps at the start and the end.

    Args:
        padding: one int for both ends, or a pair ``[start, end]``.
        data_format: ``channels_last`` (steps, features) or ``channels_first`` (features, steps); null
            uses Keras's ``image_data_format``.
    """

    RANK = 1

    type: Literal["ZeroPadding1D"]
    padding: Union[NonNegativeInt, NonNegativePair] = 1
    data_format: DataFormat = None


class ZeroPadding2D(ZeroPadding):
    """Pads images with rows and columns of zeros.

    Args:
        padding: one int for all four sides, a pair (rows on top and bottom, columns on left and
            right), or a pair of pairs ``[[top, bottom], [left, right]]``.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    RANK = 2

    type: Literal["ZeroPadding2D"]
    padding: SideAmounts = [1, 1]
    data_format: DataFormat = None


class ZeroPadding3D(ZeroPadding):
    """Pads volumes with zeros along depth, rows and columns.

    Args:
        padding: one int for every side, three (one per axis, both sides), or three pairs
            ``[[before, after], ...]``.
        data_format: ``channels_last`` (depth, rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    RANK = 3

    type: Literal["ZeroPadding3D"]
    padding: SideAmounts3D = [[1, 1], [1, 1], [1, 1]]
    data_format: DataFormat = None


class Cropping(SpatialResizing):
    """Cuts the edges off the spatial axes."""

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = list(input_shape)
        axes = zip(self.spatial_indices(input_shape), _AXIS_NAMES[self.RANK], self.per_axis(self.cropping))
        for axis, name, (before, after) in axes:
            if shape[axis] is None:
                continue
            if before + after >= shape[axis]:
                raise ShapeError(
                    f"{self.type} crops {before} + {after} {name} off {shape[axis]}, leaving none, "
                    f"on input {format_shape(input_shape)}",
                    field="cropping",
                    hint=f"crop fewer than {shape[axis]} {name} in all",
                )
            shape[axis] -= before + after
        return tuple(shape)


class Cropping1D(Cropping):
    """Cuts steps off the start and the end of sequences.

    Args:
        cropping: one int for both ends, or a pair ``[start, end]``.
    """

    RANK = 1

    type: Literal["Cropping1D"]
    cropping: Union[NonNegativeInt, NonNegativePair] = [1, 1]


class Cropping2D(Cropping):
    """Cuts rows and columns off the edges of images.

    Args:
        cropping: one int for all four sides, a pair (rows off top and bottom, columns off left
            and right), or a pair of pairs ``[[top, bottom], [left, right]]``.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    RANK = 2

    type: Literal["Cropping2D"]
    cropping: SideAmounts = [[0, 0], [0, 0]]
    data_format: DataFormat = None


class Cropping3D(Cropping):
    """Cuts the edges off volumes along depth, rows and columns.

    Args:
        cropping: one int for every side, three (one per axis, both sides), or three pairs
            ``[[before, after], ...]``.
        data_format: ``channels_last`` (depth, rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    RANK = 3

    type: Literal["Cropping3D"]
    cropping: SideAmounts3D = [[1, 1], [1, 1], [1, 1]]
    data_format: DataFormat = None
