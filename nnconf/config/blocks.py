"""Entries of a model's ``layers`` that are not a layer of their own, and the blocks they use.

- ``{apply: encoder, name: encoder_right, inputs: right}`` applies the layer named ``encoder``, defined
  elsewhere in the model, to ``right``: one set of weights serves both places, as a Keras layer called
  twice does (Siamese towers).
- ``{block: bottleneck, name: conv2_1, inputs: pool1, filters: 64}`` uses the block ``bottleneck`` of
  the config's ``blocks:`` section: a small graph of layers defined once, whose layer values written
  ``$filters`` take each use's arguments. Each use has weights of its own; it is built as a nested Keras
  model named as the use.
"""

import re
from typing import Annotated, Any, ClassVar, Optional, Union, get_args

from pydantic import Field, GetCoreSchemaHandler, ValidationInfo, model_serializer, model_validator
from pydantic_core import CoreSchema, PydanticKnownError, core_schema

from nnconf.config.base import IDENTIFIER, StrictModel
from nnconf.config.layers import AnyLayer, Layer

LayerName = Annotated[str, Field(pattern=IDENTIFIER, max_length=128)]
ARGUMENT_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ArgumentName = Annotated[str, Field(pattern=ARGUMENT_NAME, max_length=128)]
# A value in a block's layers that stands for one of the block's arguments: "$filters".
ARGUMENT_REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


class SharedCall(StrictModel):
    """A layer of the model applied again, to other inputs, with the same weights.

    Args:
        apply: the name of the layer to apply (defined with its ``type`` elsewhere in the model).
        name: the name of this application, by which later layers and outputs take its output.
        inputs: what it is applied to, as a layer's ``inputs``.
    """

    CALL_STYLE: ClassVar[str] = "shared"  # as the layer it applies; see LayerShape.spec

    apply: LayerName
    name: LayerName
    inputs: Union[str, Annotated[list[str], Field(min_length=1)]]

    @property
    def type(self) -> str:
        """What summaries and messages call it: the entry is no layer type of its own."""
        return "Apply"

    @property
    def input_names(self) -> list[str]:
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    def inline_weights(self) -> dict[str, Any]:
        return {}  # the weights are the applied layer's

    @model_serializer(mode="wrap")
    def _in_reading_order(self, handler) -> dict:
        data = handler(self)
        return {key: data[key] for key in ("apply", "name", "inputs") if key in data}


class BlockUse(StrictModel):
    """A use of a block of the config's ``blocks:`` section, with its own weights and arguments:
    ``{block: bottleneck, name: conv2_1, inputs: pool1, filters: 64}``.

    Args:
        block: the block's name.
        name: the use's name (the nested Keras model's); later layers take its output by it, or one of
            several outputs as ``NAME/OUTPUT``.
        inputs: in a functional model, what the block's inputs take, in the order the block lists them.
        arguments: the values of the block's arguments, written as keys of the use itself
            (``filters: 64``) or under ``arguments``.
    """

    CALL_STYLE: ClassVar[str] = "block"

    block: ArgumentName
    name: Optional[LayerName] = None
    inputs: Union[str, Annotated[list[str], Field(min_length=1)], None] = None
    arguments: dict[ArgumentName, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _arguments_as_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = {key: value for key, value in data.items() if key not in cls.model_fields}
        if not given:
            return data
        own = {key: value for key, value in data.items() if key in cls.model_fields}
        arguments = data.get("arguments")
        return {**own, "arguments": {**given, **(arguments if isinstance(arguments, dict) else {})}}

    @model_serializer(mode="wrap")
    def _in_reading_order(self, handler) -> dict:
        data = handler(self)
        written = {key: data[key] for key in ("block", "name", "inputs") if key in data and data[key] is not None}
        return {**written, **data.get("arguments", {})}

    @property
    def type(self) -> str:
        """What messages call it: the entry is no layer type of its own."""
        return "Block"

    @property
    def input_names(self) -> list[str]:
        if self.inputs is None:
            return []
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    def inline_weights(self) -> dict[str, Any]:
        return {}  # the weights are the layers' of the block, each use's own


class Block(StrictModel):
    """A small graph of layers defined once and used many times, each use with its own weights and
    arguments (``{block: NAME, ...}`` in a model's layers).

    Args:
        inputs: the names the block's layers take its inputs by, e.g. ``[x]``.
        arguments: the block's arguments with their default values; a value written ``$filters`` in the
            block's layers is the argument ``filters`` of each use. A default of null means that each use
            gives the argument.
        layers: the layers, wired by name as in a functional model (``inputs``), with ``$argument`` values.
        outputs: the layer (or layers) whose outputs are the block's outputs.
    """

    inputs: Union[LayerName, Annotated[list[LayerName], Field(min_length=1)]]
    arguments: dict[ArgumentName, Any] = {}
    layers: Annotated[list[dict[str, Any]], Field(min_length=1)]
    outputs: Union[str, Annotated[list[str], Field(min_length=1)]]

    @property
    def input_names(self) -> list[str]:
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    @property
    def output_names(self) -> list[str]:
        return [self.outputs] if isinstance(self.outputs, str) else list(self.outputs)


def bound(value: Any, arguments: dict[str, Any]) -> Any:
    """``value`` (a block's layer, or part of one) with each ``$argument`` replaced by its value."""
    if isinstance(value, str):
        match = ARGUMENT_REFERENCE.match(value)
        return arguments[match.group(1)] if match and match.group(1) in arguments else value
    if isinstance(value, list):
        return [bound(item, arguments) for item in value]
    if isinstance(value, dict):
        return {key: bound(item, arguments) for key, item in value.items()}
    return value


class _Entry:
    """Annotation for an entry of a model's ``layers``: a layer (chosen by its ``type``), a use of a block
    (a mapping with ``block``) or, in a functional model, a layer applied again (a mapping with ``apply``).

    Args:
        shared: whether ``apply`` entries are taken (a functional model's layers).
    """

    def __init__(self, shared: bool) -> None:
        self.layers = get_args(AnyLayer)[1]  # the ChosenBy that picks a layer by its type
        self.kinds = {"block": BlockUse, **({"apply": SharedCall} if shared else {})}

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        choices = [handler.generate_schema(AnyLayer)] + [handler.generate_schema(kind) for kind in self.kinds.values()]
        return core_schema.with_info_plain_validator_function(
            self._validate, json_schema_input_schema=core_schema.union_schema(choices))

    def _validate(self, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, tuple(self.kinds.values())):
            return value
        if isinstance(value, dict) and "type" not in value:
            for key, kind in self.kinds.items():
                if key in value:
                    return kind.model_validate(value, context=info.context)
        if isinstance(value, (dict, Layer)):
            return self.layers._validate(value, info)
        raise PydanticKnownError("model_attributes_type")


# An entry of a functional model's layers, and of a sequential model's.
GraphEntry = Annotated[Union[Layer, SharedCall, BlockUse], _Entry(shared=True)]
StackEntry = Annotated[Union[Layer, BlockUse], _Entry(shared=False)]
