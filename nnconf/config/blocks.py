"""Entries of a functional model's ``layers`` that are not a layer of their own: a layer applied again
(shared weights).

``{apply: encoder, name: encoder_right, inputs: right}`` applies the layer named ``encoder``, defined
elsewhere in the model, to ``right``: one set of weights serves both places, as a Keras layer called
twice does (Siamese towers).
"""

from typing import Annotated, Any, ClassVar, Union, get_args

from pydantic import Field, GetCoreSchemaHandler, ValidationInfo, model_serializer
from pydantic_core import CoreSchema, PydanticKnownError, core_schema

from nnconf.config.base import IDENTIFIER, StrictModel
from nnconf.config.layers import AnyLayer, Layer

LayerName = Annotated[str, Field(pattern=IDENTIFIER, max_length=128)]


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


class _LayerOrCall:
    """Annotation for an entry of a functional model's ``layers``: a layer (chosen by its ``type``), or a
    layer applied again (a mapping with ``apply``)."""

    def __init__(self) -> None:
        self.layers = get_args(AnyLayer)[1]  # the ChosenBy that picks a layer by its type

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        choices = core_schema.union_schema([handler.generate_schema(AnyLayer), handler.generate_schema(SharedCall)])
        return core_schema.with_info_plain_validator_function(self._validate, json_schema_input_schema=choices)

    def _validate(self, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, SharedCall):
            return value
        if isinstance(value, dict) and "apply" in value and "type" not in value:
            return SharedCall.model_validate(value, context=info.context)
        if isinstance(value, (dict, Layer)):
            return self.layers._validate(value, info)
        raise PydanticKnownError("model_attributes_type")


GraphEntry = Annotated[Union[Layer, SharedCall], _LayerOrCall()]
