"""Problems as data: one finding type shared by validate, lint, build and train."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Edit:
    """One change to a config file, addressed by config path.

    Args:
        path: where, e.g. ``('loss', 'from_logits')``.
        value: the new value, as plain YAML data (ignored when removing).
        action: ``set`` a key or list item (a spec written as a bare name, ``loss: mse``, becomes a
            mapping ``{name: mse, ...}`` to take a key), ``insert`` a list item before the index that
            ends ``path``, or ``remove`` a key or list item.
    """

    path: tuple
    value: Any = None
    action: str = "set"


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding.

    Args:
        title: what it does, in a few words (an editor shows it as the action's name).
        edits: the changes, applied in order.
        safe: whether it certainly keeps what the config means while removing the problem; only safe
            fixes are applied by ``nnconf lint --fix``, the others are offered.
    """

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    """One thing found wrong, located as precisely as the source allows.

    Args:
        rule: stable code, e.g. ``NN002`` for a schema error or ``NN101`` for a lint rule.
        message: what is wrong, in one sentence.
        path: the config path, e.g. ``model.layers[2].units`` (empty for the whole file).
        severity: error, warning or info.
        hint: how to fix it, or None.
        file: the file (or ``--set`` expression) it comes from.
        line, column: 1-based position of the offending value, when known.
        fixes: the changes that would resolve it, if any (not part of a finding's identity).
    """

    rule: str
    message: str
    path: str = ""
    severity: Severity = Severity.ERROR
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    fixes: tuple[Fix, ...] = field(default=(), compare=False, repr=False)

    def located(self, file: str | None, line: int | None, column: int | None) -> Finding:
        return replace(self, file=file, line=line, column=column)

    @property
    def location(self) -> str:
        parts = [self.file or "<config>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not self.fixes:
            del data["fixes"]
        return data

    def format(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        text = f"{self.location}: {self.severity.value} {self.rule} {self.message}{where}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def sort_key(finding: Finding) -> tuple:
    return (finding.file or "", finding.line or 0, finding.column or 0, finding.rule)


class ConfigError(Exception):
    """Raised by the Python API when a config has errors; carries every finding."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings, key=sort_key)
        super().__init__("\n".join(f.format() for f in self.findings))
