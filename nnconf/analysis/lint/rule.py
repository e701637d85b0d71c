"""What a lint rule is: a code, a name, a severity, its documentation and examples, and a check.

Each rule is one small class. Its docstring is the user documentation (what it does, why it is bad,
what to do instead); ``failing`` and ``fixed`` are whole configs that the tests lint, so every rule
is shown to fire on its failing example and stay quiet on its fixed one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import ClassVar

from nnconf.analysis.lint.context import LintContext
from nnconf.config.source import Path, format_path
from nnconf.findings import Edit, Finding, Fix, Severity

REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    code: ClassVar[str]  # NNxyz: x is the family (1 outputs and losses, 2 architecture, 3 initialization
    # and regularization, 4 optimizer, 5 data); codes are stable once released
    name: ClassVar[str]  # short kebab-case name
    severity: ClassVar[Severity]
    failing: ClassVar[str]  # a config this rule reports
    fixed: ClassVar[str]  # the same config, corrected
    enabled_by_default: ClassVar[bool] = True  # design smells are opt-in with --select

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code in REGISTRY:
            raise ValueError(f"two lint rules share the code {cls.code}")
        REGISTRY[cls.code] = cls

    def check(self, context: LintContext) -> Iterator[Finding]:
        raise NotImplementedError

    def problem(self, context: LintContext, path: Path, message: str, hint: str | None = None,
                severity: Severity | None = None, fixes: tuple[Fix, ...] = ()) -> Finding:
        file, line, column = context.source.locate(path)
        return Finding(self.code, message, path=format_path(path), severity=severity or self.severity,
                       hint=hint, file=file, line=line, column=column, fixes=fixes)

    @classmethod
    def summary(cls) -> str:
        return inspect.getdoc(cls).splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        return inspect.getdoc(cls)


def setting(path: Path, value, *, safe: bool = True, title: str | None = None) -> Fix:
    """The fix that sets one value, titled like ``set from_logits: true``."""
    return Fix(title or f"set {path[-1]}: {_yaml_text(value)}", (Edit(path, value),), safe)


def removal(path: Path, *, safe: bool = True, title: str | None = None) -> Fix:
    """The fix that removes one key (back to its default) or list item."""
    return Fix(title or f"remove {path[-1]}", (Edit(path, action="remove"),), safe)


def _yaml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
