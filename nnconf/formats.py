"""Findings rendered for people (text), programs (JSON), GitHub workflows and code scanning (SARIF)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from nnconf import __version__, codes
from nnconf.findings import Finding, Severity

FORMATS = ("text", "json", "github", "sarif")
# From this many findings of one rule in one file on as many layers, text and github say them once, listing
# the layers (json and sarif keep every location, for programs).
GROUPED_FROM = 4
_LAYERS_SHOWN = 5
_QUOTED_NAME = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Group:
    """Findings of one rule in one file, each about another layer, told once.

    Args:
        first: the first of them (its place is the group's).
        layers: the layer each one is about, in order.
    """

    first: Finding
    layers: tuple[str, ...]

    @property
    def message(self) -> str:
        from nnconf.analysis.lint import REGISTRY

        rule = REGISTRY.get(self.first.rule)
        what = rule.summary().rstrip(".") if rule else codes.DESCRIPTIONS.get(self.first.rule, ("", "finding"))[1]
        shown = ", ".join(self.layers[:_LAYERS_SHOWN])
        more = len(self.layers) - _LAYERS_SHOWN
        return f"{what} in {len(self.layers)} layers: {shown}" + (f" (and {more} more)" if more > 0 else "")

    def text(self) -> str:
        """The group as ``nnconf lint`` prints it: the rule and its layers, then the first finding in full."""
        first = self.first
        lines = [f"{first.location}: {first.severity.value} {first.rule} {self.message}",
                 f"    first: {first.message}" + (f" [{first.path}]" if first.path else "")]
        if first.hint:
            lines.append(f"    hint: {first.hint}")
        return "\n".join(lines)


def grouped(findings: list[Finding]) -> list[Finding | Group]:
    """``findings`` with the repeated findings of a rule (``GROUPED_FROM`` or more in one file, each about a
    different layer) told once, at the place of the first."""
    members: dict[tuple, list[Finding]] = {}
    for finding in findings:
        if _layer_of(finding) is not None:
            members.setdefault(_group_key(finding), []).append(finding)
    groups = {key: found for key, found in members.items()
              if len(found) >= GROUPED_FROM and len({_layer_of(f) for f in found}) == len(found)}
    result: list[Finding | Group] = []
    for finding in findings:
        found = groups.get(_group_key(finding))
        if found is None or _layer_of(finding) is None:
            result.append(finding)
        elif finding is found[0]:
            result.append(Group(finding, tuple(_layer_of(f) for f in found)))
    return result


def _group_key(finding: Finding) -> tuple:
    return finding.file, finding.rule, finding.severity


def _layer_of(finding: Finding) -> str | None:
    """The layer a finding is about: the first name its message quotes, where its path is in a layer."""
    if not finding.path.startswith(("model.layers[", "blocks.")):
        return None
    match = _QUOTED_NAME.search(finding.message)
    return match.group(1) if match else None


def counts(findings: list[Finding]) -> dict[str, int]:
    return {
        "errors": sum(f.severity is Severity.ERROR for f in findings),
        "warnings": sum(f.severity is Severity.WARNING for f in findings),
        "infos": sum(f.severity is Severity.INFO for f in findings),
    }


def render(fmt: str, findings: list[Finding], files: int) -> str:
    return {"text": _text, "json": _json, "github": _github, "sarif": _sarif}[fmt](findings, files)


def text_lines(findings: list[Finding]) -> list[str]:
    """Each finding as a person reads it (``Finding.format``), the repeated ones of a rule told once."""
    return [item.text() if isinstance(item, Group) else item.format() for item in grouped(findings)]


def _text(findings: list[Finding], files: int) -> str:
    lines = text_lines(findings)
    tally = counts(findings)
    lines.append(f"{files} file{'s' * (files != 1)} linted: {tally['errors']} error{'s' * (tally['errors'] != 1)}, "
                 f"{tally['warnings']} warning{'s' * (tally['warnings'] != 1)}, {tally['infos']} info")
    return "\n".join(lines) + "\n"


def _json(findings: list[Finding], files: int) -> str:
    tally = counts(findings)
    document = {"findings": [_plain(f) for f in findings], "files": files, "errors": tally["errors"],
                "warnings": tally["warnings"]}
    return json.dumps(document, indent=2) + "\n"


def _plain(finding: Finding) -> dict:
    return {"file": finding.file, "line": finding.line, "column": finding.column, "rule": finding.rule,
            "severity": finding.severity.value, "message": finding.message, "path": finding.path,
            "hint": finding.hint}


_GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github(findings: list[Finding], files: int) -> str:
    """Workflow commands that GitHub Actions turns into annotations on the changed lines."""
    lines = []
    for item in grouped(findings):
        finding = item.first if isinstance(item, Group) else item
        properties = [f"file={_escape_property(finding.file or '')}"]
        if finding.line:
            properties.append(f"line={finding.line}")
        if finding.column:
            properties.append(f"col={finding.column}")
        properties.append(f"title={_escape_property(f'nnconf {finding.rule}')}")
        text = finding.message + (f" [{finding.path}]" if finding.path else "")
        if isinstance(item, Group):
            text = f"{item.message}\nfirst: {text}"
        if finding.hint:
            text += f"\nhint: {finding.hint}"
        lines.append(f"::{_GITHUB_LEVELS[finding.severity]} {','.join(properties)}::{_escape_data(text)}")
    return "".join(line + "\n" for line in lines)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _sarif(findings: list[Finding], files: int) -> str:
    """SARIF 2.1.0, as GitHub code scanning and other tools read it."""
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nnconf", "version": __version__, "rules": list(_sarif_rules())}},
            "results": [_sarif_result(f) for f in findings],
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_rules() -> Iterable[dict]:
    from nnconf.analysis.lint import REGISTRY

    for code, (name, description) in codes.DESCRIPTIONS.items():
        yield {"id": code, "name": name, "shortDescription": {"text": description},
               "defaultConfiguration": {"level": "error" if code not in codes.SILENCEABLE else "warning"}}
    for code, rule in sorted(REGISTRY.items()):
        yield {"id": code, "name": rule.name, "shortDescription": {"text": rule.summary()},
               "fullDescription": {"text": rule.documentation()}, "help": {"text": rule.documentation()},
               "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]}}


def _sarif_result(finding: Finding) -> dict:
    region = {}
    if finding.line:
        region["startLine"] = finding.line
        if finding.column:
            region["startColumn"] = finding.column
    location = {"physicalLocation": {"artifactLocation": {"uri": finding.file or "<config>"}}}
    if region:
        location["physicalLocation"]["region"] = region
    text = finding.message + (f" [{finding.path}]" if finding.path else "") + (
        f" Hint: {finding.hint}" if finding.hint else "")
    return {"ruleId": finding.rule, "level": _SARIF_LEVELS[finding.severity], "message": {"text": text},
            "locations": [location]}
