"""Where each value of a config came from: a file position or a --set override."""

from dataclasses import dataclass, field

Path = tuple  # of str keys and int indices


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
                return f"--set {self.overrides[prefix]}", None, None
            table = self.keys if key and depth == len(path) and prefix in self.keys else self.values
            if prefix in table:
                line, column = table[prefix]
                return self.file, line, column
        return self.file, None, None
