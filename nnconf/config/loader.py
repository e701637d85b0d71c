"""Safe, strict YAML loading that remembers the position of every key and value.

PyYAML only composes the node graph here; nnconf turns nodes into plain Python values itself, so:
- no tag can construct a Python object (only the core YAML tags are accepted);
- scalars follow YAML 1.2's core schema: ``1e-3`` is a float and ``yes``/``no``/``on``/``off``
  stay strings;
- a duplicate key is an error at its second occurrence, and a key is a plain name: a null key
  (``~: 3``) or a tagged one (``!!str a: 1``) is an error, never silently dropped or re-read;
- hostile input (alias bombs, deep nesting, huge or binary files, several documents, integers of
  thousands of digits) is refused with one finding in nnconf's own words instead of a hang or a
  traceback: the work done is bounded by the size and value limits below, not by a clock.
"""

import math
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from nnconf import codes
from nnconf.config.source import Path, SourceMap, abbreviate, format_path
from nnconf.findings import Finding

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 64
# The largest keras.applications model, EfficientNetV2L (1,031 layers), imports to 14,865 values (compact,
# as `nnconf import` writes it); written with every default, a 500-layer model has about 18,000.
MAX_VALUES = 20_000
# Beyond the largest float no number means anything in a config (sizes and seeds are int64, rates are
# floats); refusing it also keeps Python's slow, length-limited integer parsing away from hostile digits.
MAX_NUMBER = int(sys.float_info.max)
_MAX_DIGITS = {base: len(f"{MAX_NUMBER:{spec}}") for base, spec in ((10, "d"), (16, "x"), (8, "o"))}

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}


class _Core12Resolver(BaseResolver):
    """YAML 1.2 core schema: what people mean by ``1e-3``, ``yes`` and ``0755``."""

    yaml_implicit_resolvers: dict = {}


_Core12Resolver.add_implicit_resolver(
    _CORE + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Core12Resolver.add_implicit_resolver(
    _CORE + "int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Core12Resolver.add_implicit_resolver(
    _CORE + "float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Core12Resolver.add_implicit_resolver(_CORE + "null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Core12Resolver.add_implicit_resolver(_CORE + "merge", re.compile(r"^<<$"), ["<"])


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark):
        self.mark = mark


class _TooMany(Exception):
    def __init__(self, mark: yaml.Mark):
        self.mark = mark


class _UndefinedAlias(Exception):
    def __init__(self, event: AliasEvent):
        self.anchor, self.mark = event.anchor, event.start_mark


class _DepthLimit:
    """Counts nesting and nodes (aliases included) while composing, so a document nested thousands
    deep or holding a huge number of values is refused as soon as it crosses the limit. It also marks
    the nodes written with an explicit tag (``explicit_tag``), which PyYAML's nodes do not tell apart
    from resolved ones, so that a tag on a key can be refused."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        self._depth += 1
        self._nodes += 1
        try:
            event = self.peek_event()
            if self._depth > MAX_DEPTH:
                raise _TooDeep(event.start_mark)
            if self._nodes > MAX_VALUES:
                raise _TooMany(event.start_mark)
            if isinstance(event, AliasEvent) and event.anchor not in self.anchors:
                raise _UndefinedAlias(event)
            node = Composer.compose_node(self, parent, index)
            if isinstance(event, NodeEvent) and not isinstance(event, AliasEvent):
                node.explicit_tag = getattr(event, "tag", None) not in (None, "!")
            return node
        finally:
            self._depth -= 1


class _PythonLoader(_DepthLimit, Reader, Scanner, Parser, Composer, _Core12Resolver):
    """Builds the node graph only: nothing is constructed, so nothing can execute."""

    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Core12Resolver.__init__(self)


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _LibyamlLoader(_DepthLimit, CParser, Composer, _Core12Resolver):
        """libyaml scans and parses (several times faster); composing stays in Python, as above."""

        def __init__(self, text: str):
            CParser.__init__(self, text)
            Composer.__init__(self)
            _Core12Resolver.__init__(self)

    _ComposingLoader = _LibyamlLoader
else:
    _ComposingLoader = _PythonLoader

@dataclass
class LoadedYaml:
    """Plain Python data (dicts, lists, scalars), where each piece came from, and what went wrong."""

    data: Any
    source: SourceMap
    findings: list[Finding] = field(default_factory=list)


def load_file(path: str | FsPath) -> LoadedYaml:
    """Read and load one YAML config file; problems come back as findings, never exceptions."""
    name = str(path)
    source = SourceMap(file=name)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe would block, a device never end
            return LoadedYaml(None, source, [_finding("not a regular file", name)])
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # enough to tell that it is too large
    except OSError as exc:
        return LoadedYaml(None, source, [_finding(f"cannot read the file: {exc.strerror or exc}", name)])
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str | None = None) -> LoadedYaml:
    source = SourceMap(file=name)
    if len(raw) > MAX_FILE_BYTES:
        return LoadedYaml(None, source, [_finding(
            f"the file is over {MAX_FILE_BYTES // 1024} KiB; a config may be at most {MAX_FILE_BYTES // 1024} KiB",
            name, hint="is this really a model config? Large arrays belong in data files, not in the config",
        )])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return LoadedYaml(None, source, [_finding(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", name, line,
        )])
    return load_text(text, name)


def load_text(text: str, name: str | None = None, *, require_mapping: bool = True) -> LoadedYaml:
    source = SourceMap(file=name)
    try:
        node = _compose_single(text)
    except _Problem as problem:
        return LoadedYaml(None, source, [_finding(problem.message, name, *problem.position, hint=problem.hint)])
    if node is None:
        if not require_mapping:
            return LoadedYaml(None, source)
        return LoadedYaml(None, source, [_finding(
            "the file is empty", name, 1, 1, hint="start from one of the configs in configs/",
        )])
    if require_mapping and not isinstance(node, MappingNode):
        return LoadedYaml(None, source, [_finding(
            f"the top level of a config must be a mapping of keys (name, model, loss, ...), found {_kind(node)}",
            name, *_pos(node.start_mark),
        )])
    converter = _Converter(source)
    data = converter.convert(node, ())
    return LoadedYaml(data, source, converter.findings)


class _Problem(Exception):
    def __init__(self, message: str, position: tuple = (None, None), hint: str | None = None):
        self.message, self.position, self.hint = message, position, hint


def _compose_single(text: str) -> Node | None:
    loader = None
    try:
        loader = _ComposingLoader(text)
        loader.get_event()  # StreamStart
        node = None if loader.check_event(yaml.StreamEndEvent) else loader.compose_document()
        if not loader.check_event(yaml.StreamEndEvent):
            raise _Problem(
                "the file holds more than one YAML document; a config is exactly one",
                _pos(loader.peek_event().start_mark),
                hint="remove the extra '---' separator, or split the documents into separate files",
            )
        return node
    except _TooDeep as exc:
        raise _too_deep(exc.mark) from None
    except _TooMany as exc:
        raise _Problem(f"the document has more than {MAX_VALUES} values; a model config has far fewer",
                       _pos(exc.mark), hint="large arrays belong in data files, not in the config") from None
    except _UndefinedAlias as exc:
        anchor = abbreviate(exc.anchor)
        raise _Problem(f"the alias *{anchor} refers to no anchor: &{anchor} is not defined before it",
                       _pos(exc.mark), hint=f"mark the value to repeat with &{anchor} before using *{anchor}") \
            from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise _Problem(f"the file holds a character YAML does not allow (#x{exc.character:04x}); "
                       "is it a binary file?", (line, column)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        deep = _nesting_beyond_limit(text, mark.index + 1 if mark else len(text))
        if deep is not None:  # the parser stopped at a nesting limit of its own, past nnconf's
            raise _too_deep(deep) from None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        raise _Problem(f"YAML syntax error: {detail}", _pos(mark) if mark else (None, None)) from None
    except yaml.YAMLError as exc:
        raise _Problem(f"the file is not readable as YAML: {exc}") from None
    except UnicodeEncodeError:  # a lone surrogate: a byte that was not UTF-8, passed on as text
        raise _Problem("the text holds characters that are not valid Unicode (a byte that is not UTF-8?)") from None
    except RecursionError:
        raise _too_deep(None) from None
    finally:
        if loader is not None:
            loader.dispose()


def _too_deep(mark: yaml.Mark | None) -> _Problem:
    return _Problem(f"values are nested more than {MAX_DEPTH} levels deep", _pos(mark) if mark else (None, None),
                    hint="a model config nests a few levels; is a bracket or an indentation repeated?")


class _TokenScanner(Reader, Scanner):
    """PyYAML's pure-Python scanner: tokens only, with no nesting limit of its own."""

    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)


_OPENING = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
            yaml.FlowSequenceStartToken)
_CLOSING = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _nesting_beyond_limit(text: str, end: int) -> yaml.Mark | None:
    """Where ``text[:end]`` first nests collections more than MAX_DEPTH deep, or None.

    libyaml looks ahead up to a kilobyte for a possible key and refuses, in its own words, flow
    collections nested a thousand deep before nnconf's composer sees the first of them. Its error
    marks where it stopped, so the nesting before that point tells whether it is nnconf's limit that
    was crossed; scanning stops at that limit, so this is cheap."""
    scanner = _TokenScanner(text[:end])
    depth = 0  # the top collection's start token makes the first level, as in _DepthLimit
    try:
        while not scanner.check_token(yaml.StreamEndToken):
            token = scanner.get_token()
            if isinstance(token, _OPENING):
                depth += 1
                if depth > MAX_DEPTH:
                    return token.start_mark
            elif isinstance(token, _CLOSING):
                depth -= 1
    except yaml.YAMLError:  # the text cut at the error point need not scan to its end
        return None
    return None


class _Converter:
    """Turns composed nodes into Python values, recording positions and problems on the way."""

    def __init__(self, source: SourceMap):
        self.source = source
        self.findings: list[Finding] = []
        self._budget = MAX_VALUES
        self._open: set[int] = set()  # the collections being converted: one met again is a recursive alias

    def convert(self, node: Node, path: Path) -> Any:
        self._budget -= 1
        if self._budget < 0:
            if self._budget == -1:
                self._report(node, path, "the document expands to more than "
                             f"{MAX_VALUES} values (an alias bomb?)", hint="use fewer or smaller aliases")
            return None
        self.source.values.setdefault(path, _pos(node.start_mark))
        if node.tag not in _ALLOWED_TAGS:
            self._report(node, path, f"the tag {node.tag!r} is not allowed: nnconf configs are plain data and never "
                         "construct objects or run code", hint="remove the tag")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._open:
            self._report(node, path, "an alias refers to a value that contains it (a recursive alias)",
                         hint="YAML aliases may repeat a value, not nest it inside itself")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: Path) -> dict:
        result: dict = {}
        explicit: set = set()
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                merged.extend(self._merge_sources(value_node, path))
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in explicit:
                first_line = self.source.keys[path + (key,)][0]
                self._report(key_node, path + (key,), f"duplicate key {key!r} (first defined on line {first_line})",
                             hint="remove one of them; YAML would silently keep only the last")
                continue
            explicit.add(key)
            self.source.keys[path + (key,)] = _pos(key_node.start_mark)
            self.source.values[path + (key,)] = _pos(value_node.start_mark)
            result[key] = self.convert(value_node, path + (key,))
        for key_node, value_node in merged:  # '<<' fills in only the keys not given explicitly
            key = self._key(key_node, path)
            if key is not None and key not in result:
                self.source.keys[path + (key,)] = _pos(key_node.start_mark)
                self.source.values[path + (key,)] = _pos(value_node.start_mark)
                result[key] = self.convert(value_node, path + (key,))
        return result

    def _merge_sources(self, node: Node, path: Path) -> list[tuple[Node, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        pairs = []
        for source in sources:
            if not isinstance(source, MappingNode):
                self._report(source, path, "a '<<' merge takes a mapping or a list of mappings")
                continue
            pairs.extend(source.value)
        return pairs

    def _key(self, node: Node, path: Path) -> Any:
        """The key a node names, or None (reported) when it is no plain name."""
        if not isinstance(node, ScalarNode):
            self._report(node, path, f"a key must be a plain name, found {_kind(node)}")
            return None
        if getattr(node, "explicit_tag", False):
            if node.tag in _ALLOWED_TAGS:
                self._report(node, path, f"the key {abbreviate(node.value)!r} has a tag ({node.tag.replace(_CORE, '!!')}); "
                             "a key is a plain name", hint="remove the tag")
            else:
                self._report(node, path, f"the tag {node.tag!r} is not allowed: nnconf configs are plain data and "
                             "never construct objects or run code", hint="remove the tag")
            return None
        key = self._scalar(node, path)
        if key is None and node.tag == _CORE + "null":
            written = node.value or "an empty key"
            self._report(node, path, f"a key must be a plain name, found null ({written})",
                         hint=f"quote it ('{node.value}': ...) if the name is meant" if node.value else "name the key")
        return key

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        value, tag = node.value, node.tag[len(_CORE):]
        try:
            if tag == "null":
                return None
            if tag == "bool":
                return value.lower() == "true"
            if tag == "int":
                return _integer(value)
            if tag == "float":
                return _float(value)
        except _TooLarge:
            self._report(node, path, f"integer too large: {abbreviate(value)}",
                         hint=f"numbers in a config stay below about {float(MAX_NUMBER):.1e} (sizes and seeds far below)")
            return None
        except ValueError:
            self._report(node, path, f"{abbreviate(value)!r} is not a valid {tag}")
            return None
        return value

    def _report(self, node: Node, path: Path, message: str, hint: str | None = None) -> None:
        line, column = _pos(node.start_mark)
        self.findings.append(Finding(codes.YAML, message, path=format_path(path), hint=hint, file=self.source.file,
                                     line=line, column=column))


class _TooLarge(ValueError):
    pass


def _integer(text: str) -> int:
    """A YAML 1.2 integer (decimal, 0x hexadecimal or 0o octal); _TooLarge beyond MAX_NUMBER, found by
    counting digits before converting, so that thousands of digits cost no quadratic conversion."""
    sign = -1 if text.startswith("-") else 1
    unsigned = text.lstrip("+-")
    base = {"0x": 16, "0o": 8}.get(unsigned[:2], 10)
    digits = (unsigned[2:] if base != 10 else unsigned).lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS[base]:
        raise _TooLarge(text)
    number = int(digits, base)  # ValueError for what is no integer (!!int abc)
    if number > MAX_NUMBER:
        raise _TooLarge(text)
    return sign * number


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


def _finding(message: str, file: str | None, line: int | None = None, column: int | None = None,
             hint: str | None = None) -> Finding:
    return Finding(codes.YAML, message, hint=hint, file=file, line=line, column=column)
