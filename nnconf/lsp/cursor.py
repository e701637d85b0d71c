"""Where the cursor is in a config being typed: under which keys, in which mapping, typing what.

A config being edited is often not valid YAML at the moment completion is asked for (``units`` typed
on a line of its own, a flow mapping not yet closed), so this reads the lines themselves, by their
indentation and brackets, the way a person does; it understands the block and flow styles configs
are written in, one flow collection per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ITEM = "-"  # stands in a path for "an item of this sequence"

_LINE = re.compile(r"^( *)(- +)?(.*?)\s*$")
_KEY = re.compile(r"^([A-Za-z_][\w.\-]*)\s*:(?:\s+(.*)|$)")
_PAIRS = re.compile(r"([A-Za-z_][\w.\-]*)\s*:\s*([^,{}\[\]]*)")


@dataclass
class Cursor:
    """What is being typed at the cursor.

    Args:
        path: the keys from the top of the document to the mapping or sequence being typed in,
            ``-`` standing for a sequence item, e.g. ``['model', 'layers', '-']`` inside a layer.
        key: the key whose value is being typed; None when a key itself is being typed.
        item: whether the value is an item of the sequence under ``key`` (``metrics: [acc|``).
        siblings: the other keys of the mapping being typed in, with their values as written
            (``{'type': 'Dense'}``), so that a layer's arguments can be offered by its type.
        word: what has been typed of the current key or value.
        after_colon: the cursor follows a colon directly, so a value needs a space before it.
    """

    path: list[str]
    key: str | None = None
    item: bool = False
    siblings: dict[str, str] = field(default_factory=dict)
    word: str = ""
    after_colon: bool = False


def cursor_at(text: str, line: int, character: int) -> Cursor:
    """What is being typed at (``line``, ``character``), both 0-based, in code points."""
    lines = text.splitlines() or [""]
    current = lines[line] if line < len(lines) else ""
    before = _without_comment(current[:character])
    indent, dash, body = _split(before)
    column = indent + dash
    # On a line starting with a dash the mapping starts here, an item of the sequence above.
    path, siblings = _block_path(lines, line, column, indent if dash else None)
    flow = _flow(body)
    if flow is not None:
        keys, cursor = flow
        cursor.path = path + keys
        cursor.after_colon = before.endswith(":")
        return cursor
    siblings.update(_siblings_below(lines, line, column))
    match = _KEY.match(body)
    if match:
        return Cursor(path, match[1], siblings=siblings, word=(match[2] or "").strip(),
                      after_colon=before.endswith(":"))
    if dash and len(path) >= 2 and _is_scalar_list(path[:-1]):
        return Cursor(path[:-2], path[-2], item=True, word=body)  # ``metrics:`` then ``- acc``
    return Cursor(path, siblings=siblings, word=body)


def _split(text: str) -> tuple[int, int, str]:
    match = _LINE.match(text)
    return len(match[1]), len(match[2] or ""), match[3]


def _without_comment(text: str) -> str:
    found = re.search(r"(^|\s)#", text)
    return text[:found.start()] if found else text


def _parsed(line: str) -> tuple[int, int, str | None, str | None] | None:
    """Indentation, dash width, key and value of a line; None for a blank or comment line."""
    text = _without_comment(line)
    if not text.strip():
        return None
    indent, dash, body = _split(text)
    match = _KEY.match(body)
    return indent, dash, match[1] if match else None, (match[2] or "").strip() if match else None


def _block_path(lines: list[str], line: int, column: int, dash_column: int | None) -> tuple[list[str], dict]:
    """The keys leading to the block mapping whose keys sit at ``column`` on ``line`` (an item of a
    sequence whose dashes sit at ``dash_column``, if given), and the keys above it in that mapping."""
    path: list[str] = []
    siblings: dict[str, str] = {}
    innermost = True
    for number in range(line - 1, -1, -1):
        parsed = _parsed(lines[number])
        if parsed is None:
            continue
        indent, dash, key, value = parsed
        content = indent + dash
        if dash_column is not None:  # looking for the key that owns the sequence
            if dash and indent == dash_column or content > dash_column:
                continue  # an earlier item of the same sequence, or inside one
            if key is None or value:
                break
            path[:0] = [key, ITEM]
            column, dash_column, innermost = content, (indent if dash else None), False
            continue
        if content > column:
            continue
        if content == column:
            if innermost and key:
                siblings.setdefault(key, value or "")
            if dash:
                dash_column = indent  # this line starts the mapping, an item of a sequence
            continue
        if key is None or value:
            break
        path.insert(0, key)
        column, innermost = content, False
        if dash:
            dash_column = indent
    return path, siblings


def _siblings_below(lines: list[str], line: int, column: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in lines[line + 1:]:
        parsed = _parsed(text)
        if parsed is None:
            continue
        indent, dash, key, value = parsed
        if indent + dash < column or dash and indent + dash == column:
            break
        if indent + dash == column and key:
            found.setdefault(key, value or "")
    return found


def _flow(body: str) -> tuple[list[str], Cursor] | None:
    """Inside a flow collection opened on this line: the keys into it, and what is typed there."""
    openings: list[tuple[str, int]] = []
    for index, char in enumerate(body):
        if char in "{[":
            openings.append((char, index))
        elif char in "}]" and openings:
            openings.pop()
    if not openings:
        return None
    keys: list[str] = []
    for depth, (bracket, start) in enumerate(openings):
        owner = _KEY.match(_segment(body[:start], openings[depth - 1][1] + 1 if depth else 0).lstrip() + " ")
        if owner:
            keys.append(owner[1])
        elif depth:
            keys.append(ITEM)  # a mapping inside a list: [{name: auc, ...}]
    bracket, start = openings[-1]
    segment = _segment(body, start + 1)
    if bracket == "[":
        key = keys.pop() if keys else None
        return keys, Cursor([], key, item=True, word=segment.strip())
    siblings = {name: value.strip() for name, value in _PAIRS.findall(body[start + 1:])}
    match = _KEY.match(segment.lstrip())
    if match:
        siblings.pop(match[1], None)
        return keys, Cursor([], match[1], siblings=siblings, word=(match[2] or "").strip())
    word = segment.strip()
    siblings.pop(word, None)
    return keys, Cursor([], None, siblings=siblings, word=word)


def _segment(text: str, start: int) -> str:
    """The text from ``start`` after the last comma at the same bracket depth."""
    depth, last = 0, start
    for index in range(start, len(text)):
        char = text[index]
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 0:
            last = index + 1
    return text[last:]


def _is_scalar_list(path: list[str]) -> bool:
    """Sequences whose items are names rather than mappings (``metrics:``, a layer's ``inputs:``)."""
    return path[-1] in ("metrics", "inputs", "ignore", "outputs") or len(path) >= 2 and path[-2] == "metrics"
