"""Shared helpers for the config-language tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nnconf
from nnconf.findings import Finding, Severity

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
SHIPPED = sorted(CONFIGS.glob("*.yaml"))

# A minimal valid sequential config, to which single problems are added.
MINIMAL = textwrap.dedent("""\
    task: binary
    model:
      input_shape: [4]
      layers:
        - {type: Dense, units: 1, activation: sigmoid}
    loss: binary_crossentropy
""")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def check(text: str, overrides=(), name: str = "test.yaml") -> nnconf.Report:
    """Check dedented YAML text; the report's findings say which file they came from."""
    return nnconf.check_text(dedent(text), overrides, name=name)


def errors(report_or_findings) -> list[Finding]:
    findings = getattr(report_or_findings, "findings", report_or_findings)
    return [f for f in findings if f.severity is Severity.ERROR]


def by_path(findings, path: str) -> Finding:
    matches = [f for f in findings if f.path == path]
    assert len(matches) == 1, f"expected one finding at {path!r}, got: " + "\n".join(f.format() for f in findings)
    return matches[0]


def describe(findings) -> str:
    findings = getattr(findings, "findings", findings)
    return "\n".join(f.format() for f in findings) or "(no findings)"


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m nnconf ARGS`` in a subprocess, as a user would run it."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "nnconf", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def run_python(code: str, *args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
