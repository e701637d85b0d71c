"""Applying the fixes that findings carry, to the YAML text, keeping its comments, order and layout.

ruamel.yaml round-trips the text (it keeps comments, key order, flow or block style and quoting);
nnconf's own loader then reads the result back, and a fix is kept only if the file now says exactly
what the edits meant to say: an anchor shared by two places, for one, would change both, and is
refused. Fixes are applied one at a time, linting again after each, so every fix sees the config
as it is then (an inserted layer moves the ones after it). No TensorFlow here.
"""

from __future__ import annotations

import copy
import difflib
import io
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from nnconf.analysis.pipeline import check_text, lint_report
from nnconf.config.loader import MAX_FILE_BYTES, load_text
from nnconf.config.source import format_path
from nnconf.findings import Edit, Finding, Fix

# A fix that creates a finding whose fix undoes it would loop; no config needs anywhere near this many.
MAX_FIXES = 100


class FixError(Exception):
    """A fix cannot be applied to this text; the message says why."""


@dataclass
class FixOutcome:
    """What ``fix_text`` did.

    Args:
        text: the fixed text (the original where nothing applied).
        applied: each safe fix applied, with the finding it resolved, in order.
        offered: the fixes that are not safe, left for a person to choose, with their findings.
        refused: safe fixes that could not be applied, with the reason.
        original: the text before any fix.
    """

    text: str
    original: str = ""
    applied: list[tuple[Finding, Fix]] = field(default_factory=list)
    offered: list[tuple[Finding, Fix]] = field(default_factory=list)
    refused: list[tuple[Finding, Fix, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_text(text: str, name: str | None = None, *, select: Sequence[str] = (),
             ignore: Sequence[str] = ()) -> FixOutcome:
    """``text`` with every safe fix of its lint findings applied, one after another."""
    outcome = FixOutcome(text, text)
    refused: set[tuple[str, str, str]] = set()
    seen = {text}
    for _ in range(MAX_FIXES):
        findings = lint_report(check_text(outcome.text, name=name), select=select, ignore=ignore).findings
        candidates = [(finding, fix) for finding in findings for fix in finding.fixes
                      if fix.safe and _identity(finding, fix) not in refused]
        if not candidates:
            outcome.offered = [(finding, fix) for finding in findings for fix in finding.fixes if not fix.safe]
            return outcome
        finding, fix = candidates[0]
        try:
            fixed = apply_fix(outcome.text, fix)
        except FixError as problem:
            refused.add(_identity(finding, fix))
            outcome.refused.append((finding, fix, str(problem)))
            continue
        if fixed in seen:  # the fix undoes an earlier one: stop rather than go round
            refused.add(_identity(finding, fix))
            outcome.refused.append((finding, fix, "it would undo an earlier fix"))
            continue
        seen.add(fixed)
        outcome.text = fixed
        outcome.applied.append((finding, fix))
    return outcome


def fix_file(path: str | Path, *, write: bool, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> FixOutcome:
    """Fixes one config file; with ``write``, replaces it atomically when something changed.

    A symbolic link is followed to the file it names, which is the one rewritten (with its
    permissions); anything but a regular file is refused.
    """
    real = Path(os.path.realpath(path))
    status = real.stat()
    if not stat.S_ISREG(status.st_mode):
        raise FixError(f"{path} is not a regular file")
    raw = real.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        return FixOutcome("", "")  # too large to be a config: lint says so, there is nothing to fix
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return FixOutcome("", "")  # not UTF-8: lint reports it; there is nothing to fix
    outcome = fix_text(text, str(path), select=select, ignore=ignore)
    if write and outcome.changed:
        _replace(real, outcome.text.encode("utf-8"), stat.S_IMODE(status.st_mode))
    return outcome


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Writes ``path`` through a temporary file in its folder, renamed over it: never half a file.

    Like nnconf.engine.files.write_bytes_atomically, which this floor cannot import, except that the
    file keeps its own permissions (a private config stays private) from the first byte.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def diff(outcome: FixOutcome, name: str) -> str:
    """The change as a unified diff (empty when nothing changed)."""
    return "".join(difflib.unified_diff(outcome.original.splitlines(keepends=True),
                                        outcome.text.splitlines(keepends=True), f"a/{name}", f"b/{name}"))


def _identity(finding: Finding, fix: Fix) -> tuple[str, str, str]:
    return finding.rule, finding.path, fix.title


def apply_fix(text: str, fix: Fix) -> str:
    """``text`` with ``fix``'s edits made; FixError if they cannot be made exactly."""
    loaded = load_text(text)
    if loaded.data is None or loaded.findings:
        raise FixError("the file does not load cleanly")
    yaml = _round_trip(text)
    try:
        document = yaml.load(text)
    except YAMLError as error:
        raise FixError(f"the file cannot be read for editing ({error.__class__.__name__})") from None
    expected = copy.deepcopy(loaded.data)
    for edit in fix.edits:
        _edit(document, edit, _editable)
        _edit(expected, edit, _plain)
    fixed = _dumped(yaml, document, text)
    reloaded = load_text(fixed)
    if reloaded.findings or reloaded.data != expected:
        raise FixError("the edit would change more than it should (an anchor or alias shares the value)")
    return fixed


# --- editing a document, round-trip or plain ---------------------------------------------------


def _edit(document: Any, edit: Edit, convert) -> None:
    """Make one edit in ``document`` (ruamel's round-trip data or plain data, as ``convert`` makes values)."""
    if not edit.path:
        raise FixError("an edit needs a path")
    *where, last = edit.path
    parent, holder, key = _find(document, tuple(where))
    if edit.action == "insert":
        _require(isinstance(parent, list) and isinstance(last, int) and 0 <= last <= len(parent), edit)
        parent.insert(last, convert(edit.value))
    elif edit.action == "remove":
        _require(_has(parent, last), edit)
        del parent[last]
    elif edit.action == "set":
        if isinstance(parent, str) and isinstance(last, str) and holder is not None:
            # A spec written by name (``loss: mse``) becomes a mapping to take an argument.
            holder[key] = convert(edit.value if last == "name" else {"name": parent, last: edit.value})
            return
        _require(isinstance(parent, dict) and isinstance(last, str) or _has(parent, last), edit)
        parent[last] = convert(edit.value)
    else:
        raise FixError(f"unknown edit action {edit.action!r}")


def _find(document: Any, path: tuple) -> tuple[Any, Any, Any]:
    """The value at ``path``, the container holding it, and its key there."""
    holder, key, current = None, None, document
    for part in path:
        if not _has(current, part):
            raise FixError(f"{format_path(path)} is not written in the file")
        holder, key, current = current, part, current[part]
    return current, holder, key


def _has(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    if isinstance(container, list):
        return isinstance(key, int) and 0 <= key < len(container)
    return False


def _require(condition: bool, edit: Edit) -> None:
    if not condition:
        raise FixError(f"{format_path(edit.path)} cannot be {edit.action} in this file")


def _plain(value: Any) -> Any:
    return copy.deepcopy(value)


def _editable(value: Any) -> Any:
    """A value as ruamel writes it inline: new mappings and lists in flow style, ``{name: x, ...}``."""
    if isinstance(value, dict):
        mapping = CommentedMap((key, _editable(item)) for key, item in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        sequence = CommentedSeq(_editable(item) for item in value)
        sequence.fa.set_flow_style()
        return sequence
    return value


# --- reading and writing the text as it is laid out ---------------------------------------------


def _round_trip(text: str) -> YAML:
    """A round-trip YAML that writes with the text's own indentation."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never wrap a long line the file did not wrap
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _indentation(text: str) -> tuple[int, int, int]:
    """The mapping indent, the sequence indent and the dash's offset within it, as ``text`` uses them."""
    mapping = sequence = offset = None
    parent: int | None = None  # indentation of the last line that was a key alone (``layers:``)
    for line in text.splitlines():
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        indent = len(line) - len(content)
        if parent is not None and indent > parent:
            if content.startswith("- ") and sequence is None:
                offset = indent - parent
                sequence = offset + 2 + len(content[2:]) - len(content[2:].lstrip(" "))
            elif not content.startswith("-") and mapping is None:
                mapping = indent - parent
        parent = indent if re.match(r"^[^#{\[]*:\s*(#.*)?$", content) else None
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    return mapping, sequence or mapping, offset or 0


def _dumped(yaml: YAML, document: Any, original: str) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    text = stream.getvalue()
    if not original.endswith("\n"):
        text = text.rstrip("\n")
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    return text
