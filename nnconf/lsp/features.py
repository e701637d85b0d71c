"""What the language server answers, as pure functions of a document's text and its lint report.

Positions here are 0-based lines and characters counted in code points, as Python counts them; the
server converts them to the editor's units (UTF-16 by default) at the edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from nnconf.analysis.fixes import FixError, apply_fix, fix_text
from nnconf.analysis.lint import REGISTRY, explanation
from nnconf.analysis.pipeline import Report, check_text, lint_report
from nnconf.analysis.shapes import LayerShape
from nnconf.config.layers.base import format_shape
from nnconf.config.model import FunctionalModel
from nnconf.config.source import SourceMap
from nnconf.findings import Finding, Fix, Severity
from nnconf.lsp import vocabulary
from nnconf.lsp.cursor import ITEM, Cursor, cursor_at

SOURCE = "nnconf"
FIX_ALL = types.CodeActionKind.SourceFixAll + ".nnconf"
_SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
               Severity.INFO: types.DiagnosticSeverity.Information}
_RULE_CODE = re.compile(r"NN\d{3}")


@dataclass
class Analysis:
    """One version of a document, linted."""

    text: str
    report: Report


def analyse(text: str, name: str | None = None) -> Analysis:
    return Analysis(text, lint_report(check_text(text, name=name)))


def failed(text: str, name: str | None) -> Analysis:
    """What the editor shows when checking failed inside nnconf: one diagnostic saying so."""
    finding = Finding("nnconf", "nnconf could not check this file (a bug in nnconf: the language server's log "
                      "has the details)", file=name, line=1, column=1)
    return Analysis(text, Report(name, None, SourceMap(), [finding]))


# --- diagnostics ----------------------------------------------------------------------------------


def diagnostics(analysis: Analysis, documentation: DocumentationLinks) -> list[types.Diagnostic]:
    """Every finding of ``nnconf lint``, with its severity, code and a link to the code's documentation."""
    lines = analysis.text.splitlines()
    return [_diagnostic(finding, lines, documentation) for finding in analysis.report.findings]


def _diagnostic(finding: Finding, lines: list[str], documentation: DocumentationLinks) -> types.Diagnostic:
    message = finding.message + (f" [{finding.path}]" if finding.path else "")
    if finding.hint:
        message += f"\nhint: {finding.hint}"
    link = documentation.link(finding.rule)
    return types.Diagnostic(
        range=finding_range(finding, lines), message=message, severity=_SEVERITIES[finding.severity],
        code=finding.rule, source=SOURCE,
        code_description=types.CodeDescription(href=link) if link else None,
        data={"path": finding.path})


def finding_range(finding: Finding, lines: list[str]) -> types.Range:
    """From the finding's position to the end of the value written there (a whole flow collection,
    or a scalar), or of its line; the first line for a finding about the whole file."""
    if finding.line is None or finding.line > len(lines):
        return types.Range(types.Position(0, 0), types.Position(0, len(lines[0]) if lines else 0))
    line = finding.line - 1
    text = lines[line]
    start = min((finding.column or 1) - 1, len(text))
    return types.Range(types.Position(line, start), types.Position(line, start + _token_length(text[start:])))


def _token_length(text: str) -> int:
    if text[:1] in "{[":
        depth = 0
        for index, char in enumerate(text):
            depth += char in "{["
            depth -= char in "}]"
            if depth == 0:
                return index + 1
        return len(text.rstrip())
    comment = re.search(r"\s#", text)
    end = comment.start() if comment else len(text)
    match = re.match(r"[^,\]}]*", text[:end])
    return len(match[0].rstrip()) or len(text[:end].rstrip())


class DocumentationLinks:
    """Where each code's documentation is: ``nnconf explain``'s text, written once per server into a
    folder of its own (removed when it stops), as a file the editor can open from the diagnostic."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def link(self, code: str) -> str | None:
        if self.folder is None:
            return None
        page = self.folder / f"{code}.md"
        if not page.exists():
            text = explanation(code)
            if text is None:
                return None
            page.write_text(text)
        return page.as_uri()


# --- hover ----------------------------------------------------------------------------------------


def hover(analysis: Analysis, line: int, character: int) -> types.Hover | None:
    """A rule's explanation on a rule code; on a layer, its output shape, parameters and documentation."""
    lines = analysis.text.splitlines()
    word = _word_at(lines[line] if line < len(lines) else "", character)
    if _RULE_CODE.fullmatch(word or ""):
        text = explanation(word)
        if text is not None:
            return _markdown(text)
    layer = layer_at(analysis.report, line, character)
    if layer is None:
        return None
    return _markdown(_describe_layer(analysis.report, layer))


def _word_at(text: str, character: int) -> str | None:
    for match in re.finditer(r"[\w.\-]+", text):
        if match.start() <= character <= match.end():
            return match[0]
    return None


def layer_at(report: Report, line: int, character: int) -> LayerShape | None:
    """The layer whose part of the file holds the position (0-based): the last located key or value
    at or before it belongs to the layer."""
    if report.inference is None:
        return None
    position = (line + 1, character + 1)
    located = [(where, path) for table in (report.source.values, report.source.keys)
               for path, where in table.items() if where <= position]
    if not located:
        return None
    _, path = max(located, key=lambda entry: (entry[0], len(entry[1])))
    if len(path) < 3 or path[:2] != ("model", "layers") or not isinstance(path[2], int):
        return None
    index = path[2]
    return report.inference.layers[index] if index < len(report.inference.layers) else None


def _describe_layer(report: Report, layer: LayerShape) -> str:
    shape = format_shape(layer.output_shape) if layer.output_shape is not None else "unknown"
    lines = [f"**{layer.name}**: `{layer.spec.type}`", "",
             f"output shape `{shape}`, {layer.params:,} parameters"]
    if isinstance(report.config.model, FunctionalModel) and layer.input_names:
        lines.append(f"inputs: {', '.join(layer.input_names)}")
    return "\n".join(lines) + "\n\n---\n\n" + vocabulary.layer_documentation(layer.spec.type)


def _markdown(text: str) -> types.Hover:
    return types.Hover(types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


# --- completion -----------------------------------------------------------------------------------


def completions(analysis: Analysis, line: int, character: int, last_valid: Report | None = None
                ) -> list[types.CompletionItem]:
    """What fits at the cursor: keys of the mapping there, or the names its value takes.

    ``last_valid`` is the report of the document's last version that validated: while a line is
    being typed the document often does not, and the names of its inputs and layers come from there.
    """
    cursor = cursor_at(analysis.text, line, character)
    if cursor.key is None:
        return _keys(cursor)
    report = analysis.report if analysis.report.config is not None or last_valid is None else last_valid
    return [_value(name, cursor, kind, detail) for name, kind, detail in _values(cursor, report)]


def _keys(cursor: Cursor) -> list[types.CompletionItem]:
    model = vocabulary.mapping_class(cursor.path, cursor.siblings)
    if model is None:
        if vocabulary.is_layer(cursor.path) and "type" not in cursor.siblings:
            return [_key("type", "the layer's Keras class name", "required")]
        return []
    docs = vocabulary.field_docs(model)
    return [_key(name, docs.get(name, ""), vocabulary.field_detail(model, name)) for name in model.model_fields
            if name not in cursor.siblings and not (name == "type" and vocabulary.is_layer(cursor.path))]


def _key(name: str, documentation: str, detail: str) -> types.CompletionItem:
    return types.CompletionItem(label=name, kind=types.CompletionItemKind.Property, detail=detail,
                                documentation=documentation or None, insert_text=f"{name}: ")


def _values(cursor: Cursor, report: Report) -> list[tuple[str, types.CompletionItemKind, str | None]]:
    path, key = cursor.path, cursor.key
    names = types.CompletionItemKind
    if vocabulary.is_layer(path):
        if key == "type":
            return [(name, names.Class, None) for name in vocabulary.LAYER_TYPES]
        if key == "inputs":
            return [(name, names.Reference, kind) for name, kind in _graph_names(report, path)]
    if path == ["model"] and key == "outputs":
        return [(name, names.Reference, "layer") for name, kind in _graph_names(report, path) if kind == "layer"]
    model = vocabulary.mapping_class(path, cursor.siblings)
    literal = vocabulary.choices(model, key) if key != "name" else ()
    if literal:
        return [(value, names.EnumMember, None) for value in literal]
    if path == [] and key == "task" or path == ["task"]:
        return [(task, names.EnumMember, None) for task in vocabulary.TASKS]
    if path == ["data"] and key == "source":
        return [(source, names.EnumMember, None) for source in vocabulary.DATA_SOURCES]
    if path == ["lint"] and key == "ignore":
        return [(code, names.Constant, rule.summary()) for code, rule in sorted(REGISTRY.items())]
    kind = vocabulary.spec_kind(path, None) if key == "name" else vocabulary.spec_kind(path, key)
    if kind is not None:
        return [(name, names.Value, kind) for name in vocabulary.SPECS[kind]]
    return []


def _graph_names(report: Report, path: list[str]) -> list[tuple[str, str]]:
    """The model inputs and the layers a functional layer can take, from the last version that validated."""
    config = report.config
    if config is None or not isinstance(config.model, FunctionalModel) or report.inference is None:
        return []
    return [(name, "input") for name in config.model.inputs] + [
        (layer.name, "layer") for layer in report.inference.layers]


def _value(name: str, cursor: Cursor, kind: types.CompletionItemKind, detail: str | None) -> types.CompletionItem:
    return types.CompletionItem(label=name, kind=kind, detail=detail,
                                insert_text=(" " if cursor.after_colon else "") + name)


# --- code actions ---------------------------------------------------------------------------------


def code_actions(analysis: Analysis, uri: str, first_line: int, last_line: int) -> list[types.CodeAction]:
    """Each fix of each finding on the lines asked about, one action each; and, where any fix is
    certain, one action applying every certain fix of the file."""
    lines = analysis.text.splitlines()
    actions = []
    for finding in analysis.report.findings:
        if not finding.fixes:
            continue
        where = finding_range(finding, lines)
        if where.end.line < first_line or where.start.line > last_line:
            continue
        for fix in finding.fixes:
            action = _fix_action(analysis.text, uri, finding, fix, where)
            if action is not None:
                actions.append(action)
    if any(fix.safe for finding in analysis.report.findings for fix in finding.fixes):
        fixed = fix_text(analysis.text)
        if fixed.changed:
            actions.append(types.CodeAction(title="Fix every certain problem (nnconf)", kind=FIX_ALL,
                                            edit=_workspace_edit(uri, analysis.text, fixed.text)))
    return actions


def _fix_action(text: str, uri: str, finding: Finding, fix: Fix, where: types.Range) -> types.CodeAction | None:
    try:
        fixed = apply_fix(text, fix)
    except FixError:
        return None
    title = f"{fix.title} ({finding.rule})" + ("" if fix.safe else ": changes what the model does")
    diagnostic = types.Diagnostic(range=where, message=finding.message, code=finding.rule, source=SOURCE)
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                            is_preferred=fix.safe, edit=_workspace_edit(uri, text, fixed))


def _workspace_edit(uri: str, before: str, after: str) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [text_edit(before, after)]})


def text_edit(before: str, after: str) -> types.TextEdit:
    """One edit replacing only the lines that differ, so the rest of the document (and the cursor) stays."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    if end_old == len(old) and old and not old[-1].endswith("\n"):
        end = types.Position(len(old) - 1, len(old[-1]))  # the last line has no line break to end at
    else:
        end = types.Position(end_old, 0)
    return types.TextEdit(types.Range(types.Position(start, 0), end), "".join(new[start:end_new]))
