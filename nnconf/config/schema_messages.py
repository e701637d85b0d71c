"""nnconf's own words for what Pydantic finds wrong with a value.

Pydantic's error *types* (``greater_than``, ``int_type``, ...) and their context (``{"gt": 0}``) are
stable; its English (``msg``) may change with any release. nnconf's messages are built from the type
and context alone, so a reworded Pydantic release changes neither nnconf's output nor its tests.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

_LIST = "a list"
_MAPPING = "a mapping (key: value)"


def _number(bound: Any) -> str:
    """A bound as a person writes it: 0, not 0.0."""
    return str(int(bound)) if isinstance(bound, float) and bound.is_integer() else str(bound)


def _count(number: Any, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _one_of(expected: Any) -> str:
    # pydantic gives the choices as one text ("'a', 'b' or 'c'"); its quoted pieces are the choices
    choices = re.findall(r"'([^']*)'", str(expected))
    return "one of " + (", ".join(map(repr, choices)) if choices else str(expected))


# What a value should be, by pydantic's error type, in words that follow the value's name.
_REQUIREMENTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than": lambda ctx: f"should be greater than {_number(ctx['gt'])}",
    "greater_than_equal": lambda ctx: f"should be at least {_number(ctx['ge'])}",
    "less_than": lambda ctx: f"should be less than {_number(ctx['lt'])}",
    "less_than_equal": lambda ctx: f"should be at most {_number(ctx['le'])}",
    "multiple_of": lambda ctx: f"should be a multiple of {_number(ctx['multiple_of'])}",
    "finite_number": lambda ctx: "should be a finite number (not inf or nan)",
    "int_type": lambda ctx: "should be an integer",
    "int_parsing": lambda ctx: "should be an integer",
    "int_from_float": lambda ctx: "should be an integer",
    "int_parsing_size": lambda ctx: "should be an integer of a size nnconf can hold",
    "float_type": lambda ctx: "should be a number",
    "float_parsing": lambda ctx: "should be a number",
    "bool_type": lambda ctx: "should be true or false",
    "bool_parsing": lambda ctx: "should be true or false",
    "string_type": lambda ctx: "should be a string",
    "string_unicode": lambda ctx: "should be a string",
    "string_too_short": lambda ctx: f"should have at least {_count(ctx['min_length'], 'character')}",
    "string_too_long": lambda ctx: f"should have at most {_count(ctx['max_length'], 'character')}",
    "too_short": lambda ctx: f"should have at least {_count(ctx['min_length'], 'item')}",
    "too_long": lambda ctx: f"should have at most {_count(ctx['max_length'], 'item')}",
    "list_type": lambda ctx: f"should be {_LIST}",
    "tuple_type": lambda ctx: f"should be {_LIST}",
    "set_type": lambda ctx: f"should be {_LIST}",
    "frozen_set_type": lambda ctx: f"should be {_LIST}",
    "iterable_type": lambda ctx: f"should be {_LIST}",
    "dict_type": lambda ctx: f"should be {_MAPPING}",
    "model_type": lambda ctx: f"should be {_MAPPING}",
    "model_attributes_type": lambda ctx: f"should be {_MAPPING}",
    "dataclass_type": lambda ctx: f"should be {_MAPPING}",
    "none_required": lambda ctx: "should be null (or left out)",
    "literal_error": lambda ctx: f"should be {_one_of(ctx['expected'])}",
    "enum": lambda ctx: f"should be {_one_of(ctx['expected'])}",
    "is_instance_of": lambda ctx: f"should be of type {ctx['class']}",
    "callable_type": lambda ctx: "should be callable",
}

# Errors whose context carries nnconf's own message: a validator of nnconf's raised it.
_OWN_MESSAGES = frozenset({"value_error", "assertion_error"})
# The error types given nnconf's words here; tests/config/test_schema_messages.py makes each one.
WORDED_TYPES = frozenset(_REQUIREMENTS) | _OWN_MESSAGES


def requirement(kind: str, ctx: Mapping[str, Any] | None) -> str | None:
    """What the value should be ("should be greater than 0"), or None for a type without nnconf's words.

    Args:
        kind: pydantic's error type (``error["type"]``).
        ctx: the error's context (``error.get("ctx")``), which holds the bounds and choices.
    """
    describe = _REQUIREMENTS.get(kind)
    return describe(ctx or {}) if describe else None


def own_message(error: Mapping[str, Any]) -> str | None:
    """The message a validator of nnconf's raised (``ValueError("...")``), or None if none did."""
    if error.get("type") not in _OWN_MESSAGES:
        return None
    raised = (error.get("ctx") or {}).get("error")
    return str(raised or "") or None


def either(requirements: list[str | None]) -> str | None:
    """Several requirements, any one of which would do: "should be an integer or a list".

    Alternatives without nnconf's words (None) are left out: the others say what the value may be.
    """
    unique = list(dict.fromkeys(text for text in requirements if text))
    if not unique:
        return None
    prefix = "should be "
    if all(text.startswith(prefix) for text in unique):
        return prefix + " or ".join(text.removeprefix(prefix) for text in unique)
    return " or ".join(unique)


def unknown_check(kind: str) -> str:
    """The words for an error type nnconf has none for, naming the type so that it can be looked up."""
    return f"is not accepted here (schema check {kind!r})"
