"""What a diagnostic is: a code, a name, a severity, its documentation and examples, and a judgement
of the evidence a run measured.

Each diagnostic is one small class, like a lint rule (nnconf.analysis.lint.rule): its docstring is
the user documentation, with where each threshold comes from; ``failing`` and ``fixed`` are whole
configs with data that the tests train, so every diagnostic is shown to find its fault in a real
run and to stay quiet once the fault is fixed.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from nnconf.analysis.diagnostics.evidence import Check, Evidence, LayerFacts
from nnconf.config.source import Path
from nnconf.findings import Severity

REGISTRY: dict[str, type[Diagnostic]] = {}


@dataclass(frozen=True)
class Symptom:
    """A diagnostic's verdict, before it is located in the config file.

    Args:
        code: the diagnostic's code.
        keys: the config path it points at (a layer, the loss or the optimizer).
        message: what was seen, with the numbers.
        hint: what to do.
        severity: error or warning.
    """

    code: str
    keys: Path
    message: str
    hint: str
    severity: Severity


class Diagnostic:
    code: ClassVar[str]  # NN6xy, stable once released
    name: ClassVar[str]  # short kebab-case name
    severity: ClassVar[Severity]
    failing: ClassVar[str]  # a config (with data) whose training shows the symptom
    fixed: ClassVar[str]  # the same config, corrected: its training shows none
    # What ``nnconf diagnose`` shows as evidence: a layer's measure per check, or the loss per epoch.
    measure: ClassVar[str] = "loss"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code in REGISTRY:
            raise ValueError(f"two diagnostics share the code {cls.code}")
        REGISTRY[cls.code] = cls

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        raise NotImplementedError

    def symptom(self, keys: Path, message: str, hint: str) -> Symptom:
        return Symptom(self.code, keys, message, hint, self.severity)

    @classmethod
    def summary(cls) -> str:
        return inspect.getdoc(cls).splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        return inspect.getdoc(cls)


def latest(evidence: Evidence) -> Check | None:
    return evidence.checks[-1] if evidence.checks else None


def when(check: Check) -> str:
    """When a check was taken, in words."""
    if check.during:
        return f"at step {check.step} (epoch {check.epoch + 1})"
    return f"after epoch {check.epoch}" if check.epoch else "before the first step"


def named(layer: LayerFacts) -> str:
    return f"{layer.name!r} ({layer.type})"


def judgement_epoch(evidence: Evidence) -> int:
    """The epoch from which the curve of the loss is judged: 30% of the planned epochs, at least 2
    (AUTOTRAINER's judgement point: a curve says little before it)."""
    return max(2, -(-3 * evidence.epochs // 10))
