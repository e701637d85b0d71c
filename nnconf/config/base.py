"""Building blocks of the config schema: strict models and name-or-mapping specs."""

from contextvars import ContextVar
from functools import cache
from typing import Annotated, Any, Callable, ClassVar, Collection, Mapping, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError, ValidationInfo, \
    model_serializer, model_validator
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import CoreSchema, PydanticKnownError, core_schema
from typing_extensions import Self

from nnconf.findings import ConfigError

_UNCHANGEABLE = ("a checked config is changed through the config, never in place: config.replace(path, value) "
                 "returns a checked copy (e.g. config.replace('model.layers[1].units', 256)), or assign a whole "
                 "new value to the field")


class FrozenList(list):
    """A list inside a config: read like any list; changing it in place would skip the checks."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_UNCHANGEABLE)

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple:
        return FrozenList, (list(self),)


class FrozenDict(dict):
    """A mapping inside a config: read like any dict; changing it in place would skip the checks."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_UNCHANGEABLE)

    update = pop = popitem = clear = setdefault = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce__(self) -> tuple:
        return FrozenDict, (dict(self),)


def _frozen(value: Any) -> Any:
    if type(value) is list:
        return FrozenList(_frozen(item) for item in value)
    if type(value) is dict:
        return FrozenDict((key, _frozen(item)) for key, item in value.items())
    return value


def _freeze_fields(model: BaseModel) -> None:
    for name in type(model).model_fields:
        value = model.__dict__.get(name)
        frozen = _frozen(value)
        if frozen is not value:
            model.__dict__[name] = frozen


def python_values(value: Any) -> Any:
    """Values written in Python as a config file would hold them: tuples as lists, NumPy numbers and
    arrays as Python numbers and lists. Checked sections are kept as they are."""
    if isinstance(value, BaseModel) or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [python_values(item) for item in value]
    if isinstance(value, Mapping):
        return {key: python_values(item) for key, item in value.items()}
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return python_values(value.tolist())
    return value


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, and no value is coerced from another type.

    Made in Python (``Dense(units=64)``), a section is checked as a config file's is: a wrong value
    raises ``ConfigError`` with the findings ``nnconf validate`` gives. Assigning to a field checks
    the new value the same way; lists and mappings inside cannot be changed in place.
    """

    model_config = ConfigDict(
        extra="forbid", strict=True, validate_default=True, allow_inf_nan=False,
        validate_assignment=True, protected_namespaces=(), defer_build=True,
    )

    # Keys left out of the written config when they are None: structure, not defaults.
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()
    # The arguments Python may give by position, in Keras's order, where they are not just the required
    # ones (tests/test_api_keras.py checks every class's against Keras's signature).
    POSITIONAL: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, /, *args: Any, **values: Any) -> None:
        values = self._implied(python_values(self._with_positional(args, values)))
        context: dict = {}
        try:
            self.__pydantic_validator__.validate_python(values, self_instance=self, context=context)
        except ValidationError as error:
            raise ConfigError(_findings(error, values, context)) from None

    # Only Python calls this; validating a config builds its sections without it, as pydantic's own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        """The arguments that may be given by position in Python, in order (none, unless a section says)."""
        return cls.POSITIONAL or ()

    @classmethod
    def _with_positional(cls, args: tuple, values: dict[str, Any]) -> dict[str, Any]:
        if not args:
            return values
        names = cls.positional_fields()
        if len(args) > len(names):
            takes = f"{len(names)} positional argument{'s' * (len(names) != 1)}"
            raise TypeError(f"{cls.__name__} takes {takes}" + (f" ({', '.join(names)})" if names else "") +
                            f", but {len(args)} were given")
        given = dict(zip(names, args))
        twice = sorted(given.keys() & values.keys())
        if twice:
            raise TypeError(f"{cls.__name__} got more than one value for {twice[0]!r}")
        return {**given, **values}

    @classmethod
    def _implied(cls, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with what the class itself says (a layer's ``type``); nothing, unless a section says."""
        return values

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):  # pydantic's own bookkeeping
            return super().__setattr__(name, value)
        if name not in type(self).model_fields:
            from nnconf.config.validation import unknown_key

            raise ConfigError([unknown_key(name, list(type(self).model_fields))])
        value = python_values(value)
        try:
            super().__setattr__(name, value)
        except ValidationError as error:
            raise ConfigError(_findings(error, {name: value}, {})) from None

    def __delattr__(self, name: str) -> None:
        raise TypeError(_UNCHANGEABLE)

    def replace(self, path: str | Mapping[str, Any], value: Any = None) -> Self:
        """A checked copy with the value at ``path`` changed, as ``--set`` changes a config file.

        Args:
            path: where, in nnconf's notation (``model.layers[1].units``, ``optimizer.learning_rate``);
                or a mapping of several such paths to their values.
            value: the new value (with a single ``path``): a number, a string, a list, a mapping or a
                section made in Python (``Dense(units=8)``).

        Raises ConfigError with every finding if the changed config does not check out.
        """
        from nnconf.config.validation import replaced

        return replaced(self, path if isinstance(path, Mapping) else {path: value})

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; one changed by ``update`` (field names and values) is checked, as ``replace`` checks."""
        return self.replace(dict(update)) if update else super().model_copy(deep=deep)

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        constructed = super().model_construct(_fields_set, **values)
        _freeze_fields(constructed)
        return constructed

    @model_validator(mode="after")
    def _frozen_containers(self) -> Self:
        _freeze_fields(self)
        return self

    @model_serializer(mode="wrap")
    def _in_reading_order(self, handler) -> dict:
        data = handler(self)
        return {k: data[k] for k in field_order(type(self)) if k in data
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


def _findings(error: ValidationError, values: Any, context: dict) -> list:
    from nnconf.config.validation import python_findings

    return python_findings(error, values, context)


@cache
def field_order(cls: type[BaseModel]) -> list[str]:
    """``type`` and ``name`` first, then a class's own fields before the ones it inherits."""
    order = [k for k in ("type", "name") if k in cls.model_fields]
    for klass in cls.__mro__:
        order.extend(k for k in vars(klass).get("__annotations__", {}) if k in cls.model_fields and k not in order)
    return order


class NamedSpec(StrictModel):
    """A thing chosen by ``name`` with optional arguments, written as ``relu`` or ``{name: relu, ...}``.

    Subclasses declare ``name: Literal[...]``; the first literal is the canonical spelling and the
    rest are aliases Keras accepts too. Keras's other spellings of the same thing (its class names,
    ``Adam`` or ``SparseCategoricalCrossentropy``) are accepted where ``by_name`` lists them, and read
    as the canonical name. Made in Python, a spec that stands for one Keras class needs no name:
    ``Adam(learning_rate=1e-3)``.
    """

    # Whether the name chooses among different functions (metrics such as accuracy or mse), so that
    # the class alone cannot say which one is meant.
    NAME_CHOOSES: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _name_shorthand(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, str):
            return {"name": cls.spelled(data)}
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and cls.spelled(name) != name:
            if isinstance(info.context, dict):  # the mapping the user wrote is where an unknown key is found
                info.context.setdefault("sections", {})[id(data)] = cls
            return {**data, "name": cls.spelled(name)}
        return data

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return get_args(cls.model_fields["name"].annotation)

    @classmethod
    def spelled(cls, name: str) -> str:
        """The name a spelling stands for: ``Adam`` -> ``adam``; any other name is itself."""
        spellings = _SPELLINGS.get(cls)
        return spellings.get(name, name) if spellings is not None else name

    @classmethod
    def keras_spellings(cls) -> dict[str, str]:
        """Keras's other spellings of this spec's names (class names), each with the name it stands for."""
        return dict(_SPELLINGS.get(cls, {}))

    @classmethod
    def _implied(cls, values: dict[str, Any]) -> dict[str, Any]:
        if "name" in values or cls.NAME_CHOOSES or "name" not in cls.model_fields:
            return values
        return {"name": cls.names()[0], **values}

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        return cls.POSITIONAL if cls.POSITIONAL is not None else required_fields(cls, "name")

    @property
    def canonical(self) -> str:
        return self.names()[0]

    def arguments(self) -> dict:
        """The Keras arguments, without the name."""
        return {k: v for k, v in self.model_dump().items() if k != "name"}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = dict(handler.resolve_ref_schema(handler(core_schema)))
        names = [*cls.names(), *_SPELLINGS.get(cls, {})]
        name = schema.get("properties", {}).get("name")
        if name is not None and len(names) > len(cls.names()):  # a mapping's name may be spelt Keras's way too
            schema["properties"] = {**schema["properties"], "name": {
                **{k: v for k, v in name.items() if k != "const"}, "enum": names, "type": "string"}}
        shorthand = {"type": "string", "enum": names}
        return {"anyOf": [shorthand, schema], "title": schema.get("title", cls.__name__)}


# Keras's other spellings of named specs, by spec class (filled in by ``by_name``).
_SPELLINGS: dict[type, "Spellings"] = {}


def required_fields(cls: type[BaseModel], tag: str) -> tuple[str, ...]:
    """The fields without a default, in the order the class declares them, leaving out its tag."""
    return tuple(name for name in field_order(cls) if name != tag and cls.model_fields[name].is_required())


def class_spellings(*specs: type[NamedSpec]) -> dict[str, str]:
    """Keras's class names of specs whose class is named as Keras's (``Adam``, ``HeNormal``)."""
    return {spec.__name__: spec.names()[0] for spec in specs}


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
                 shorthand: bool = False, spellings: Mapping[str, str] | None = None):
        self.alias, self.members, self.key, self.shorthand = alias, members, key, shorthand
        self.spellings = spellings if spellings is not None else Spellings({})

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_info_plain_validator_function(self._validate)

    def _validate(self, value: Any, info: ValidationInfo) -> BaseModel:
        members = self.members()
        tag = self._tag(value)
        member = members.get(self.spellings.get(tag, tag)) if isinstance(tag, str) else None
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


def by_name(alias: str, *specs: type[NamedSpec], spellings: Mapping[str, str] | None = None,
            any_case: bool = False) -> Any:
    """One of several named specs, picked by its ``name`` (or the string shorthand).

    Args:
        spellings: Keras's other spellings of the names (``Adam`` for ``adam``), read as the name.
        any_case: whether a name may be written in any case, as Keras reads optimizer names.
    """
    members = {name: spec for spec in specs for name in spec.names()}
    spelled = dict(spellings or {})
    if any_case:
        spelled.update({spec.__name__: spec.names()[0] for spec in specs})
    for spec in specs:
        _SPELLINGS[spec] = Spellings({spelling: name for spelling, name in spelled.items() if name in spec.names()},
                                     spec.names() if any_case else ())
    union_type = Union[specs] if len(specs) > 1 else specs[0]
    return Annotated[union_type, ChosenBy(alias, lambda: members, "name", shorthand=True,
                                          spellings=Spellings(spelled, members if any_case else ()))]


class Spellings(dict):
    """Keras's other spellings of names, each with the name it stands for; with ``any_case`` names, a
    name written in another case (``ADAM``, ``RMSProp``) stands for itself, as Keras reads it."""

    def __init__(self, spellings: Mapping[str, str], any_case: Collection[str] = ()):
        super().__init__(spellings)
        self.any_case = frozenset(any_case)

    def get(self, spelling: Any, default: Any = None) -> Any:
        if self.any_case and isinstance(spelling, str) and spelling.lower() in self.any_case:
            return spelling.lower()
        return super().get(spelling, default)

    def __contains__(self, spelling: object) -> bool:
        return self.get(spelling) is not None


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
