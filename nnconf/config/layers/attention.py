"""Attention layers: MultiHeadAttention."""

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, model_validator

from nnconf.config.base import PositiveInt, Rate, Seed
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import Layer, OutputShapeArgument, Shape, ShapeError, format_shape, require_known


class MultiHeadAttention(OutputShapeArgument):
    """Multi-head dot-product attention of a query sequence over a value (and key) sequence.

    Its inputs are ``[query, value]`` or ``[query, value, key]`` (key defaults to value), each
    shaped (positions..., features); a single input attends to itself. The weights are those of the
    projections, prefixed by projection: ``query_kernel``, ``key_bias``, ``attention_output_kernel``, ...

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value; null uses ``key_dim``.
        dropout: fraction of the attention probabilities dropped in training, in [0, 1).
        use_bias: whether the projections have biases.
        output_shape: the shape of each output position, an int or a list; null keeps the query's
            last dimension.
        attention_axes: the axes attention runs over, counted on the query with the batch axis;
            null: every axis but the batch and the features.
        sliding_window: let each query position attend only to key positions less than this far away.
        flash_attention: use flash attention; null leaves it to Keras's global setting. It excludes dropout.
        kernel_initializer: initializer of the projection kernels.
        bias_initializer: initializer of the projection biases.
        kernel_regularizer: regularizer of the projection kernels.
        bias_regularizer: regularizer of the projection biases.
        activity_regularizer: regularizer of the projections' outputs.
        kernel_constraint: constraint on the projection kernels.
        bias_constraint: constraint on the projection biases.
        use_gate: gate the attention output with a sigmoid projection of the query.
        seed: seed of the dropout.
    """

    CALL_STYLE: ClassVar[str] = "positional"

    type: Literal["MultiHeadAttention"]
    num_heads: PositiveInt
    key_dim: PositiveInt
    value_dim: Optional[PositiveInt] = None
    dropout: Rate = 0.0
    use_bias: bool = True
    # Keras names this argument output_shape, which is also the Layer contract's shape rule.
    output_shape_: Union[PositiveInt, Annotated[list[PositiveInt], Field(min_length=1)], None] = Field(
        default=None, alias="output_shape")
    attention_axes: Union[int, Annotated[list[int], Field(min_length=1)], None] = None
    sliding_window: Optional[PositiveInt] = None
    flash_attention: Optional[bool] = None
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"
    kernel_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None
    activity_regularizer: Optional[Regularizer] = None
    kernel_constraint: Optional[Constraint] = None
    bias_constraint: Optional[Constraint] = None
    use_gate: bool = False
    seed: Optional[Seed] = None

    @model_validator(mode="after")
    def _flash_without_dropout(self) -> "MultiHeadAttention":
        if self.flash_attention and self.dropout > 0:
            raise ValueError("flash_attention: true does not support dropout; set dropout to 0 or drop flash_attention")
        return self

    def output_shape(self, input_shape: Shape | list[Shape]) -> Shape:
        query, _, _ = self._query_value_key(input_shape)
        return query[:-1] + self._projected_shape(query)

    def weight_shapes(self, input_shape: Shape | list[Shape]) -> dict[str, Shape]:
        query, value, key = self._query_value_key(input_shape)
        heads, key_dim, value_dim = self.num_heads, self.key_dim, self.value_dim or self.key_dim
        projected = self._projected_shape(query)
        projections = {
            "query": ((query[-1], heads, key_dim), (heads, key_dim)),
            "key": ((key[-1], heads, key_dim), (heads, key_dim)),
            "value": ((value[-1], heads, value_dim), (heads, value_dim)),
            "attention_output": ((heads, value_dim) + projected, projected),
        }
        if self.use_gate:
            projections["gate"] = ((query[-1], heads, value_dim), (heads, value_dim))
        shapes = {}
        for projection, (kernel, bias) in projections.items():
            shapes[f"{projection}_kernel"] = kernel
            if self.use_bias:
                shapes[f"{projection}_bias"] = bias
        return shapes

    def _projected_shape(self, query: Shape) -> Shape:
        if self.output_shape_ is None:
            return (query[-1],)
        if isinstance(self.output_shape_, int):
            return (self.output_shape_,)
        return tuple(self.output_shape_)

    def _query_value_key(self, input_shape: Shape | list[Shape]) -> tuple[Shape, Shape, Shape]:
        """The query, value and key shapes, checked against each other and the attention axes."""
        several = isinstance(input_shape, list) and all(isinstance(s, (list, tuple)) for s in input_shape)
        shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
        if not 1 <= len(shapes) <= 3:
            raise ShapeError(f"MultiHeadAttention takes [query, value] or [query, value, key] (or one input to "
                             f"attend to itself), but gets {len(shapes)} inputs", field="inputs")
        query = shapes[0]
        value = shapes[1] if len(shapes) > 1 else query
        key = shapes[2] if len(shapes) > 2 else value
        if len(query) < 2:
            raise ShapeError(f"MultiHeadAttention expects a query of rank 3 or more including the batch axis "
                             f"(batch, positions, features), but gets shape {format_shape(query)}",
                             hint="give each sample a positions axis, e.g. with Reshape")
        if value[:-1] != key[:-1]:
            raise ShapeError(f"MultiHeadAttention needs value and key to agree on every axis but the last, but they "
                             f"are {format_shape(value)} and {format_shape(key)}")
        if len(value) != len(query):
            raise ShapeError(f"MultiHeadAttention needs query and value of the same rank, but they are "
                             f"{format_shape(query)} and {format_shape(value)}")
        attended = self._attention_axes(len(query))
        for axis in range(1, len(query)):
            if axis not in attended and None not in (query[axis - 1], value[axis - 1]) \
                    and query[axis - 1] != value[axis - 1]:
                raise ShapeError(f"MultiHeadAttention does not attend over axis {axis}, so query and value must "
                                 f"have the same size there, but they are {format_shape(query)} and "
                                 f"{format_shape(value)}", field="attention_axes")
        for what, shape in (("query", query), ("value", value), ("key", key)):
            require_known(shape[-1], "MultiHeadAttention", f"last axis of the {what}")
        return query, value, key

    def _attention_axes(self, rank: int) -> set[int]:
        """The attended axes of a query of ``rank`` (without the batch axis), counted with the batch axis."""
        if self.attention_axes is None:
            return set(range(1, rank))
        given = [self.attention_axes] if isinstance(self.attention_axes, int) else self.attention_axes
        # Keras resolves negative axes against the projected query, which has one axis more (the heads).
        axes = [axis if axis >= 0 else rank + 1 + axis for axis in given]
        if len(set(axes)) != len(axes) or not all(1 <= axis < rank for axis in axes):
            raise ShapeError(f"attention_axes {self.attention_axes} must name distinct axes of the query other than "
                             f"the batch and the features: 1 to {rank - 1} (or {-rank} to -2) for a query of rank "
                             f"{rank + 1}", field="attention_axes")
        return set(axes)

