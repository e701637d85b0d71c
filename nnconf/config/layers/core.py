"""Core layers: Dense, EinsumDense, Activation, Dropout, Flatten, Embedding, ReversibleEmbedding, Masking,
Identity."""

import math
import re
from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from nnconf.config.base import PositiveFloat, PositiveInt, Rate, Seed
from nnconf.config.functions import Activation as ActivationFunction
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import (
    DataFormat, Layer, OutputShapeArgument, Shape, ShapeError, format_shape, require_known,
)


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


class LowRankAdaptation(Layer):
    """LoRA: the layer's main weight is frozen and learns through two low-rank factors instead.

    Args:
        lora_rank: the rank of the factors; null trains the weight itself.
        lora_alpha: the factors' update is scaled by ``lora_alpha / lora_rank``; null: ``lora_rank``.
    """

    # The weight that LoRA freezes, and the prefix of its two factors.
    ADAPTED: ClassVar[tuple[str, str]] = ("kernel", "lora_kernel")

    lora_rank: Optional[PositiveInt] = None
    lora_alpha: Optional[PositiveFloat] = None

    @model_validator(mode="after")
    def _unconstrained(self) -> "LowRankAdaptation":
        weight = self.ADAPTED[0]
        if self.lora_rank is not None and getattr(self, f"{weight}_constraint") is not None:
            raise ValueError(f"lora_rank cannot be combined with {weight}_constraint (Keras refuses LoRA on a "
                             f"constrained {weight}); leave one out")
        return self

    def trainable_weight(self, name: str) -> bool:
        return super().trainable_weight(name) and not (self.lora_rank and name == self.ADAPTED[0])

    def with_factors(self, shapes: dict[str, Shape], rows: int | Shape, cols: int) -> dict[str, Shape]:
        """The weights with LoRA's factors, ``(rows..., rank)`` and ``(rank, cols)``, when it is on."""
        if not self.lora_rank:
            return shapes
        rows = (rows,) if isinstance(rows, int) else tuple(rows)
        prefix = self.ADAPTED[1]
        return {**shapes, f"{prefix}_a": rows + (self.lora_rank,), f"{prefix}_b": (self.lora_rank, cols)}


class Dense(KernelArguments, LowRankAdaptation):
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
        return self.with_factors(shapes, fan_in, self.units)


class EinsumDense(LowRankAdaptation, OutputShapeArgument):
    """A dense layer given as an einsum ``equation`` of the input with the kernel, plus an optional bias.

    Args:
        equation: ``<input>,<kernel>-><output>`` in letters, e.g. ``ab,bc->ac`` (Dense) or
            ``abc,cde->abde``; ``...`` may stand for the leading axes (``...b,bc->...c``) or the trailing
            ones (``ab...,bc->ac...``). The input's first letter is the batch axis.
        output_shape: the output's shape without the batch axis (and without the axes ``...`` stands
            for); null for a size taken from the input.
        activation: applied to the output.
        bias_axes: the output letters the bias runs along, e.g. ``c``; null: no bias.
        kernel_initializer: initializer of the kernel.
        bias_initializer: initializer of the bias.
        kernel_regularizer: regularizer of the kernel.
        bias_regularizer: regularizer of the bias.
        kernel_constraint: constraint on the kernel.
        bias_constraint: constraint on the bias.
    """

    type: Literal["EinsumDense"]
    equation: str
    # Keras names this argument output_shape, which is also the Layer contract's shape rule.
    output_shape_: Union[PositiveInt, list[Optional[PositiveInt]]] = Field(alias="output_shape")
    activation: ActivationFunction = "linear"
    bias_axes: Optional[Annotated[str, Field(pattern=r"^[A-Za-z]+$")]] = None
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"
    kernel_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None
    kernel_constraint: Optional[Constraint] = None
    bias_constraint: Optional[Constraint] = None

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        return ("equation", "output_shape")

    @field_validator("equation")
    @classmethod
    def _einsum_form(cls, equation: str) -> str:
        if _einsum_parts(equation) is None:
            raise ValueError(f"equation {equation!r} is not <input>,<kernel>-><output> in letters, with '...' at "
                             "the start of input and output or at the end of both, e.g. 'ab,bc->ac'")
        return equation

    @model_validator(mode="after")
    def _bias_on_output_axes(self) -> "EinsumDense":
        output = _einsum_parts(self.equation)[0][2]
        missing = sorted(set(self.bias_axes or "") - set(output))
        if missing:
            raise ValueError(f"bias_axes {self.bias_axes!r} names {', '.join(missing)}, not in the output "
                             f"{output!r} of the equation")
        return self

    def output_shape(self, input_shape: Shape) -> Shape:
        return self._analysis(input_shape)[0]

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        _, kernel, bias = self._analysis(input_shape)
        if None in kernel:
            raise ShapeError(f"EinsumDense's kernel would have shape {list(kernel)}, with an unknown size (None): "
                             "each kernel letter needs a known size from the input or output_shape",
                             field="output_shape")
        shapes = {"kernel": kernel}
        if bias is not None:
            shapes["bias"] = bias
        return self.with_factors(shapes, kernel[:-1], kernel[-1])

    def _analysis(self, input_shape: Shape) -> tuple[Shape, Shape, Shape | None]:
        """Keras's reading of the equation: output (without the batch axis), kernel and bias shapes."""
        (inputs, kernel_letters, outputs), left_elided = _einsum_parts(self.equation)
        full = (None, *input_shape)
        elided = len(full) - len(inputs)
        if elided < 0 or (elided > 0 and "..." not in self.equation):
            raise ShapeError(f"EinsumDense equation {self.equation!r} names {len(inputs)} input axes, but the input "
                             f"{format_shape(input_shape)} has {len(full)}", field="equation")
        given = [self.output_shape_] if isinstance(self.output_shape_, int) else list(self.output_shape_)
        output = [full[0], *given]
        if elided and left_elided:
            leading = list(full[1:elided])
            if leading != leading[::-1]:
                # Keras 3 infers these axes in reverse order (it computes them in order): the layers after it
                # would be built for the wrong shape.
                raise ShapeError(f"EinsumDense equation {self.equation!r} leaves the input axes of sizes "
                                 f"{leading} to '...', which Keras infers in reverse order",
                                 field="equation", hint="name every input axis in the equation instead of '...'")
            output[1:1] = leading
        elif elided:
            output += full[len(full) - elided:]
        offset = elided if left_elided else 0
        if len(output) != len(outputs) + elided:
            raise ShapeError(f"EinsumDense output_shape {given} does not fit the equation's output {outputs!r}",
                             field="output_shape", hint=f"give {len(outputs) - 1} sizes, one per output letter "
                                                        "after the batch letter")
        input_axis = {letter: i + offset for i, letter in enumerate(inputs)}
        output_axis = {letter: i + offset for i, letter in enumerate(outputs)}
        for letter in inputs:
            if letter in output_axis and output[output_axis[letter]] is not None \
                    and output[output_axis[letter]] != full[input_axis[letter]]:
                raise ShapeError(f"EinsumDense axis {letter!r} is {full[input_axis[letter]]} in the input but "
                                 f"{output[output_axis[letter]]} in output_shape", field="output_shape")
        for letter in outputs:
            if letter not in inputs and letter not in kernel_letters:
                raise ShapeError(f"EinsumDense output axis {letter!r} is in neither the input nor the kernel",
                                 field="equation")
        kernel = []
        for letter in kernel_letters:
            if letter in output_axis:
                kernel.append(output[output_axis[letter]])
            elif letter in input_axis:
                kernel.append(full[input_axis[letter]])
            else:
                raise ShapeError(f"EinsumDense kernel axis {letter!r} is in neither the input nor the output",
                                 field="equation")
        bias = None
        if self.bias_axes is not None:
            start = min(outputs.find(letter) for letter in self.bias_axes)
            bias = tuple(output[outputs.find(letter) + offset] if letter in self.bias_axes else 1
                         for letter in outputs[start:])
            if not left_elided:
                bias += (1,) * elided
        return tuple(output[1:]), tuple(kernel), bias


def _einsum_parts(equation: str) -> tuple[tuple[str, str, str], bool] | None:
    """``(input, kernel, output)`` letters and whether ``...`` leads, for the forms Keras's EinsumDense reads."""
    dotted = equation.replace("...", "0")
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False)):
        match = re.fullmatch(pattern, dotted)
        if match:
            return match.groups(), left
    return None


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: the function, by name or ``{name: ..., arguments}``.
    """

    type: Literal["Activation"]
    activation: ActivationFunction


class MaskedDropout(Layer):
    """The arguments of the dropouts that draw a binary mask.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the binary mask, to drop whole features; None drops elementwise.
        seed: seed of the dropout mask.
    """

    rate: Rate
    noise_shape: Optional[list[Optional[PositiveInt]]] = None
    seed: Optional[Seed] = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if self.noise_shape is not None:
            check_noise_shape(self.noise_shape, input_shape)
        return tuple(input_shape)


class Dropout(MaskedDropout):
    """Sets a random fraction ``rate`` of inputs to zero in training, scaling the rest up."""

    type: Literal["Dropout"]


def _written(noise_shape: list[int | None]) -> str:
    return "[" + ", ".join("null" if size is None else str(size) for size in noise_shape) + "]"


def check_noise_shape(noise_shape: list[int | None], input_shape: Shape) -> None:
    """Keras's rule: a None takes the size of the input axis at its position; the mask then
    broadcasts against the input from the last axis. It fails only in training, at the first step."""
    full_shape = [None, *input_shape]  # the batch axis first, its size unknown here
    if len(noise_shape) > len(full_shape):
        raise ShapeError(f"noise_shape {_written(noise_shape)} has {len(noise_shape)} axes, but the input "
                         f"{format_shape(input_shape)} has {len(full_shape)}", field="noise_shape",
                         hint="give one entry per axis, the batch axis first; null keeps an axis's size")
    mask_shape = [full_shape[i] if size is None else size for i, size in enumerate(noise_shape)]
    offset = len(full_shape) - len(mask_shape)
    if offset and noise_shape[0] is None:
        raise ShapeError(f"noise_shape {_written(noise_shape)} is shorter than the input's {len(full_shape)} axes, so its "
                         f"leading null (the batch size) is matched against axis {offset}, of size {full_shape[offset]}",
                         field="noise_shape", hint="give one entry per axis, the batch axis first")
    for axis, mask in enumerate(mask_shape, start=offset):
        size = full_shape[axis]
        if None not in (mask, size) and mask not in (1, size):
            raise ShapeError(f"noise_shape {_written(noise_shape)} gives the mask {mask} on axis {axis}, where the input "
                             f"{format_shape(input_shape)} has {size}", field="noise_shape",
                             hint=f"use 1 to share the mask along that axis, or null for {size}; "
                                  "one entry per axis, the batch axis first")


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


class Embedding(LowRankAdaptation):
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

    ADAPTED = ("embeddings", "lora_embeddings")

    def output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape) + (self.output_dim,)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        return self.with_factors({"embeddings": (self.input_dim, self.output_dim)}, self.input_dim, self.output_dim)


class ReversibleEmbedding(Embedding):
    """An Embedding that can also map vectors back to token logits (Keras's ``reverse=True`` call, as
    a language model's output head does); called in a model, it embeds.

    Args:
        tie_weights: reverse with the transposed embeddings; false learns separate ``reverse_embeddings``.
        reverse_dtype: the dtype of the reverse computation; null: the layer's.
        logit_soft_cap: cap the reversed logits softly at this value (``tanh(x / cap) * cap``).
    """

    type: Literal["ReversibleEmbedding"]
    tie_weights: bool = True
    reverse_dtype: Optional[Literal["float16", "bfloat16", "float32", "float64"]] = None
    logit_soft_cap: Optional[PositiveFloat] = None

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        shapes = super().weight_shapes(input_shape)
        if not self.tie_weights:
            shapes["reverse_embeddings"] = (self.output_dim, self.input_dim)
        return shapes


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``, for the layers after it (RNNs skip them).

    Args:
        mask_value: the value that marks a padded timestep.
    """

    type: Literal["Masking"]
    mask_value: float = 0.0


class Identity(Layer):
    """Passes its input through unchanged (a placeholder, e.g. for an optional block)."""

    type: Literal["Identity"]

