"""A finished (or stopped) run's findings again, with the evidence behind each: what
``nnconf diagnose RUN_DIR`` prints. It reads the run directory's JSON files; no TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

from nnconf.analysis.diagnostics.base import REGISTRY
from nnconf.analysis.diagnostics.evidence import Check, Evidence
from nnconf.findings import Finding, Severity

EVIDENCE_FILE = "diagnostics.json"
FINDINGS_FILE = "findings.json"
MEASURES = {"gradients": "gradient norm", "dead": "dead units", "saturated": "saturated units"}


class NoDiagnostics(Exception):
    """The directory holds no diagnostics to show; the message says why."""


def read_findings(directory: Path) -> list[Finding]:
    """The findings a run saved, in the shape ``nnconf lint --format json`` writes."""
    document = json.loads((directory / FINDINGS_FILE).read_text())
    return [Finding(item["rule"], item["message"], path=item["path"], severity=Severity(item["severity"]),
                    hint=item["hint"], file=item["file"], line=item["line"], column=item["column"])
            for item in document["findings"]]


def read_run(directory: Path) -> tuple[list[Finding], Evidence]:
    """A run's findings and evidence; NoDiagnostics where they are missing or unreadable."""
    if not (directory / FINDINGS_FILE).is_file() or not (directory / EVIDENCE_FILE).is_file():
        raise NoDiagnostics(f"{directory} has no {FINDINGS_FILE} and {EVIDENCE_FILE}: it is no run directory, or "
                            "its run was trained with training.diagnostics: false (or by an nnconf without them)")
    try:
        return read_findings(directory), Evidence.from_dict(json.loads((directory / EVIDENCE_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as problem:
        raise NoDiagnostics(f"{directory}: its diagnostics cannot be read ({type(problem).__name__}: {problem})") \
            from None


def describe(findings: list[Finding], evidence: Evidence) -> str:
    """Each finding as ``nnconf train`` printed it, then its evidence per check or per epoch."""
    lines = []
    for finding in findings:
        lines.append(finding.format())
        lines.extend(f"    {line}" for line in evidence_of(finding, evidence))
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    checks = len(evidence.checks)
    lines.append(f"{len(evidence.losses)} epochs, {checks} check{'s' * (checks != 1)} of the monitoring batch: "
                 f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(lines) + "\n"


def evidence_of(finding: Finding, evidence: Evidence) -> list[str]:
    """The values a finding was judged on, per check (a layer's measure) or per epoch (the loss)."""
    diagnostic = REGISTRY.get(finding.rule)
    layer = evidence.by_path(finding.path)
    if diagnostic is None:
        return []
    if diagnostic.measure in MEASURES and layer is not None:
        lines = [f"{MEASURES[diagnostic.measure]} of {layer.name!r}: "
                 + _series(evidence.checks, lambda check: getattr(check, diagnostic.measure).get(layer.name))]
        reference = evidence.reference()
        if diagnostic.measure == "gradients" and reference is not None and reference is not layer:
            lines.append(f"gradient norm of {reference.name!r}: "
                         + _series(evidence.checks, lambda check: check.gradients.get(reference.name)))
        if diagnostic.measure == "gradients":
            lines.append(f"weight norm of {layer.name!r}: "
                         + _series(evidence.checks, lambda check: check.weights.get(layer.name)))
        return lines
    lines = ["training loss by epoch: " + ", ".join(f"{epoch} {value:.4g}" for epoch, value in
                                                   enumerate(evidence.losses, start=1))]
    if evidence.baseline is not None:
        lines.append(f"trivial model (always predicting {evidence.baseline_kind}): {evidence.baseline:.4g}")
    broken = [(check, check.non_finite) for check in evidence.checks if check.non_finite]
    if broken:
        check, name = broken[0]
        lines.append(f"first layer with a non-finite output: {name!r}, {_label(check)}")
    return lines


def _series(checks: list[Check], value) -> str:
    shown = [(check, value(check)) for check in checks]
    return ", ".join(f"{_label(check)} {number:.3g}" for check, number in shown if number is not None) or "none"


def _label(check: Check) -> str:
    """``e3`` after epoch 3 (``e0`` before training), ``s120`` at step 120 of an epoch."""
    return f"s{check.step}" if check.during else f"e{check.epoch}"
