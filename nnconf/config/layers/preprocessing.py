"""Preprocessing layers: Rescaling, Normalization, Discretization, CategoryEncoding, Hashing, HashedCrossing,
StringLookup, IntegerLookup, TextVectorization, and Pipeline, which applies several layers as one.

Normalization, Discretization and the lookups may learn their state from data (Keras's ``adapt``);
here that state is given inline (``mean``, ``bin_boundaries``, ``vocabulary``) or left to be adapted.
The categorical layers take integer or string inputs; their encoded outputs are float.
"""

from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from nnconf.config.base import INT32_LIMIT, NonNegativeInt, PositiveFloat, PositiveInt
from nnconf.config.layers.base import (
    AnyLayer, Layer, NestedFloats, Shape, ShapeError, check_wrapped, format_shape, located_at, nested_shape,
)

# Keras's encodings of categories: int keeps the indices, the others make a vector of ``depth`` per sample.
OutputMode = Literal["int", "one_hot", "multi_hot", "count"]
Salt = Union[int, Annotated[list[int], Field(min_length=2, max_length=2)]]


class Rescaling(Layer):
    """Rescales the inputs to ``x * scale + offset``, e.g. pixels in [0, 255] to [0, 1] with scale 1/255.

    Args:
        scale: the factor.
        offset: the value added after scaling.
    """

    type: Literal["Rescaling"]
    scale: float
    offset: float = 0.0


def _flat(values: Any) -> list[float]:
    return [x for item in values for x in _flat(item)] if isinstance(values, list) else [values]


class Normalization(Layer):
    """Standardizes features to ``(x - mean) / sqrt(variance)``, with the mean and variance given or adapted.

    Given ``mean`` and ``variance``, the layer holds no weights. Without them it holds ``mean``,
    ``variance`` and ``count`` (non-trainable), which Keras's ``adapt`` fills from training data;
    until then they are 0 and 1 and the layer passes its inputs unchanged.

    Args:
        axis: the axis or axes that keep their own statistics, counting the batch axis as 0 (e.g. -1:
            one mean per feature); null (or ``[]``) for one mean and variance over everything.
        mean: the mean, one number or nested lists that broadcast against the kept axes.
        variance: the variance, shaped as ``mean``.
        invert: apply the inverse, ``x * sqrt(variance) + mean``, e.g. to turn predictions back.
    """

    NON_TRAINABLE_WEIGHTS = frozenset({"mean", "variance", "count"})

    type: Literal["Normalization"]
    axis: Union[int, list[int], None] = -1
    mean: Optional[NestedFloats] = None
    variance: Optional[NestedFloats] = None
    invert: bool = False

    @model_validator(mode="after")
    def _statistics_together(self) -> "Normalization":
        if (self.mean is None) != (self.variance is None):
            raise ValueError("mean and variance are given together (or both left out, to be adapted)")
        if self.mean is None:
            return self
        mean_shape, variance_shape = nested_shape(self.mean), nested_shape(self.variance)
        if mean_shape is None or variance_shape is None:
            raise ValueError("mean and variance must be numbers or regular nested lists, not ragged ones")
        if mean_shape != variance_shape:
            raise ValueError(f"mean and variance must have the same shape, but they are {list(mean_shape)} "
                             f"and {list(variance_shape)}")
        if len(mean_shape) > len(self.axes):
            raise ValueError(f"mean has rank {len(mean_shape)}, more than the {len(self.axes)} axes in axis")
        if any(value < 0 for value in _flat(self.variance)):
            raise ValueError("variance cannot be negative")
        return self

    @property
    def axes(self) -> list[int]:
        if self.axis is None:
            return []
        return [self.axis] if isinstance(self.axis, int) else list(self.axis)

    def kept_sizes(self, input_shape: Shape) -> Shape:
        """The sizes of the kept axes, in axis order: the shape of the statistics."""
        full = (None, *input_shape)
        rank = len(full)
        for axis in self.axes:
            if not -rank <= axis < rank:
                raise ShapeError(f"Normalization axis {axis} is outside input {format_shape(input_shape)} "
                                 f"(rank {rank})", field="axis",
                                 hint=f"axes count the batch axis as 0; use one in 1..{rank - 1} or -1 for the last")
        kept = sorted({axis % rank for axis in self.axes})
        for axis in kept:
            if full[axis] is None:
                what = "the batch axis" if axis == 0 else f"axis {axis}, of unknown size (null)"
                raise ShapeError(f"Normalization keeps statistics along {what}, but they need a known size",
                                 field="axis", hint="keep feature axes of known size, e.g. axis: -1")
        return tuple(full[axis] for axis in kept)

    def output_shape(self, input_shape: Shape) -> Shape:
        kept = self.kept_sizes(input_shape)
        if self.mean is not None:
            mean_shape = nested_shape(self.mean)
            # Keras aligns the mean's axes with the kept axes from the last; each is their size or 1.
            for size, given in zip(reversed(kept), reversed(mean_shape)):
                if given not in (1, size):
                    raise ShapeError(f"Normalization mean and variance have shape {list(mean_shape)}, which does not "
                                     f"broadcast to the kept axes' sizes {list(kept)}", field="mean",
                                     hint=f"give one value per kept feature: shape {list(kept)}, or one number")
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        kept = self.kept_sizes(input_shape)
        if self.mean is not None:
            return {}
        return {"mean": kept, "variance": kept, "count": ()}


def _dense_only(value: bool) -> bool:
    if value:
        raise ValueError("sparse: true makes a sparse tensor, which the layers after it need not take; "
                         "nnconf passes dense tensors between layers")
    return value


class Encoding(Layer):
    """What the categorical layers share: the output mode, and dense outputs.

    Args:
        output_mode: ``int`` (indices), ``one_hot`` (a vector per input value), ``multi_hot`` (one vector
            per sample, 1 for each index present) or ``count`` (how often each index occurs).
        sparse: not supported: sparse outputs need layers that take them.
    """

    output_mode: OutputMode = "int"
    sparse: bool = False

    @field_validator("sparse")
    @classmethod
    def _dense(cls, value: bool) -> bool:
        return _dense_only(value)

    def depth(self) -> int | None:
        """The size of an encoded vector."""
        raise NotImplementedError

    def output_shape(self, input_shape: Shape) -> Shape:
        # Keras's inferred shapes of the encodings, for the inputs on which they are the encoded ones.
        depth = self.depth()
        if self.output_mode == "int":
            return tuple(input_shape)
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1:
                return tuple(input_shape[:-1]) + (depth,)
            return tuple(input_shape) + (depth,)
        if len(input_shape) != 1:
            raise ShapeError(
                f"{self.type} in {self.output_mode} mode encodes each sample's values into one vector, so it takes "
                f"inputs of rank 2 including the batch axis (batch, values), but gets {format_shape(input_shape)}",
                field="output_mode", hint="reshape to (batch, values) first, or use output_mode: one_hot")
        return (depth,)


class Discretization(Encoding):
    """Buckets continuous values into ranges: ``bin_boundaries`` given, or ``num_bins`` adapted from data.

    Args:
        bin_boundaries: the boundaries, increasing; values below the first go to bin 0, values from the
            last on to bin ``len(bin_boundaries)``.
        num_bins: the number of bins to adapt the boundaries for (Keras's ``adapt``, from quantiles);
            the layer cannot be used before it is adapted.
        epsilon: the error tolerance of the adapted quantiles.
    """

    type: Literal["Discretization"]
    bin_boundaries: Optional[Annotated[list[float], Field(min_length=1)]] = None
    num_bins: Optional[NonNegativeInt] = None
    epsilon: PositiveFloat = 0.01

    @model_validator(mode="after")
    def _bins(self) -> "Discretization":
        if (self.bin_boundaries is None) == (self.num_bins is None):
            raise ValueError("give either bin_boundaries or num_bins (to adapt the boundaries to data), not both")
        boundaries = self.bin_boundaries or []
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError("bin_boundaries must increase from each boundary to the next")
        return self

    def keras_arguments(self) -> dict[str, Any]:
        # Keras's Discretization takes no `trainable`; holding no weights, it has no use for it.
        arguments = super().keras_arguments()
        del arguments["trainable"]
        return arguments

    def depth(self) -> int | None:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def output_shape(self, input_shape: Shape) -> Shape:
        if self.output_mode in ("multi_hot", "count") and input_shape:
            # Keras encodes each sample's values along its first axis, also for longer inputs.
            return tuple(input_shape[1:]) + (self.depth(),)
        return super().output_shape(input_shape)


class CategoryEncoding(Encoding):
    """Encodes integer category indices in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories, the largest index plus one.
        output_mode: ``one_hot``, ``multi_hot`` or ``count``.
    """

    type: Literal["CategoryEncoding"]
    num_tokens: PositiveInt
    output_mode: Literal["one_hot", "multi_hot", "count"] = "multi_hot"

    def depth(self) -> int:
        return self.num_tokens


class Hashing(Encoding):
    """Hashes integer or string values into ``num_bins`` bins (FarmHash64; SipHash64 with a ``salt``).

    Args:
        num_bins: the number of bins, including the mask bin if ``mask_value`` is set.
        mask_value: a value that always goes to bin 0 (then the others hash into the remaining bins).
        salt: with a salt the hash is keyed (SipHash64): one int, or a pair.
        output_mode: ``one_hot`` takes one value per sample (inputs (batch, 1)).
    """

    type: Literal["Hashing"]
    num_bins: PositiveInt
    mask_value: Union[int, str, None] = None
    salt: Optional[Salt] = None

    def depth(self) -> int:
        return self.num_bins

    def output_shape(self, input_shape: Shape) -> Shape:
        if self.output_mode == "one_hot" and input_shape[-1:] != (1,):
            # Keras's inferred shape drops the last axis; the encoded one keeps it.
            raise ShapeError(f"Hashing in one_hot mode takes one value per sample, inputs (batch, 1), but gets "
                             f"{format_shape(input_shape)}", field="output_mode",
                             hint="use output_mode: multi_hot to encode several values per sample into one vector")
        return super().output_shape(input_shape)


class HashedCrossing(Layer):
    """Hashes the combination of two categorical features into ``num_bins`` bins (feature crosses).

    Its inputs are two features of the same shape, each one integer or string per sample: (batch, 1).

    Args:
        num_bins: the number of bins.
        output_mode: ``int`` (the bin index) or ``one_hot``.
        sparse: not supported: sparse outputs need layers that take them.
    """

    CALL_STYLE: ClassVar[str] = "list"

    type: Literal["HashedCrossing"]
    num_bins: PositiveInt
    output_mode: Literal["int", "one_hot"] = "int"
    sparse: bool = False

    @field_validator("sparse")
    @classmethod
    def _dense(cls, value: bool) -> bool:
        return _dense_only(value)

    def output_shape(self, input_shape: list[Shape]) -> Shape:
        shapes = [tuple(shape) for shape in input_shape] if isinstance(input_shape, list) else [tuple(input_shape)]
        if len(shapes) != 2:
            raise ShapeError(f"HashedCrossing crosses two features, but gets {len(shapes)} inputs", field="inputs")
        first, second = shapes
        if first != second:
            raise ShapeError(f"HashedCrossing needs its two inputs of one shape, but they are {format_shape(first)} "
                             f"and {format_shape(second)}", field="inputs")
        if first not in ((), (1,)):
            raise ShapeError(f"HashedCrossing takes one value per sample, inputs (batch, 1), but gets "
                             f"{format_shape(first)}", field="inputs")
        if self.output_mode == "int":
            return first
        return (self.num_bins,)


class Lookup(Encoding):
    """What StringLookup and IntegerLookup share: a vocabulary mapped to indices, given or adapted.

    Indices count from the special tokens: the mask token first (``int`` mode only), then
    ``num_oov_indices`` indices for values outside the vocabulary, then the vocabulary in order.

    Args:
        max_tokens: the largest vocabulary, special tokens included; more than 1.
        num_oov_indices: how many indices values outside the vocabulary hash into; 0 makes them an error.
        vocabulary: the tokens; it may start with the special tokens, in order. Without it the
            vocabulary is adapted from data (Keras's ``adapt``).
        idf_weights: with ``output_mode: tf_idf`` and a vocabulary: the inverse document frequency of
            each vocabulary token.
        invert: map indices back to tokens (``int`` mode only).
        output_mode: ``int``, ``one_hot``, ``multi_hot``, ``count`` or ``tf_idf`` (counts scaled by
            ``idf_weights``); the encoded modes need the vocabulary size: a vocabulary, or
            ``max_tokens`` with ``pad_to_max_tokens``.
        pad_to_max_tokens: make encoded vectors ``max_tokens`` long whatever the vocabulary's size.
        oov_method: how values outside the vocabulary are hashed into the OOV indices: ``floormod``
            or ``farmhash``.
        salt: with ``farmhash``: the key of the hash, one int or a pair.
    """

    max_tokens: Optional[Annotated[int, Field(gt=1, lt=INT32_LIMIT)]] = None
    num_oov_indices: NonNegativeInt = 1
    idf_weights: Optional[list[float]] = None
    invert: bool = False
    output_mode: Literal["int", "one_hot", "multi_hot", "count", "tf_idf"] = "int"
    pad_to_max_tokens: bool = False
    oov_method: Literal["floormod", "farmhash"] = "floormod"
    salt: Optional[Salt] = None

    @model_validator(mode="after")
    def _consistent(self) -> "Lookup":
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError("pad_to_max_tokens needs max_tokens")
        if self.invert and self.output_mode != "int":
            raise ValueError("invert maps indices back to tokens, so it needs output_mode: int")
        if self.idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError("idf_weights is only used with output_mode: tf_idf")
        if self.output_mode == "tf_idf" and self.vocabulary is not None and self.idf_weights is None:
            raise ValueError("output_mode: tf_idf with a vocabulary needs its idf_weights")
        if self.vocabulary is not None:
            self._check_vocabulary()
        return self

    def _special_tokens(self) -> list:
        return [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _tokens(self) -> list:
        """The vocabulary without the special tokens it may start with."""
        special = self._special_tokens()
        vocabulary = list(self.vocabulary)
        return vocabulary[len(special):] if special and vocabulary[:len(special)] == special else vocabulary

    def _check_vocabulary(self) -> None:
        tokens = self._tokens()
        repeated = sorted({str(token) for token in tokens if tokens.count(token) > 1})
        if repeated:
            raise ValueError(f"the vocabulary repeats {', '.join(repeated)}; each token may appear once")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"the vocabulary holds the mask token {self.mask_token!r} among its tokens; leave it out "
                             "or put the special tokens first, in order: mask token, OOV tokens")
        if self.invert and self.oov_token in tokens:
            raise ValueError(f"the vocabulary holds the OOV token {self.oov_token!r} among its tokens; leave it out "
                             "or put the special tokens first, in order: mask token, OOV tokens")
        size = self.vocabulary_size()
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"the vocabulary has {size} entries with the special tokens, more than max_tokens "
                             f"({self.max_tokens})")
        if self.idf_weights is not None and len(self.idf_weights) != len(self.vocabulary):
            raise ValueError(f"idf_weights has {len(self.idf_weights)} weights for a vocabulary of "
                             f"{len(self.vocabulary)} tokens; give one per token")

    def vocabulary_size(self) -> int | None:
        """The number of indices, the special ones included; None until a vocabulary is adapted."""
        if self.vocabulary is None:
            return None
        return len(self._special_tokens()) + len(self._tokens())

    def depth(self) -> int | None:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()


class StringLookup(Lookup):
    """Maps strings to integer indices through a vocabulary (or back, with ``invert``).

    Args:
        mask_token: a token that stands for padding and maps to index 0; null for none.
        oov_token: the token ``invert`` gives for OOV indices.
        vocabulary: the strings, given inline (a file is not read).
        encoding: the text encoding of the strings.
    """

    type: Literal["StringLookup"]
    mask_token: Optional[str] = None
    oov_token: str = "[UNK]"
    vocabulary: Optional[Annotated[list[str], Field(min_length=1)]] = None
    encoding: str = "utf-8"


class IntegerLookup(Lookup):
    """Maps integer values (e.g. ids) to contiguous indices through a vocabulary (or back, with ``invert``).

    Args:
        mask_token: a value that stands for padding and maps to index 0; null for none.
        oov_token: the value ``invert`` gives for OOV indices.
        vocabulary: the integer values.
        vocabulary_dtype: the type of the values: Keras supports only ``int64``.
        oov_method: salting (``salt``) needs ``farmhash``.
    """

    type: Literal["IntegerLookup"]
    mask_token: Optional[int] = None
    oov_token: int = -1
    vocabulary: Optional[Annotated[list[int], Field(min_length=1)]] = None
    vocabulary_dtype: Literal["int64"] = "int64"

    @model_validator(mode="after")
    def _salted_by_farmhash(self) -> "IntegerLookup":
        if self.salt is not None and self.oov_method != "farmhash":
            raise ValueError("salt keys the farmhash of OOV values, so it needs oov_method: farmhash")
        return self


class TextVectorization(Layer):
    """Turns each text into a sequence of token ids: standardized, split into words (or characters), made
    into n-grams where asked, and each looked up in a vocabulary given or adapted from the training texts.

    Takes one string per sample, an input of shape ``[1]`` (``nnconf train`` adapts it on the training
    split of that input). Gives ``output_sequence_length`` ids per text, or as many as the batch's
    longest text has without it: 0 is padding, 1 a token outside the vocabulary. Only ``output_mode:
    int`` is supported: for the bag-of-words modes Keras's built model reports an output shape of
    (batch, 1, tokens) while the layer computes (batch, tokens), so layers after it would be built for
    the wrong shape. For a bag of words, follow it with an Embedding and GlobalAveragePooling1D.

    Args:
        max_tokens: the largest vocabulary, padding and the out-of-vocabulary token included.
        standardize: what is done to each text first: ``lower_and_strip_punctuation``, ``lower``,
            ``strip_punctuation``, or nothing (null).
        split: ``whitespace`` (words), ``character``, or null (each text is one token).
        ngrams: also make n-grams of the tokens, up to this length or of these lengths.
        output_mode: ``int``: token ids.
        output_sequence_length: pad or cut each sequence to this length.
        vocabulary: the tokens, given inline (without the padding and out-of-vocabulary tokens); without
            it the vocabulary is adapted from the training texts.
        encoding: the text encoding of the strings.
    """

    type: Literal["TextVectorization"]
    max_tokens: Optional[Annotated[int, Field(gt=2, lt=INT32_LIMIT)]] = None
    standardize: Optional[Literal["lower_and_strip_punctuation", "lower", "strip_punctuation"]] = \
        "lower_and_strip_punctuation"
    split: Optional[Literal["whitespace", "character"]] = "whitespace"
    ngrams: Union[PositiveInt, Annotated[list[PositiveInt], Field(min_length=1)], None] = None
    output_mode: Literal["int"] = "int"
    output_sequence_length: Optional[PositiveInt] = None
    vocabulary: Optional[Annotated[list[str], Field(min_length=1)]] = None
    encoding: str = "utf-8"

    def output_shape(self, input_shape: Shape) -> Shape:
        if tuple(input_shape) != (1,):
            raise ShapeError(f"TextVectorization takes one text per sample, inputs (batch, 1), but gets "
                             f"{format_shape(input_shape)}", hint="give the model input the shape [1]")
        return (self.output_sequence_length,)


class Pipeline(Layer):
    """Applies a list of layers in turn, as one layer (Keras's preprocessing pipeline, e.g. of augmentations).

    The weights are those of the layers, prefixed by their position: ``0_mean``, ``2_kernel``, ...

    Args:
        layers: the layers, each taking one input; the first takes the pipeline's input.
    """

    WRAPS_LAYER = True

    type: Literal["Pipeline"]
    layers: Annotated[list[AnyLayer], Field(min_length=1)]

    @field_validator("layers")
    @classmethod
    def _one_input_each(cls, layers: list[Layer]) -> list[Layer]:
        for layer in layers:
            if layer.CALL_STYLE != "single":
                raise ValueError(f"Pipeline applies layers that take one input, and {layer.type} takes several")
            check_wrapped("Pipeline", layer)
        return layers

    def keras_arguments(self) -> dict[str, Any]:
        # Keras's Pipeline takes only its layers and name; its layers say whether they are trainable.
        arguments = super().keras_arguments()
        del arguments["trainable"]
        return arguments

    def output_shape(self, input_shape: Shape) -> Shape:
        return self._shapes(input_shape)[-1]

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        shapes = {}
        for index, (layer, shape) in enumerate(zip(self.layers, self._shapes(input_shape))):
            with located_at("layers"):
                shapes.update({f"{index}_{name}": weight for name, weight in layer.weight_shapes(shape).items()})
        return shapes

    def trainable_weight(self, name: str) -> bool:
        index, _, weight = name.partition("_")
        return self.trainable and self.layers[int(index)].trainable_weight(weight)

    def _shapes(self, input_shape: Shape) -> list[Shape]:
        """The input shape of each layer, and the pipeline's output shape last."""
        shapes = [tuple(input_shape)]
        for layer in self.layers:
            with located_at("layers"):
                shapes.append(tuple(layer.output_shape(shapes[-1])))
        return shapes
