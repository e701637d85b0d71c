"""Where each value of a config came from: a file position or a --set override."""

import string
from dataclasses import dataclass, field

Path = tuple  # of str keys and int indices

_SHOWN_CHARACTERS = 60  # of an offending value quoted in a message
_SHOWN_EXPRESSION = 100  # of a --set expression named as the place of a finding


def abbreviate(text: str, limit: int = _SHOWN_CHARACTERS) -> str:
    """``text`` as a message quotes it: in full when short; otherwise its start and end and how long it
    is (``12345678...23456789 (100000 digits)``), so a hostile value cannot flood the output."""
    if len(text) <= limit:
        return text
    unsigned = text.lstrip("+-")
    digits = unsigned[2:] if unsigned[:2] in ("0x", "0o") else unsigned
    is_number = digits.isdigit() or unsigned.startswith("0x") and all(c in string.hexdigits for c in digits)
    unit = "digits" if is_number else "characters"
    counted = len(digits) if is_number else len(text)
    keep = max(1, (limit - 20) // 2)
    return f"{text[:keep]}...{text[-keep:]} ({counted} {unit})"


def shown_expression(expression: str) -> str:
    """A ``--set`` expression as messages show it: bytes that were not UTF-8 (lone surrogates) escaped,
    and a long expression abbreviated."""
    escaped = expression.encode("utf-8", "backslashreplace").decode("utf-8")
    return abbreviate(escaped, _SHOWN_EXPRESSION)


def override_label(expression: str) -> str:
    """How findings name the ``--set`` expression they come from (in place of a file)."""
    return "--set " + shown_expression(expression)


def format_path(path: Path) -> str:
    """``('model', 'layers', 2, 'units')`` -> ``model.layers[2].units``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class SourceMap:
    """Positions of the values and keys of one loaded config, keyed by config path.

    Lines and columns are 1-based. A path set by an override points at the override instead.
    """

    file: str | None = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    overrides: dict[Path, str] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[str | None, int | None, int | None]:
        """File, line and column of ``path``, falling back to its nearest located ancestor."""
        for depth in range(len(path), -1, -1):
            prefix = tuple(path[:depth])
            if prefix in self.overrides:
                return override_label(self.overrides[prefix]), None, None
            table = self.keys if key and depth == len(path) and prefix in self.keys else self.values
            if prefix in table:
                line, column = table[prefix]
                return self.file, line, column
        return self.file, None, None
