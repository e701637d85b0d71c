"""``nnconf lsp``: the language server, on pygls, over stdin and stdout.

Every open config is linted when it opens and after every change, and the findings are published
at once as diagnostics; hover, completion and code actions answer from the same lint report. Like
``nnconf lint`` it never imports TensorFlow.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import traceback
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import ServerTextPosition, ServerTextRange, TextDocument

from nnconf import __version__
from nnconf.analysis.pipeline import Report
from nnconf.lsp import features
from nnconf.lsp.features import Analysis, DocumentationLinks

logger = logging.getLogger(__name__)


class ConfigServer(LanguageServer):
    """The server, with the latest analysis of each open document."""

    def __init__(self) -> None:
        super().__init__("nnconf", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.last_valid: dict[str, Report] = {}  # per document: the report of its last version that validated
        self.documentation = DocumentationLinks(None)

    def analysis(self, uri: str) -> Analysis:
        """The lint report of the document as it is now (computed again only if it changed)."""
        document = self.workspace.get_text_document(uri)
        known = self.analyses.get(uri)
        if known is None or known.text != document.source:
            known = self.analyses[uri] = _analysed(document)
            if known.report.config is not None:
                self.last_valid[uri] = known.report
        return known

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        analysis = self.analysis(uri)
        found = [_to_client(document, diagnostic) for diagnostic in features.diagnostics(analysis, self.documentation)]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=document.version))


def _analysed(document: TextDocument) -> Analysis:
    name = to_fs_path(document.uri) or document.uri
    try:
        return features.analyse(document.source, name)
    except Exception:  # a bug in nnconf must not take the editor's server down with it
        logger.error("nnconf could not check %s:\n%s", name, traceback.format_exc())
        return features.failed(document.source, name)


def _to_client(document: TextDocument, diagnostic: types.Diagnostic) -> types.Diagnostic:
    diagnostic.range = _range_to_client(document, diagnostic.range)
    return diagnostic


def _range_to_client(document: TextDocument, where: types.Range) -> types.Range:
    """From code points (Python's characters) to the editor's units (UTF-16 unless it chose another)."""
    server = ServerTextRange(ServerTextPosition(where.start.line, where.start.character),
                             ServerTextPosition(where.end.line, where.end.character))
    return document.range_to_client_units(server)


def _position_from_client(document: TextDocument, position: types.Position) -> tuple[int, int]:
    server = document.position_from_client_units(position)
    return server.line, server.character


server = ConfigServer()


@server.feature(types.INITIALIZED)
def initialized(ls: ConfigServer, params: types.InitializedParams) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nnconf-lsp-docs-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # also when the editor exits without a shutdown
    ls.documentation = DocumentationLinks(folder)


@server.feature(types.SHUTDOWN)
def shutdown(ls: ConfigServer, params: None) -> None:
    if ls.documentation.folder is not None:
        shutil.rmtree(ls.documentation.folder, ignore_errors=True)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ConfigServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ConfigServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ConfigServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.last_valid.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: ConfigServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    return features.hover(ls.analysis(document.uri), *_position_from_client(document, params.position))


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[":", " ", "[", ",", "{", "-"]))
def completion(ls: ConfigServer, params: types.CompletionParams) -> types.CompletionList:
    document = ls.workspace.get_text_document(params.text_document.uri)
    items = features.completions(ls.analysis(document.uri), *_position_from_client(document, params.position),
                                 ls.last_valid.get(document.uri))
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, features.FIX_ALL]))
def code_action(ls: ConfigServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.workspace.get_text_document(params.text_document.uri)
    first, _ = _position_from_client(document, params.range.start)
    last, _ = _position_from_client(document, params.range.end)
    actions = features.code_actions(ls.analysis(document.uri), document.uri, first, last)
    for action in actions:
        for diagnostic in action.diagnostics or ():
            _to_client(document, diagnostic)
        for edits in action.edit.changes.values():
            for edit in edits:
                edit.range = _range_to_client(document, edit.range)
    if params.context.only:
        actions = [a for a in actions if any(a.kind.startswith(kind) for kind in params.context.only)]
    return actions


def main() -> None:
    """Serves one editor over stdin and stdout until it disconnects."""
    logging.basicConfig(level=logging.WARNING, format="nnconf lsp: %(message)s")
    server.start_io()
