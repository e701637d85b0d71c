"""Merging layers: they take a list of inputs and combine them into one output.

Concatenate joins inputs along an axis; Add, Subtract, Multiply, Average, Maximum and Minimum
combine them elementwise; Dot takes dot products between two inputs.
"""

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field

from nnconf.config.layers.base import Layer, Shape, ShapeError, format_shape


def format_shapes(shapes: list[Shape]) -> str:
    return ", ".join(format_shape(s) for s in shapes)


def sample_axis(axis: int, rank: int, layer: str, field: str) -> int:
    """The index into a sample shape of ``axis``, which Keras counts with the batch axis as 0."""
    full = rank + 1
    if not -full <= axis < full:
        raise ShapeError(
            f"{layer} axis {axis} is out of range for inputs of rank {full} including the batch axis "
            f"(valid: {-full} to {full - 1})",
            field=field,
            hint="count axes from 1 (0 is the batch axis), or from -1 for the last",
        )
    if axis % full == 0:
        raise ShapeError(
            f"{layer} axis {axis} is the batch axis; it would combine samples, not features",
            field=field,
            hint="use axis 1 or -1" if rank == 1 else f"use an axis from 1 to {rank}, or -1 for the last",
        )
    return axis % full - 1


class Merge(Layer):
    """A layer that takes a list of inputs, named in ``inputs``."""

    CALL_STYLE: ClassVar[str] = "list"
    # None: any number from 2 on. Keras itself builds with one input, but a merge of one is a mistake.
    INPUT_COUNT: ClassVar[Optional[int]] = None

    def sample_shapes(self, input_shapes: list[Shape]) -> list[Shape]:
        """The input shapes, after checking their number."""
        shapes = [tuple(s) for s in input_shapes]
        if self.INPUT_COUNT is not None and len(shapes) != self.INPUT_COUNT:
            raise ShapeError(
                f"{self.type} takes exactly {self.INPUT_COUNT} inputs, but gets {len(shapes)}",
                field="inputs",
                hint=f"list {self.INPUT_COUNT} layers or model inputs in inputs",
            )
        if len(shapes) < 2:
            raise ShapeError(
                f"{self.type} combines 2 or more inputs, but gets {len(shapes)}",
                field="inputs",
                hint="list two or more layers or model inputs in inputs",
            )
        return shapes


class ElementwiseMerge(Merge):
    """Combines inputs elementwise, broadcasting them as Keras does.

    Shapes are aligned at their last axes; an axis of size 1 stretches to the other's size.
    Keras calls an axis unknown (None) where any input's is, even against a known size.
    """

    def output_shape(self, input_shapes: list[Shape]) -> Shape:
        shapes = self.sample_shapes(input_shapes)
        result = shapes[0]
        for shape in shapes[1:]:
            result = self._broadcast(result, shape, shapes)
        return result

    def _broadcast(self, first: Shape, second: Shape, shapes: list[Shape]) -> Shape:
        longer, shorter = (first, second) if len(first) >= len(second) else (second, first)
        lead = len(longer) - len(shorter)
        out = list(longer[:lead])
        for offset, (i, j) in enumerate(zip(longer[lead:], shorter)):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                axis = offset - len(shorter)
                raise ShapeError(
                    f"{self.type} cannot combine inputs of shapes {format_shapes(shapes)}: on axis {axis} "
                    f"the sizes {i} and {j} differ and neither is 1",
                    hint="give the inputs equal shapes (size 1 on an axis broadcasts), e.g. with a Dense "
                         "or Reshape layer before the merge",
                )
        return tuple(out)


class Add(ElementwiseMerge):
    """Adds its inputs elementwise."""

    type: Literal["Add"]


class Subtract(ElementwiseMerge):
    """Subtracts its second input from its first, elementwise."""

    INPUT_COUNT: ClassVar[Optional[int]] = 2

    type: Literal["Subtract"]


class Multiply(ElementwiseMerge):
    """Multiplies its inputs elementwise."""

    type: Literal["Multiply"]


class Average(ElementwiseMerge):
    """Averages its inputs elementwise."""

    type: Literal["Average"]


class Maximum(ElementwiseMerge):
    """Takes the elementwise maximum of its inputs."""

    type: Literal["Maximum"]


class Minimum(ElementwiseMerge):
    """Takes the elementwise minimum of its inputs."""

    type: Literal["Minimum"]


class Concatenate(Merge):
    """Joins its inputs along one axis; they must agree on every other axis.

    Args:
        axis: the axis to join along, counted with the batch axis as 0; -1 is the last.
    """

    type: Literal["Concatenate"]
    axis: int = -1

    def output_shape(self, input_shapes: list[Shape]) -> Shape:
        shapes = self.sample_shapes(input_shapes)
        if len({len(s) for s in shapes}) > 1:
            raise ShapeError(
                f"Concatenate needs inputs of one rank, but gets shapes {format_shapes(shapes)}",
                hint="bring the inputs to one rank first, e.g. with Reshape or Flatten",
            )
        axis = sample_axis(self.axis, len(shapes[0]), "Concatenate", "axis")
        # Keras lets an unknown size pass against any other.
        differing = [
            a for a in range(len(shapes[0])) if a != axis and len({s[a] for s in shapes} - {None}) > 1
        ]
        if differing:
            where = ("axis " if len(differing) == 1 else "axes ") + ", ".join(str(a + 1) for a in differing)
            hint = f"make the inputs match on every axis but axis {self.axis}"
            if len(differing) == 1 and len({s[axis] for s in shapes}) == 1:
                hint += f", or join them along axis {differing[0] + 1}"
            raise ShapeError(
                f"Concatenate on axis {self.axis} needs inputs that match on every other axis, but gets "
                f"shapes {format_shapes(shapes)}, which differ on {where}",
                field="axis",
                hint=hint,
            )
        sizes = [s[axis] for s in shapes]
        # Keras keeps the first input's sizes on the other axes, unknown ones included.
        out = list(shapes[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)


class Dot(Merge):
    """Takes dot products between samples of its two inputs, summing over one axis of each.

    Args:
        axes: the axis summed over, one for both inputs or ``[axis of first, axis of second]``,
            counted with the batch axis as 0 (which cannot be one of them); -1 is the last.
        normalize: L2-normalize both inputs along those axes first, which gives cosine similarity.
    """

    INPUT_COUNT: ClassVar[Optional[int]] = 2

    type: Literal["Dot"]
    axes: Union[int, Annotated[list[int], Field(min_length=2, max_length=2)]]
    normalize: bool = False

    def output_shape(self, input_shapes: list[Shape]) -> Shape:
        first, second = self.sample_shapes(input_shapes)
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        i = sample_axis(axes[0], len(first), "Dot", "axes")
        j = sample_axis(axes[1], len(second), "Dot", "axes")
        if first[i] != second[j]:
            unknown = ""
            if None in (first[i], second[j]):
                unknown = " (Keras refuses an unknown size against a known one)"
            raise ShapeError(
                f"Dot sums over axis {i + 1} of {format_shape(first)} and axis {j + 1} of "
                f"{format_shape(second)}, whose sizes differ{unknown}",
                field="axes",
                hint="choose axes of equal size (both known, or both unknown)",
            )
        out = first[:i] + first[i + 1:] + second[:j] + second[j + 1:]
        return out or (1,)

