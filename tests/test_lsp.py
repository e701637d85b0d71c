"""nnconf lsp, end to end: a real LSP client (pytest-lsp) drives ``python -m nnconf lsp`` as an editor would."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

import nnconf
from nnconf.analysis.lint import REGISTRY

from tests.config.helpers import ROOT, dedent

pytestmark = pytest.mark.asyncio(loop_scope="module")

BROKEN = dedent("""
    # A classifier with two mistakes
    task: multiclass
    model:
      input_shape: [8]
      layers:
        - {type: Dense, units: 16, activation: relu}
        - {type: Dense, units: 3}
    loss: sparse_categorical_crossentropy
    metrics: [accuracy]
    lint: {ignore: [NN203]}
""")

FUNCTIONAL = dedent("""
    task: multiclass
    model:
      inputs: {pixels: [64], meta: [4]}
      layers:
        - {name: hidden, type: Dense, units: 32, activation: relu, inputs: pixels}
        - {name: joined, type: Concatenate, inputs: [hidden, meta]}
        - {name: classes, type: Dense, units: 10, inputs: joined}
      outputs: classes
    loss: {name: sparse_categorical_crossentropy, from_logits: true}
""")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "nnconf", "lsp"]),
                    scope="module")
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


_opened = 0


async def open_document(client: LanguageClient, text: str) -> tuple[str, list[types.Diagnostic]]:
    """Opens ``text`` as a new document and returns its URI and first diagnostics."""
    global _opened
    _opened += 1
    uri = (ROOT / "tests" / f"lsp-document-{_opened}.yaml").as_uri()
    published = asyncio.ensure_future(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    await published
    return uri, client.diagnostics[uri]


async def change_document(client: LanguageClient, uri: str, version: int, text: str) -> list[types.Diagnostic]:
    published = asyncio.ensure_future(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))
    await published
    return client.diagnostics[uri]


def position_of(text: str, marker: str, offset: int = 0) -> types.Position:
    """The position just after ``marker`` (plus ``offset``), as LSP counts it (UTF-16 units)."""
    before = text[:text.index(marker) + len(marker) + offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1:]
    return types.Position(line, len(column.encode("utf-16-le")) // 2)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = sum(len(line) for line in lines[:edit.range.start.line]) + edit.range.start.character
        end = sum(len(line) for line in lines[:edit.range.end.line]) + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


# --- diagnostics ----------------------------------------------------------------------------------


async def test_diagnostics_on_open_are_every_lint_finding(client: LanguageClient):
    uri, found = await open_document(client, BROKEN)
    expected = nnconf.lint_text(BROKEN).findings
    assert sorted((d.code, d.range.start.line + 1, d.range.start.character + 1) for d in found) == sorted(
        (f.rule, f.line, f.column) for f in expected)
    assert {d.code for d in found} == {"NN103", "NN006"}
    nn103 = next(d for d in found if d.code == "NN103")
    assert nn103.severity == types.DiagnosticSeverity.Error and nn103.source == "nnconf"
    assert BROKEN.splitlines()[nn103.range.start.line][nn103.range.start.character:nn103.range.end.character] == \
        "sparse_categorical_crossentropy"
    assert "hint: set from_logits: true" in nn103.message
    nn006 = next(d for d in found if d.code == "NN006")
    assert nn006.severity == types.DiagnosticSeverity.Warning


async def test_each_diagnostic_links_to_its_documentation(client: LanguageClient):
    _, found = await open_document(client, BROKEN)
    for diagnostic in found:
        page = Path(urlparse(diagnostic.code_description.href).path)
        text = page.read_text()
        assert text.startswith(diagnostic.code)
        if diagnostic.code in REGISTRY:
            assert REGISTRY[diagnostic.code].documentation() in text


async def test_diagnostics_follow_every_change(client: LanguageClient):
    uri, found = await open_document(client, BROKEN)
    assert found
    fixed = BROKEN.replace("loss: sparse_categorical_crossentropy",
                           "loss: {name: sparse_categorical_crossentropy, from_logits: true}").replace(
        "lint: {ignore: [NN203]}\n", "")
    assert list(await change_document(client, uri, 2, fixed)) == []
    broken_again = fixed.replace("{type: Dense, units: 3}", "{type: Dense, units: 3, activation: sigmoid}")
    found = await change_document(client, uri, 3, broken_again)
    assert sorted((d.code, d.range.start.line + 1) for d in found) == sorted(
        (f.rule, f.line) for f in nnconf.lint_text(broken_again).findings)
    assert {d.code for d in found} == {"NN104", "NN114"}


async def test_yaml_errors_are_diagnostics_too(client: LanguageClient):
    _, found = await open_document(client, "task: binary\nmodel: [\n")
    assert [d.code for d in found] == ["NN001"]


async def test_columns_are_counted_as_the_editor_counts_them(client: LanguageClient):
    text = 'task: binary  # ok\nname: "\U0001f642-model"\nmodel: {input_shape: [4], layers: [{type: Dense, units: 1}]}\n' \
           'loss: {name: binary_crossentropy, from_logits: true}\nmetrics: ["\U0001f642\U0001f642", bogus]\n'
    _, found = await open_document(client, text)
    line = text.splitlines()[4]
    starts = {d.range.start.character for d in found if d.range.start.line == 4}
    utf16 = {len(line[:line.index(token)].encode("utf-16-le")) // 2 for token in ('"\U0001f642', "bogus")}
    assert starts == utf16


# --- hover ----------------------------------------------------------------------------------------


async def test_hover_on_a_layer_shows_its_shape_parameters_and_documentation(client: LanguageClient):
    uri, _ = await open_document(client, FUNCTIONAL)
    answer = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(FUNCTIONAL, "name: hid")))
    layer = nnconf.check_text(FUNCTIONAL).inference.layer("hidden")
    assert "`(None, 32)`" in answer.contents.value and f"{layer.params:,} parameters" in answer.contents.value
    assert "**hidden**: `Dense`" in answer.contents.value
    assert "A fully connected layer" in answer.contents.value  # Dense's own documentation


async def test_hover_on_a_rule_code_explains_the_rule(client: LanguageClient):
    uri, _ = await open_document(client, BROKEN)
    answer = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(BROKEN, "NN2", 1)))
    assert REGISTRY["NN203"].documentation() in answer.contents.value


async def test_hover_elsewhere_is_nothing(client: LanguageClient):
    uri, _ = await open_document(client, BROKEN)
    answer = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(BROKEN, "task: multi")))
    assert answer is None


# --- completion -----------------------------------------------------------------------------------


async def complete(client: LanguageClient, text: str, marker: str) -> dict[str, types.CompletionItem]:
    uri, _ = await open_document(client, text)
    answer = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position_of(text, marker)))
    return {item.label: item for item in answer.items}


async def test_completion_offers_layer_types(client: LanguageClient):
    items = await complete(client, FUNCTIONAL.replace("type: Concatenate", "type: Con"), "type: Con")
    assert {"Concatenate", "Conv2D", "Dense", "LSTM"} <= set(items)
    assert items["Conv2D"].kind == types.CompletionItemKind.Class


async def test_completion_offers_the_arguments_of_the_layer_under_the_cursor(client: LanguageClient):
    text = BROKEN.replace("{type: Dense, units: 3}", "{type: Dense, units: 3, ker}")
    items = await complete(client, text, "ker")
    assert {"kernel_initializer", "kernel_regularizer", "activation", "use_bias"} <= set(items)
    assert "units" not in items and "type" not in items  # already there
    assert items["use_bias"].detail == "default: true" and items["use_bias"].insert_text == "use_bias: "
    block = BROKEN.replace("    - {type: Dense, units: 3}", "    - type: Conv2D\n      filters: 4\n      pad")
    items = await complete(client, block, "      pad")
    assert {"padding", "kernel_size", "strides"} <= set(items) and "filters" not in items


async def test_completion_offers_activation_loss_optimizer_and_metric_names(client: LanguageClient):
    activations = await complete(client, BROKEN.replace("activation: relu", "activation: re"), "activation: re")
    assert {"relu", "gelu", "softmax"} <= set(activations)
    losses = await complete(client, BROKEN.replace("loss: sparse_categorical_crossentropy", "loss: spa"), "loss: spa")
    assert {"sparse_categorical_crossentropy", "binary_crossentropy", "mse"} <= set(losses)
    optimizers = await complete(client, BROKEN + "optimizer: {name: ad}\n", "name: ad")
    assert {"adam", "adamw", "sgd"} <= set(optimizers)
    metrics = await complete(client, BROKEN.replace("[accuracy]", "[accuracy, au]"), "accuracy, au")
    assert {"auc", "precision", "sparse_categorical_accuracy"} <= set(metrics)


async def test_completion_offers_the_values_a_layer_argument_takes(client: LanguageClient):
    text = BROKEN.replace("{type: Dense, units: 3}", "{type: Dense, units: 3, use_bias: }")
    items = await complete(client, text, "use_bias: ")
    assert set(items) == {"true", "false"}


async def test_completion_offers_inputs_and_layers_where_a_functional_layer_takes_its_inputs(
        client: LanguageClient):
    items = await complete(client, FUNCTIONAL, "inputs: [hidden, ")
    assert {"pixels", "meta", "hidden", "joined", "classes"} <= set(items)
    assert items["meta"].detail == "input" and items["hidden"].detail == "layer"


async def test_input_names_come_from_the_last_valid_version_while_a_line_is_being_typed(client: LanguageClient):
    uri, _ = await open_document(client, FUNCTIONAL)
    typing = FUNCTIONAL.replace("inputs: [hidden, meta]}", "inputs: [hidden, ")  # not YAML until it is closed
    found = await change_document(client, uri, 2, typing)
    assert [d.code for d in found] == ["NN001"]
    answer = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position_of(typing, "inputs: [hidden, ")))
    assert {"pixels", "meta", "hidden"} <= {item.label for item in answer.items}


async def test_completion_after_a_colon_leaves_a_space(client: LanguageClient):
    text = BROKEN.replace("task: multiclass", "task:")
    items = await complete(client, text, "task:")
    assert items["binary"].insert_text == " binary"


# --- code actions ---------------------------------------------------------------------------------


async def actions_for(client: LanguageClient, uri: str, diagnostics: list[types.Diagnostic], code: str):
    diagnostic = next(d for d in diagnostics if d.code == code)
    return await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), diagnostic.range, types.CodeActionContext(diagnostics=[diagnostic])))


async def test_a_fix_is_one_click_and_leaves_the_comments(client: LanguageClient):
    uri, found = await open_document(client, BROKEN)
    actions = await actions_for(client, uri, found, "NN103")
    quick = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert [a.title for a in quick] == ["set from_logits: true (NN103)"]
    assert quick[0].is_preferred
    fixed = apply(BROKEN, quick[0].edit.changes[uri])
    assert fixed.startswith("# A classifier with two mistakes\n")
    assert "loss: {name: sparse_categorical_crossentropy, from_logits: true}" in fixed
    assert "NN103" not in {d.code for d in await change_document(client, uri, 2, fixed)}


async def test_unsafe_fixes_are_offered_but_not_preferred(client: LanguageClient):
    text = REGISTRY["NN114"].failing
    uri, found = await open_document(client, text)
    actions = await actions_for(client, uri, found, "NN114")
    quick = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert len(quick) == 2 and not any(a.is_preferred for a in quick)
    assert all(a.title.endswith("changes what the model does") for a in quick)
    assert not any(a.kind.startswith(types.CodeActionKind.SourceFixAll) for a in actions)


async def test_fix_all_applies_every_certain_fix(client: LanguageClient):
    uri, found = await open_document(client, BROKEN)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(0, 0)),
        types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    assert [a.title for a in actions] == ["Fix every certain problem (nnconf)"]
    fixed = apply(BROKEN, actions[0].edit.changes[uri])
    assert list(await change_document(client, uri, 2, fixed)) == []


# --- no TensorFlow --------------------------------------------------------------------------------


def framed(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def test_the_server_never_imports_tensorflow(tmp_path):
    """A whole session (open, hover, complete, shut down) with Python's import log on."""
    uri = (tmp_path / "net.yaml").as_uri()
    session = b"".join(framed(message) for message in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None,
                                                                       "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": BROKEN}}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 5, "character": 12}}},
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None},
        {"jsonrpc": "2.0", "method": "exit", "params": None},
    ])
    result = await asyncio.to_thread(subprocess.run, [sys.executable, "-X", "importtime", "-m", "nnconf", "lsp"],
                                     input=session, capture_output=True, timeout=120, cwd=ROOT)
    assert b"textDocument/publishDiagnostics" in result.stdout
    assert b"(None, 16)" in result.stdout  # the hover answered
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()}
    assert "nnconf.lsp.server" in imported
    assert "tensorflow" not in imported and "keras" not in imported


# --- reading a config as it is typed --------------------------------------------------------------


BLOCK = dedent("""
    model:
      input_shape: [8, 4]
      layers:
        - type: TimeDistributed
          layer:
            type: Dense
            uni
    metrics:
      - accuracy
      - au
    lint:
      ignore:
        - NN2
""")


@pytest.mark.parametrize("marker, path, key, item, siblings", [
    ("    uni", ["model", "layers", "-", "layer"], None, False, {"type": "Dense"}),
    ("- type: Time", ["model", "layers", "-"], "type", False, {"layer": ""}),
    ("- au", [], "metrics", True, {}),
    ("- NN2", ["lint"], "ignore", True, {}),
    ("input_shape: [8", ["model"], "input_shape", True, {}),
])
async def test_the_cursor_is_read_from_indentation_and_brackets(marker, path, key, item, siblings):
    from nnconf.lsp.cursor import cursor_at

    before = BLOCK[:BLOCK.index(marker) + len(marker)]
    cursor = cursor_at(BLOCK, before.count("\n"), len(before) - before.rfind("\n") - 1)
    assert (cursor.path, cursor.key, cursor.item, cursor.siblings) == (path, key, item, siblings)
