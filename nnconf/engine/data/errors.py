"""How data problems are told: DataError, where its findings point, and values and paths in words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnconf import codes
from nnconf.config.model import Config
from nnconf.config.source import SourceMap, format_path
from nnconf.findings import Finding, Severity, sort_key


class DataError(Exception):
    """The data cannot be used: each finding (code NN007, severity error) says why and where."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings, key=sort_key)
        super().__init__("\n".join(f.format() for f in self.findings))


@dataclass
class Where:
    """Where data findings point: a config path located through the source map (or a data file)."""

    source: SourceMap

    def error(self, path: tuple, message: str, hint: str | None = None) -> DataError:
        file, line, column = self.source.locate(path)
        return DataError([Finding(codes.DATA, message, path=format_path(path), severity=Severity.ERROR, hint=hint,
                                  file=file, line=line, column=column)])


def file_where(path: Path) -> Where:
    """Findings about a file given on the command line (not a config) point at the file."""
    return Where(SourceMap(file=str(path)))


def data_path(config: Config) -> tuple:
    """The config path that stands for the data itself: its file, or its source."""
    return ("data", "path") if getattr(config.data, "path", None) else ("data", "source")


def quoted(path: Path | str, limit: int = 160) -> str:
    """A path quoted for a message: a very long one by its start and end."""
    text = str(path)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit // 2] + '...' + text[-limit // 4:]!r} ({len(text)} characters)"


def count_of(names: list[str], what: str) -> str:
    shown = ", ".join(repr(n) for n in names if n)
    return f"{len(names)} {what}{'s' if len(names) != 1 else ''}" + (f" ({shown})" if shown else "")


def number(value) -> str:
    """A label value as written: 3, 0.25, 3e+10, 1e+300 (never a cast's wrapped-around integer)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"


def byte_size(count: int) -> str:
    """A byte count for people: 48 bytes, 1.5 MiB, 14.6 TiB."""
    if count < 1024:
        return f"{count} byte{'s' if count != 1 else ''}"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024:
            break
    return f"{value:.1f} {unit}"
