"""Training diagnostics (NN6xx): symptoms a run shows while it trains, judged from what
nnconf.engine.diagnostics measures on a fixed monitoring batch. No TensorFlow here, so that
``nnconf explain NN601`` and ``nnconf diagnose RUN_DIR`` work without it."""

from __future__ import annotations

from collections.abc import Collection

# Importing a diagnostics module registers its diagnostics.
from nnconf.analysis.diagnostics import gradients, curves, units  # noqa: F401
from nnconf.analysis.diagnostics.base import REGISTRY, Diagnostic, Symptom
from nnconf.analysis.diagnostics.evidence import Evidence

__all__ = ["REGISTRY", "Diagnostic", "Symptom", "explanation", "judge"]


def judge(evidence: Evidence, ignore: Collection[str] = ()) -> list[Symptom]:
    """Every symptom the evidence shows, by every diagnostic not ignored."""
    symptoms = []
    for code in sorted(REGISTRY):
        if code not in ignore:
            symptoms.extend(REGISTRY[code]().judge(evidence))
    return symptoms


def explanation(code: str) -> str | None:
    """What ``nnconf explain NN6xx`` prints: the documentation, with a config whose training shows
    the symptom and the same config fixed; None for no such diagnostic."""
    diagnostic = REGISTRY.get(code.upper())
    if diagnostic is None:
        return None
    return (f"{diagnostic.code} {diagnostic.name} ({diagnostic.severity.value}, found while training)\n\n"
            f"{diagnostic.documentation()}\n\n## Example\n\nReported by nnconf train:\n{_indented(diagnostic.failing)}"
            f"\nFixed:\n{_indented(diagnostic.fixed)}")


def _indented(example: str) -> str:
    return "".join(f"    {line}\n" for line in example.strip().splitlines())
