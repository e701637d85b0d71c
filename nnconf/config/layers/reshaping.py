"""Reshaping layers: Reshape, Permute, RepeatVector, UpSampling2D, ZeroPadding2D, Cropping2D.

Flatten is a core layer (``core.py``).
"""

import math
from typing import Annotated, Literal, Union

from pydantic import Field

from nnconf.config.base import NonNegativeInt, PositiveInt
from nnconf.config.layers.base import (
    DataFormat, Layer, Shape, ShapeError, as_tuple, format_shape, require_rank,
)
PositivePair = Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]
NonNegativePair = Annotated[list[NonNegativeInt], Field(min_length=2, max_length=2)]
# Keras takes each axis's amount as one int (both sides) or a (before, after) pair, independently.
SideAmounts = Union[NonNegativeInt, Annotated[list[Union[NonNegativeInt, NonNegativePair]],
                                              Field(min_length=2, max_length=2)]]


def spatial_axes(data_format: str | None) -> tuple[int, int]:
    """Indices of the two spatial axes in a sample shape of rank 3.

    ``None`` means Keras's configured ``image_data_format``, whose default is channels_last.
    """
    return (1, 2) if data_format == "channels_first" else (0, 1)


def side_amounts(value: int | list) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))`` from an int, a pair, or a pair of pairs."""
    rows, cols = as_tuple(value, 2)
    return as_tuple(rows, 2), as_tuple(cols, 2)


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


class UpSampling2D(Layer):
    """Enlarges images by whole factors along rows and columns.

    Args:
        size: the factors for rows and columns, one int for both or a pair.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
        interpolation: how new pixels are filled: ``nearest`` repeats rows and columns.
    """

    type: Literal["UpSampling2D"]
    size: Union[PositiveInt, PositivePair] = [2, 2]
    data_format: DataFormat = None
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"] = "nearest"

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, 3, "UpSampling2D", " (images with channels)")
        shape = list(input_shape)
        for axis, factor in zip(spatial_axes(self.data_format), as_tuple(self.size, 2)):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)


class ZeroPadding2D(Layer):
    """Pads images with rows and columns of zeros.

    Args:
        padding: one int for all four sides, a pair (rows on top and bottom, columns on left and
            right), or a pair of pairs ``[[top, bottom], [left, right]]``.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    type: Literal["ZeroPadding2D"]
    padding: SideAmounts = [1, 1]
    data_format: DataFormat = None

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, 3, "ZeroPadding2D", " (images with channels)")
        shape = list(input_shape)
        for axis, (before, after) in zip(spatial_axes(self.data_format), side_amounts(self.padding)):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)


class Cropping2D(Layer):
    """Cuts rows and columns off the edges of images.

    Args:
        cropping: one int for all four sides, a pair (rows off top and bottom, columns off left
            and right), or a pair of pairs ``[[top, bottom], [left, right]]``.
        data_format: ``channels_last`` (rows, cols, channels) or ``channels_first``; null uses
            Keras's ``image_data_format``.
    """

    type: Literal["Cropping2D"]
    cropping: SideAmounts = [[0, 0], [0, 0]]
    data_format: DataFormat = None

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, 3, "Cropping2D", " (images with channels)")
        shape = list(input_shape)
        axes = zip(spatial_axes(self.data_format), ("rows", "columns"), side_amounts(self.cropping))
        for axis, side, (before, after) in axes:
            if shape[axis] is None:
                continue
            if before + after >= shape[axis]:
                raise ShapeError(
                    f"Cropping2D crops {before} + {after} {side} off {shape[axis]}, leaving none, "
                    f"on input {format_shape(input_shape)}",
                    field="cropping",
                    hint=f"crop fewer than {shape[axis]} {side} in all",
                )
            shape[axis] -= before + after
        return tuple(shape)

