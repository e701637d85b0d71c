"""Checking a ``.keras`` file before Keras reads it: a zip archive whose members are of sensible size,
whose ``config.json`` is JSON of sensible depth, and (for a run's own models) which holds nothing but
Keras and nnconf objects.

Keras trusts the archive: a 2 MB file whose ``config.json`` expands to 2 GB took a minute and 4.8 GB
of memory to refuse, and a config nested 100 000 deep overflowed Python's stack. Here the sizes are
the ones the zip declares (Python's zipfile never reads past them), so refusing costs nothing.

No TensorFlow here.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator

import numpy as np

# Keras writes config.json and metadata.json of kilobytes, even for large models.
MEMBER_LIMITS = {"config.json": 16 * 2**20, "metadata.json": 2**20}
# Keras stores its members uncompressed; real data deflate a few times at most. A member that
# expands more than this (beyond its first mebibyte) is a zip bomb.
MAX_EXPANSION = 100
MAX_MEMBERS = 10_000
# Real configs nest a few dozen levels (a model in a wrapper in a model); Keras reads them recursively.
MAX_DEPTH = 100

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_OPENING = frozenset(b"[{")


class KerasFileError(Exception):
    """A ``.keras`` file that is not handed to Keras; the message says why in one line."""


def read_keras_config(path: str | Path) -> dict:
    """The model config (``config.json``) of a ``.keras`` file, read only after the archive's
    declared sizes and the JSON's nesting depth are found sensible.

    Raises:
        KerasFileError: for a file that is no zip archive with a config.json, a member too large
            for what it is, or a config.json that is not a JSON object of sensible depth.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members)
            config = _read_limited(archive, "config.json")
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, RuntimeError, NotImplementedError):
        # no zip, no config.json, damaged or encrypted data, an unknown compression method
        raise KerasFileError(f"{path.name} is not a valid .keras file (not a zip archive with a config.json)") from None
    depth = json_depth(config)
    if depth > MAX_DEPTH:
        raise KerasFileError(f"{path.name} is corrupt: its config.json nests {depth} levels deep "
                             f"(a Keras model's nests a few dozen; at most {MAX_DEPTH} are read)")
    try:
        parsed = json.loads(config)
    except ValueError:
        raise KerasFileError(f"{path.name} is corrupt: its config.json is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise KerasFileError(f"{path.name} is corrupt: its config.json is not a Keras model config")
    return parsed


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise KerasFileError(f"the archive holds {len(members)} files; a Keras model has a few")
    for member in members:
        limit = MEMBER_LIMITS.get(member.filename)
        if limit is not None and member.file_size > limit:
            raise KerasFileError(f"its {member.filename} would expand to {_size(member.file_size)}; a Keras "
                                 f"model's is far smaller (at most {_size(limit)} is read)")
        if member.file_size > 2**20 + MAX_EXPANSION * member.compress_size:
            raise KerasFileError(f"its {member.filename} would expand from {_size(member.compress_size)} to "
                                 f"{_size(member.file_size)}: a zip bomb, not a Keras model")


def _read_limited(archive: zipfile.ZipFile, name: str) -> bytes:
    """The member, never more than its limit however the archive lies about its size."""
    limit = MEMBER_LIMITS[name]
    with archive.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise KerasFileError(f"its {name} is larger than it says; a Keras model's is far smaller (at most "
                             f"{_size(limit)} is read)")
    return data


def json_depth(text: bytes) -> int:
    """How deep brackets nest in JSON ``text``, found without recursion: strings are cut out, then
    the running count of opening minus closing brackets peaks at the depth."""
    brackets = np.frombuffer(_NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", text)), dtype=np.uint8)
    if brackets.size == 0:
        return 0
    steps = np.where(np.isin(brackets, list(_OPENING)), 1, -1)
    return int(np.cumsum(steps).max())


def _size(count: int) -> str:
    for factor, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if count >= factor:
            return f"{count / factor:.1f} {unit}"
    return f"{count} bytes"


# --- what the config holds -----------------------------------------------------------------------


def python_code(config: dict) -> str | None:
    """Where the config holds Python code (a serialized lambda), which safe loading never runs; None
    where it holds none."""
    for entry, layer in _objects(config):
        if entry.get("class_name") == "__lambda__" or _is_dumped_function(entry):
            return f"Python code (a lambda) in {_where(layer)}, which nnconf never runs"
        if entry["class_name"] == "Lambda" and entry.get("module") == "keras.layers":
            return f"a Lambda layer ('{_name(entry)}'): Python code, which nnconf never runs"
    return None


def foreign_object(config: dict) -> str | None:
    """The first object in the config that is neither Keras's nor nnconf's (a custom class or
    function), which a model nnconf built never holds; None where there is none."""
    for entry, layer in _objects(config):
        if "module" not in entry or entry["class_name"].startswith("__"):
            continue  # Keras's own markers (__tuple__, __keras_tensor__, ...) and built-in names
        module, registered = entry.get("module"), entry.get("registered_name")
        if isinstance(module, str) and (module in ("keras", "builtins") or module.startswith("keras.")):
            continue
        if isinstance(registered, str) and registered.startswith("nnconf>"):
            continue
        named = f" (named '{_name(entry)}')" if _name(entry) != "?" else f" in {_where(layer)}"
        return f"the class {registered or entry['class_name']!r}{named}, which is neither Keras's nor nnconf's"
    return None


def _is_dumped_function(entry: dict) -> bool:
    """Keras's serialized lambda activation: ``{"value": [code, defaults, closure]}``."""
    value = entry.get("value")
    return len(entry) == 1 and isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)


def _objects(config: Any) -> Iterator[tuple[dict, str | None]]:
    """Every serialized object (a mapping with a class_name, or a dumped function) in the config,
    with the name of the layer it is in, walked without recursion."""
    stack: list[tuple[Any, str | None]] = [(config, None)]
    while stack:
        value, layer = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("class_name"), str):
                if value.get("module") == "keras.layers":
                    layer = _name(value)
                yield value, layer
            elif _is_dumped_function(value):
                yield value, layer
            stack.extend((item, layer) for item in reversed(value.values()))  # reversed: popped in order
        elif isinstance(value, list):
            stack.extend((item, layer) for item in reversed(value))


def _name(entry: dict) -> str:
    config = entry.get("config")
    return str(config.get("name")) if isinstance(config, dict) and config.get("name") else "?"


def _where(layer: str | None) -> str:
    return f"layer '{layer}'" if layer else "the model"


def check_run_model(path: str | Path) -> None:
    """Refuses, before Keras reads it, a run's model file that is damaged, oversized, or holds code
    or objects a model nnconf built never holds.

    Raises:
        KerasFileError: with the reason in one line.
    """
    config = read_keras_config(path)
    reason = python_code(config) or foreign_object(config)
    if reason:
        raise KerasFileError(f"it holds {reason}")
