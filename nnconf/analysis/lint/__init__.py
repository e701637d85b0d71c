"""nnconf lint: rules over a validated config and its inferred shapes. No TensorFlow here."""

from __future__ import annotations

from collections.abc import Collection

from nnconf import codes
# Importing a rule module registers its rules.
from nnconf.analysis.lint import architecture, backbones, initialization, optimizer, outputs  # noqa: F401
from nnconf.analysis.lint import data as data_rules  # noqa: F401
from nnconf.analysis.lint import memory as memory_rules  # noqa: F401
from nnconf.analysis.data_facts import DataFacts
from nnconf.analysis.lint.context import LintContext
from nnconf.analysis.lint.rule import REGISTRY, Rule, removal
from nnconf.analysis.shapes import Inference
from nnconf.config.model import Config
from nnconf.config.source import SourceMap
from nnconf.findings import Finding, Severity

__all__ = ["REGISTRY", "Rule", "apply_ignores", "explanation", "run_rules"]

# Findings that mean the config cannot be built at all; no ignore can silence them.
UNSILENCEABLE = {codes.YAML, codes.SCHEMA, codes.OVERRIDE, codes.GRAPH, codes.MEMORY}


def explanation(code: str) -> str | None:
    """What ``nnconf explain CODE`` prints: a rule's documentation with a failing and a fixed example,
    or what a finding below the lint rules means; None for no such code."""
    code = code.upper()
    if code in codes.DESCRIPTIONS:
        name, description = codes.DESCRIPTIONS[code]
        return f"{code} {name}\n\n{description}\n"
    rule = REGISTRY.get(code)
    if rule is None:
        return None
    return (f"{code} {rule.name} ({rule.severity.value})\n\n{rule.documentation()}\n\n"
            f"## Example\n\nReported:\n{_indented(rule.failing)}\nFixed:\n{_indented(rule.fixed)}")


def _indented(example: str) -> str:
    return "".join(f"    {line}\n" for line in example.strip().splitlines())


def chosen(code: str, select: Collection[str], ignore: Collection[str], default: bool = True) -> bool:
    """``--select``/``--ignore`` take codes or prefixes (``NN1`` is every output rule)."""
    if any(code.startswith(prefix) for prefix in ignore):
        return False
    if select:
        return any(code.startswith(prefix) for prefix in select)
    return default


def run_rules(config: Config, inference: Inference, source: SourceMap, *, select: Collection[str] = (),
              ignore: Collection[str] = (), data: DataFacts | None = None) -> list[Finding]:
    """The findings of every chosen rule. On a model whose shapes did not work out, a rule that
    needs the missing shapes is skipped: the shape error already says what is wrong."""
    if not inference.wired:
        return []  # rules walk the graph; a dangling name or a cycle is reported, and first fixed
    context = LintContext(config, inference, source, data)
    findings = []
    for code in sorted(REGISTRY):
        rule = REGISTRY[code]
        if not chosen(code, select, ignore, rule.enabled_by_default):
            continue
        try:
            findings.extend(rule().check(context))
        except (TypeError, AttributeError, IndexError, KeyError):
            if inference.complete:
                raise
    return findings


def apply_ignores(findings: list[Finding], config: Config | None, source: SourceMap, *,
                  select: Collection[str] = (), ignore: Collection[str] = ()) -> list[Finding]:
    """Drops what the command line or the config's ``lint.ignore`` silences, and reports ignores
    that silence nothing."""
    silenced = set(config.lint.ignore) if config else set()
    kept, used = [], set()
    for finding in findings:
        if finding.rule in UNSILENCEABLE:
            kept.append(finding)
        elif finding.rule in silenced:
            used.add(finding.rule)
        elif chosen(finding.rule, select, ignore):
            kept.append(finding)
    return kept + _useless_ignores(config, source, used, select, ignore)


def _useless_ignores(config: Config | None, source: SourceMap, used: set[str], select, ignore) -> list[Finding]:
    if config is None:
        return []
    findings = []
    for index, code in enumerate(config.lint.ignore):
        if code in used or not chosen(code, select, ignore, True):
            continue
        known = code in REGISTRY or code in codes.SILENCEABLE
        reason = "silences nothing in this config" if known else "is no lint rule"
        file, line, column = source.locate(("lint", "ignore", index))
        # An ignore of a data rule may silence something once the data is loaded, in nnconf train.
        about_data = code == codes.DATA or code in REGISTRY and REGISTRY[code].__module__ == data_rules.__name__
        fix = removal(("lint", "ignore", index), safe=not about_data, title=f"remove {code} from lint.ignore")
        findings.append(Finding(codes.UNUSED_IGNORE, f"lint.ignore {code} {reason}", path=f"lint.ignore[{index}]",
                                severity=Severity.WARNING, hint="remove it from lint.ignore", file=file,
                                line=line, column=column, fixes=(fix,)))
    return findings
