"""``python -m bench.lsp``: how soon ``nnconf lsp`` publishes diagnostics after a change.

A pygls client starts the server as an editor would (``python -m nnconf lsp`` over stdin and stdout),
opens a 100-layer config, then changes it again and again (one layer's ``units``, as typing does),
timing each change from the moment the client sends it to the moment the diagnostics for it arrive.
The first changes warm the server up and are left out; the goal is under 100 ms once warm.

    python -m bench.lsp                 # 50 timed changes after 10 warm-up ones
    python -m bench.lsp --changes 200   # more
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from lsprotocol import types
from pygls.lsp.client import LanguageClient

GOAL_MS = 100.0
LAYERS = 100


def config(units: int) -> str:
    """A 100-layer MLP (Dense, BatchNormalization, Dropout blocks) whose first layer has ``units`` units."""
    blocks = []
    for index in range((LAYERS - 1) // 3):
        width = units if index == 0 else 64
        blocks += [f"    - {{type: Dense, units: {width}, activation: relu, kernel_initializer: he_normal}}",
                   "    - {type: BatchNormalization}", "    - {type: Dropout, rate: 0.1}"]
    layers = "\n".join(blocks + ["    - {type: Dense, units: 10}"])
    return (f"name: bench-lsp-{LAYERS}\ntask: multiclass\nmodel:\n  input_shape: [64]\n  layers:\n{layers}\n"
            "loss: {name: sparse_categorical_crossentropy, from_logits: true}\nmetrics: [accuracy]\n")


async def measure(changes: int, warmup: int) -> dict:
    client = LanguageClient("nnconf-bench", "1")
    arrived: dict[int, float] = {}
    published = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        arrived[params.version] = time.perf_counter()
        published.set()

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "nnconf", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    uri = "file:///bench/deep100.yaml"
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=config(64))))
    await _wait(published, arrived, 1)
    first_ms = (arrived[1] - opened) * 1000
    latencies = []
    for version in range(2, 2 + warmup + changes):
        published.clear()
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=config(32 + version % 64))]))
        await _wait(published, arrived, version)
        if version >= 2 + warmup:
            latencies.append((arrived[version] - sent) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    latencies.sort()
    return {"layers": LAYERS, "changes": changes, "warmup": warmup, "start_s": opened - started,
            "first_diagnostics_ms": first_ms, "median_ms": statistics.median(latencies),
            "p90_ms": latencies[int(0.9 * (len(latencies) - 1))], "max_ms": latencies[-1], "goal_ms": GOAL_MS}


async def _wait(published: asyncio.Event, arrived: dict, version: int) -> None:
    while version not in arrived:
        await asyncio.wait_for(published.wait(), timeout=60)
        published.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lsp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=50, help="timed changes (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=10, help="changes before timing starts")
    parser.add_argument("--json", help="also write the measurements to this file")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.changes, args.warmup))
    verdict = "met" if result["p90_ms"] < GOAL_MS else "NOT met"
    print(f"nnconf lsp, {LAYERS}-layer config: diagnostics {result['median_ms']:.1f} ms after a change (median of "
          f"{args.changes}), p90 {result['p90_ms']:.1f} ms, max {result['max_ms']:.1f} ms; first diagnostics "
          f"{result['first_diagnostics_ms']:.0f} ms after opening; goal < {GOAL_MS:.0f} ms warm: {verdict}")
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(result, stream, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
