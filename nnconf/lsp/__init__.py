"""nnconf's language server: lint findings, inferred shapes, completion and fixes in the editor.

It needs pygls (``pip install 'nnconf[lsp]'``); ``nnconf lsp`` starts it on stdin and stdout.
"""
