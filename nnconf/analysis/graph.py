"""The model's graph in Graphviz's DOT language, from inference alone: no TensorFlow.

Each node is a model input or a layer, labelled with its name, type, output shape and parameter
count; model outputs have a double border. DOT is text nnconf writes itself; SVG and PNG come from
Graphviz's ``dot`` program where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess

from nnconf.analysis.shapes import Inference
from nnconf.config.layers.base import format_shape
from nnconf.config.model import Config, FunctionalModel

RENDERED = ("svg", "png")
INSTALL_GRAPHVIZ = ("Graphviz's dot program is needed for SVG and PNG and is not installed: install Graphviz "
                    "(apt install graphviz, dnf install graphviz, brew install graphviz, or "
                    "https://graphviz.org/download/), or write DOT with -o model.dot")
# Rendering a few hundred nodes takes well under a second; a hung dot must not hang nnconf.
RENDER_TIMEOUT_S = 120


class GraphvizError(Exception):
    """Graphviz is missing or failed; the message says what to do."""


def to_dot(config: Config, inference: Inference) -> str:
    """The graph of a config whose shapes were inferred, as DOT text."""
    outputs = {inference.resolved(name) for name in config.model.output_names} if isinstance(
        config.model, FunctionalModel) else {inference.last}
    ids: dict[str, str] = {}
    lines = [f"digraph {_quoted(config.name or 'model')} {{",
             "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fa", fontname="Helvetica", fontsize=11];',
             '  edge [color="#555555"];']
    for index, (name, shape) in enumerate(inference.input_shapes.items()):
        ids[name] = f"input{index}"
        label = _label(name, "Input", format_shape(shape), None)
        lines.append(f'  {ids[name]} [label={label}, fillcolor="#e3effd"];')
    for position, layer in enumerate(inference.layers):  # a block use's layers share the use's index
        ids[layer.name] = f"layer{position}"
    for layer in inference.layers:
        shape = format_shape(layer.output_shape) if layer.output_shape is not None else "?"
        extra = ", peripheries=2" if layer.name in outputs else ""
        lines.append(f"  {ids[layer.name]} [label={_label(layer.name, layer.kind, shape, layer.params)}{extra}];")
    for layer in inference.layers:
        for source in layer.input_names:
            if source in ids:
                lines.append(f"  {ids[source]} -> {ids[layer.name]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(name: str, kind: str, shape: str, params: int | None) -> str:
    rows = [name, kind, shape] + ([f"{params:,} params"] if params is not None else [])
    return _quoted("\n".join(rows))


def _quoted(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, newlines as DOT's centred line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(dot: str, fmt: str) -> bytes:
    """``dot`` rendered by Graphviz to ``svg`` or ``png``."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizError(INSTALL_GRAPHVIZ)
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                              timeout=RENDER_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as problem:
        raise GraphvizError(f"Graphviz's dot could not render the graph: {problem}") from None
    if done.returncode != 0 or not done.stdout:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphvizError("Graphviz's dot could not render the graph" + (f": {said[-1]}" if said else ""))
    return done.stdout
