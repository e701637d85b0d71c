"""Attention layers: MultiHeadAttention, GroupQueryAttention, and the single-head Attention and
AdditiveAttention."""

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, model_validator

from nnconf.config.base import PositiveInt, Rate, Seed
from nnconf.config.functions import Constraint, Initializer, Regularizer
from nnconf.config.layers.base import Layer, OutputShapeArgument, Shape, ShapeError, format_shape, require_known


def query_value_key(layer: str, input_shape: Shape | list[Shape], self_attention: bool) -> tuple[Shape, Shape, Shape]:
    """The query, value and key shapes of ``[query, value]`` or ``[query, value, key]`` (or, where
    ``self_attention``, one input that is all three)."""
    several = isinstance(input_shape, list) and all(isinstance(s, (list, tuple)) for s in input_shape)
    shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
    if not (1 if self_attention else 2) <= len(shapes) <= 3:
        alone = " (or one input to attend to itself)" if self_attention else ""
        hint = None if self_attention else "for self-attention, give the same input twice: [x, x]"
        raise ShapeError(f"{layer} takes [query, value] or [query, value, key]{alone}, but gets {len(shapes)} "
                         "inputs", field="inputs", hint=hint)
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    return query, value, key


def check_sequences(layer: str, query: Shape, value: Shape, key: Shape) -> None:
    """Query, value and key each (batch, positions, features); value and key with the same positions."""
    for what, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) != 2:
            raise ShapeError(f"{layer} expects a {what} of rank 3 including the batch axis (batch, positions, "
                             f"features), but gets shape {format_shape(shape)}", field="inputs")
    if None not in (value[0], key[0]) and value[0] != key[0]:
        raise ShapeError(f"{layer} needs value and key with the same positions, but they are {format_shape(value)} "
                         f"and {format_shape(key)}", field="inputs")


class ProjectedAttention(Layer):
    """What the multi-head attentions share: projections of query, key and value into heads, dot-product
    attention per head, and a projection of the heads back.

    Its inputs are ``[query, value]`` or ``[query, value, key]`` (key defaults to value); a single
    input attends to itself. The weights are those of the projections, prefixed by projection:
    ``query_kernel``, ``key_bias``, ``attention_output_kernel``, ...

    Args:
        dropout: fraction of the attention probabilities dropped in training, in [0, 1).
        use_bias: whether the projections have biases.
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

    dropout: Rate = 0.0
    use_bias: bool = True
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
    def _flash_without_dropout(self) -> "ProjectedAttention":
        if self.flash_attention and self.dropout > 0:
            raise ValueError("flash_attention: true does not support dropout; set dropout to 0 or drop flash_attention")
        return self

    def projections(self, shapes: dict[str, tuple[Shape, Shape]]) -> dict[str, Shape]:
        """The weights of projections given as ``{name: (kernel shape, bias shape)}``."""
        weights = {}
        for projection, (kernel, bias) in shapes.items():
            weights[f"{projection}_kernel"] = kernel
            if self.use_bias:
                weights[f"{projection}_bias"] = bias
        return weights


class MultiHeadAttention(OutputShapeArgument, ProjectedAttention):
    """Multi-head dot-product attention of a query sequence over a value (and key) sequence, each shaped
    (positions..., features).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value; null uses ``key_dim``.
        output_shape: the shape of each output position, an int or a list; null keeps the query's
            last dimension.
        attention_axes: the axes attention runs over, counted on the query with the batch axis;
            null: every axis but the batch and the features.
    """

    type: Literal["MultiHeadAttention"]
    num_heads: PositiveInt
    key_dim: PositiveInt
    value_dim: Optional[PositiveInt] = None
    # Keras names this argument output_shape, which is also the Layer contract's shape rule.
    output_shape_: Union[PositiveInt, Annotated[list[PositiveInt], Field(min_length=1)], None] = Field(
        default=None, alias="output_shape")
    attention_axes: Union[int, Annotated[list[int], Field(min_length=1)], None] = None

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
        return self.projections(projections)

    def _projected_shape(self, query: Shape) -> Shape:
        if self.output_shape_ is None:
            return (query[-1],)
        if isinstance(self.output_shape_, int):
            return (self.output_shape_,)
        return tuple(self.output_shape_)

    def _query_value_key(self, input_shape: Shape | list[Shape]) -> tuple[Shape, Shape, Shape]:
        """The query, value and key shapes, checked against each other and the attention axes."""
        query, value, key = query_value_key(self.type, input_shape, self_attention=True)
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


class GroupQueryAttention(ProjectedAttention):
    """Grouped-query attention: ``num_query_heads`` query heads share ``num_key_value_heads`` key and value
    heads, as in recent language models. Query, value and key are each (positions, features); the output
    has the query's shape.

    Args:
        head_dim: size of each head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; it divides ``num_query_heads``.
    """

    type: Literal["GroupQueryAttention"]
    head_dim: PositiveInt
    num_query_heads: PositiveInt
    num_key_value_heads: PositiveInt

    @model_validator(mode="after")
    def _heads_in_groups(self) -> "GroupQueryAttention":
        if self.num_query_heads % self.num_key_value_heads:
            raise ValueError(f"num_query_heads ({self.num_query_heads}) must be a multiple of num_key_value_heads "
                             f"({self.num_key_value_heads})")
        return self

    def output_shape(self, input_shape: Shape | list[Shape]) -> Shape:
        query, value, key = query_value_key(self.type, input_shape, self_attention=True)
        check_sequences(self.type, query, value, key)
        # Keras compares these sizes as they are known when it builds the layer: null matches only null.
        if query[-1] != value[-1]:
            raise ShapeError(f"GroupQueryAttention needs query and value with the same features, but they are "
                             f"{format_shape(query)} and {format_shape(value)}", field="inputs",
                             hint="project one of them first, e.g. with a Dense layer")
        if value[:-1] != key[:-1]:
            raise ShapeError(f"GroupQueryAttention needs value and key with the same positions, but they are "
                             f"{format_shape(value)} and {format_shape(key)}", field="inputs")
        return query

    def weight_shapes(self, input_shape: Shape | list[Shape]) -> dict[str, Shape]:
        query, value, key = query_value_key(self.type, input_shape, self_attention=True)
        self.output_shape(input_shape)
        features = [require_known(shape[-1], self.type, f"last axis of the {what}")
                    for what, shape in (("query", query), ("value", value), ("key", key))]
        queries = (self.num_query_heads, self.head_dim)
        keys = (self.num_key_value_heads, self.head_dim)
        projections = {
            "query": ((features[0], *queries), queries),
            "key": ((features[2], *keys), keys),
            "value": ((features[1], *keys), keys),
            "attention_output": ((*queries, features[0]), (features[0],)),
        }
        if self.use_gate:
            projections["gate"] = ((features[0], *queries), queries)
        return self.projections(projections)


class DotAttention(Layer):
    """What Attention and AdditiveAttention share: single-head attention of a query sequence over a
    value sequence, without projections. Its inputs are ``[query, value]`` or ``[query, value, key]``
    (key defaults to value), each (positions, features); query and key need the same features. The
    output has the query's positions and the value's features.

    Args:
        dropout: fraction of the attention scores dropped in training, in [0, 1).
        seed: seed of the dropout.
    """

    CALL_STYLE: ClassVar[str] = "list"

    dropout: Rate = 0.0
    seed: Optional[Seed] = None

    def output_shape(self, input_shape: list[Shape]) -> Shape:
        query, value, key = query_value_key(self.type, input_shape, self_attention=False)
        check_sequences(self.type, query, value, key)
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ShapeError(f"{self.type} scores the query against the key, so they need the same features, but "
                             f"they are {format_shape(query)} and {format_shape(key)}", field="inputs",
                             hint="project one of them first, e.g. with a Dense layer")
        return query[:-1] + value[-1:]


class Attention(DotAttention):
    """Dot-product (Luong-style) attention.

    Args:
        use_scale: multiply the scores by a learned scalar ``scale``.
        score_mode: ``dot`` (query . key) or ``concat`` (a learned ``concat_score_weight`` times the sum of
            tanh(query + key)).
    """

    type: Literal["Attention"]
    use_scale: bool = False
    score_mode: Literal["dot", "concat"] = "dot"

    def weight_shapes(self, input_shape: list[Shape]) -> dict[str, Shape]:
        self.output_shape(input_shape)
        shapes = {"scale": ()} if self.use_scale else {}
        if self.score_mode == "concat":
            shapes["concat_score_weight"] = ()
        return shapes


class AdditiveAttention(DotAttention):
    """Additive (Bahdanau-style) attention: scores are sums of ``tanh(query + key)``.

    Args:
        use_scale: scale each feature of the scores by a learned ``scale`` vector.
    """

    type: Literal["AdditiveAttention"]
    use_scale: bool = True

    def weight_shapes(self, input_shape: list[Shape]) -> dict[str, Shape]:
        query, _, _ = query_value_key(self.type, input_shape, self_attention=False)
        self.output_shape(input_shape)
        if not self.use_scale:
            return {}
        return {"scale": (require_known(query[-1], self.type, "last axis of the query"),)}
