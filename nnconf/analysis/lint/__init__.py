"""nnconf lint: rules over a validated config and its inferred shapes. No TensorFlow here."""

from __future__ import annotations

from collections.abc import Collection

from nnconf import codes
# Importing a rule module registers its rules.
from nnconf.analysis.lint import architecture, initialization, optimizer, outputs  # noqa: F401
from nnconf.analysis.lint.context import LintContext
from nnconf.analysis.lint.rule import REGISTRY, Rule
from nnconf.analysis.shapes import Inference
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.findings import Finding, Severity

__all__ = ["REGISTRY", "Rule", "lint_config", "rule_codes"]


def rule_codes() -> list[str]:
    return sorted(REGISTRY)


def _chosen(code: str, select: Collection[str], ignore: Collection[str], default: bool) -> bool:
    """``--select``/``--ignore`` take codes or prefixes (``NN1`` is every output rule)."""
    if any(code.startswith(prefix) for prefix in ignore):
        return False
    if select:
        return any(code.startswith(prefix) for prefix in select)
    return default


def lint_config(config: Config, inference: Inference, source: SourceMap, *,
                select: Collection[str] = (), ignore: Collection[str] = ()) -> list[Finding]:
    """Every rule's findings for one config, less those silenced by the config's own ``lint.ignore``."""
    context = LintContext(config, inference, source)
    silenced = set(config.lint.ignore)
    findings, used = [], set()
    for code in rule_codes():
        rule = REGISTRY[code]
        if not _chosen(code, select, ignore, rule.enabled_by_default):
            continue
        for finding in rule().check(context):
            if code in silenced:
                used.add(code)
            else:
                findings.append(finding)
    return findings + _useless_ignores(config, source, used, select, ignore)


def _useless_ignores(config: Config, source: SourceMap, used: set[str], select, ignore) -> list[Finding]:
    findings = []
    for index, code in enumerate(config.lint.ignore):
        if code in used or not _chosen(code, select, ignore, True):
            continue
        reason = "is no lint rule" if code not in REGISTRY else "silences nothing in this config"
        file, line, column = source.locate(("lint", "ignore", index))
        findings.append(Finding(codes.UNUSED_IGNORE, f"lint.ignore {code} {reason}", path=f"lint.ignore[{index}]",
                                severity=Severity.WARNING, hint="remove it from lint.ignore", file=file,
                                line=line, column=column))
    return findings
