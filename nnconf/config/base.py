"""Building blocks of the config schema: strict models and name-or-mapping specs."""

from contextvars import ContextVar
from functools import cache
from typing import Annotated, Any, Callable, ClassVar, Mapping, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationInfo, model_serializer, model_validator
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import CoreSchema, PydanticKnownError, core_schema


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, and no value is coerced from another type."""

    model_config = ConfigDict(
        extra="forbid", strict=True, validate_default=True, allow_inf_nan=False,
        validate_assignment=True, protected_namespaces=(), defer_build=True,
    )

    # Keys left out of the written config when they are None: structure, not defaults.
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _in_reading_order(self, handler) -> dict:
        data = handler(self)
        return {k: data[k] for k in _field_order(type(self)) if k in data
                and not (data[k] is None and k in self.OMIT_WHEN_NONE)}

    @model_validator(mode="before")
    @classmethod
    def _remember_section(cls, data: Any, info) -> Any:
        # Remembering which model read which mapping lets an unknown key get a "did you mean".
        if isinstance(data, dict) and isinstance(info.context, dict):
            info.context.setdefault("sections", {})[id(data)] = cls
        return data


def default_section(section: type[StrictModel]) -> Any:
    """A field whose default is ``section()`` with every default of its own, made when a config
    leaves the section out.

    The default is constructed, not validated: validating it would build the section's own validator
    besides the one inside Config's (30 ms of a cold check for training and lint). Its values are
    defaults already, which tests/config/test_defaults.py checks against a validated section. The JSON
    Schema still shows the default, so editors can.
    """
    def show_default(schema: dict) -> None:
        schema["default"] = section.model_construct().model_dump(mode="json")

    return Field(default_factory=section.model_construct, json_schema_extra=show_default)


@cache
def _field_order(cls: type[BaseModel]) -> list[str]:
    """``type`` and ``name`` first, then a class's own fields before the ones it inherits."""
    order = [k for k in ("type", "name") if k in cls.model_fields]
    for klass in cls.__mro__:
        order.extend(k for k in vars(klass).get("__annotations__", {}) if k in cls.model_fields and k not in order)
    return order


class NamedSpec(StrictModel):
    """A thing chosen by ``name`` with optional arguments, written as ``relu`` or ``{name: relu, ...}``.

    Subclasses declare ``name: Literal[...]``; the first literal is the canonical spelling and the
    rest are aliases Keras accepts too.
    """

    @model_validator(mode="before")
    @classmethod
    def _name_shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return get_args(cls.model_fields["name"].annotation)

    @property
    def canonical(self) -> str:
        return self.names()[0]

    def arguments(self) -> dict:
        """The Keras arguments, without the name."""
        return {k: v for k, v in self.model_dump().items() if k != "name"}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        shorthand = {"type": "string", "enum": list(cls.names())}
        return {"anyOf": [shorthand, dict(schema)], "title": schema.get("title", cls.__name__)}


class ChosenBy:
    """Annotation for a field holding one of several models, chosen by one key of the value.

    A pydantic tagged union builds the validator of every member on the first check of any config,
    and builds it again inside every model that uses the union: most of a cold ``nnconf lint``'s
    time. Here each member's validator is built the first time a config uses it, once. The errors
    are those of pydantic's tagged union, so findings do not change.

    Args:
        alias: the name of the union in the JSON Schema's ``$defs``.
        members: returns the member classes by key value (a callable: the layer registry is
            complete only once every family module has imported the one defining this).
        key: the field that chooses, ``type`` or ``name``.
        shorthand: whether a bare string is the key (``relu`` for ``{name: relu}``); without it a
            value must be a mapping.
    """

    def __init__(self, alias: str, members: Callable[[], Mapping[str, type[BaseModel]]], key: str,
                 shorthand: bool = False):
        self.alias, self.members, self.key, self.shorthand = alias, members, key, shorthand

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_info_plain_validator_function(self._validate)

    def _validate(self, value: Any, info: ValidationInfo) -> BaseModel:
        members = self.members()
        tag = self._tag(value)
        member = members.get(tag) if isinstance(tag, str) else None
        if member is not None and isinstance(value, member):
            return value
        if not self.shorthand and not isinstance(value, dict):
            raise PydanticKnownError("model_attributes_type")
        if tag is None:
            raise PydanticKnownError("union_tag_not_found", {"discriminator": repr(self.key)})
        if member is None:
            expected = ", ".join(repr(name) for name in members)
            raise PydanticKnownError("union_tag_invalid",
                                     {"discriminator": repr(self.key), "tag": str(tag), "expected_tags": expected})
        return member.model_validate(value, context=info.context)

    def _tag(self, value: Any) -> Any:
        if isinstance(value, str) and self.shorthand:
            return value
        if isinstance(value, dict):
            return value.get(self.key)
        return getattr(value, self.key, None) if isinstance(value, BaseModel) else None

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Written once under $defs; a layer union holds wrappers that hold the union again.
        reference = core_schema.definition_reference_schema(self.alias)
        if self.alias in _unions_being_written.get():
            return handler(reference)
        # A string discriminator gives editors a mapping from key to member; shorthands have none.
        union = core_schema.tagged_union_schema(
            {tag: member.__pydantic_core_schema__ for tag, member in self.members().items()},
            discriminator=self._tag if self.shorthand else self.key, ref=self.alias)
        token = _unions_being_written.set(_unions_being_written.get() | {self.alias})
        try:
            return handler(core_schema.definitions_schema(reference, [union]))
        finally:
            _unions_being_written.reset(token)


_unions_being_written: ContextVar[frozenset[str]] = ContextVar("unions_being_written", default=frozenset())


def by_name(alias: str, *specs: type[NamedSpec]) -> Any:
    """One of several named specs, picked by its ``name`` (or the string shorthand)."""
    members = {name: spec for spec in specs for name in spec.names()}
    union_type = Union[specs] if len(specs) > 1 else specs[0]
    return Annotated[union_type, ChosenBy(alias, lambda: members, "name", shorthand=True)]


# Names that become Keras layer names, graph references and run directories: plain identifiers, so
# that none can hold a path (../x) or anything else a shell or a file system would interpret.
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"
MODEL_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"
DEVICE = r"^(auto|cpu|gpu|gpu:\d+)$"
RULE_CODE = r"^NN\d{3}$"
PATTERN_MEANINGS = {
    IDENTIFIER: "letters, digits, '_', '.' and '-', starting with a letter or '_'",
    MODEL_NAME: "letters, digits, '_', '.' and '-' (no spaces or slashes)",
    DEVICE: "auto, cpu, gpu or gpu:N",
    RULE_CODE: "a rule code such as NN203",
}

# TensorFlow holds sizes and seeds in 32-bit integers; larger ones would fail inside it, not here.
INT32_LIMIT = 2**31
PositiveInt = Annotated[int, Field(gt=0, lt=INT32_LIMIT)]
NonNegativeInt = Annotated[int, Field(ge=0, lt=INT32_LIMIT)]
Seed = Annotated[int, Field(ge=0, lt=INT32_LIMIT)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Rate = Annotated[float, Field(ge=0, lt=1)]
Axis = int

# One sample's shape, without the batch axis; None is a dimension of any size (a sequence length).
Dimension = Union[PositiveInt, None]
Shape = Annotated[list[Dimension], Field(min_length=1)]
