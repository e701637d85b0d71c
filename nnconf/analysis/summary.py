"""A model summary from inference alone: layers, output shapes and parameter counts, no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from nnconf.analysis.shapes import Inference
from nnconf.config.layers.base import format_shape
from nnconf.config.model import Config, FunctionalModel


def summary_rows(config: Config, inference: Inference) -> list[tuple[str, str, str, str, str]]:
    functional = isinstance(config.model, FunctionalModel)
    rows = [(name, "Input", format_shape(shape), "0", "") for name, shape in inference.input_shapes.items()]
    for layer in inference.layers:
        shape = format_shape(layer.output_shape) if layer.output_shape is not None else "?"
        rows.append((layer.name, layer.kind, shape, f"{layer.params:,}",
                     ", ".join(layer.input_names) if functional else ""))
    return rows


def format_summary(config: Config, inference: Inference) -> str:
    functional = isinstance(config.model, FunctionalModel)
    header = ("Layer", "Type", "Output shape", "Params") + (("Inputs",) if functional else ())
    rows = [row[: len(header)] for row in summary_rows(config, inference)]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row) -> str:
        cells = [str(cell).rjust(w) if i == 3 else str(cell).ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    kind = "functional" if functional else "sequential"
    rule = "-" * len(line(header))
    total, trainable = inference.total_params, inference.trainable_params
    return "\n".join([
        f"Model: {config.name or 'unnamed'} ({kind})", rule, line(header), rule, *map(line, rows), rule,
        f"Total params: {total:,} (trainable: {trainable:,}, non-trainable: {total - trainable:,})",
    ]) + "\n"


@dataclass(frozen=True)
class SummaryRow:
    """One row of a summary: a model input or a layer.

    Args:
        name: the input's or layer's name.
        type: the layer type (``Dense``), or ``Input``.
        output_shape: the output's shape with the batch axis, ``(None, 28, 28)``, as Keras writes it;
            None where the shape does not work out.
        params: its parameter count, as Keras counts it.
        inputs: in functional models, the names of what it takes.
    """

    name: str
    type: str
    output_shape: tuple | None
    params: int
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    """What ``nnconf summary`` shows: every layer's output shape and parameter count, with totals.

    ``str()`` is the command's table; in Jupyter it shows as an HTML table.
    """

    name: str | None
    functional: bool
    rows: tuple[SummaryRow, ...]
    total_params: int
    trainable_params: int
    text: str = field(repr=False)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        header = ["Layer", "Type", "Output shape", "Params"] + (["Inputs"] if self.functional else [])
        cells = [[row.name, row.type, "?" if row.output_shape is None else format_shape(row.output_shape[1:]),
                  f"{row.params:,}"] + ([", ".join(row.inputs)] if self.functional else []) for row in self.rows]
        kind = "functional" if self.functional else "sequential"
        head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
        body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in cells)
        return (f"<table><caption>Model: {escape(self.name or 'unnamed')} ({kind})</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>Total params: {self.total_params:,} (trainable: {self.trainable_params:,}, "
                f"non-trainable: {self.non_trainable_params:,})</p>")


def summarize(config: Config, inference: Inference) -> Summary:
    """The summary of a checked config from its inferred shapes."""
    rows = [SummaryRow(name, "Input", (None, *shape), 0) for name, shape in inference.input_shapes.items()]
    functional = isinstance(config.model, FunctionalModel)
    for layer in inference.layers:
        shape = None if layer.output_shape is None else (None, *layer.output_shape)
        rows.append(SummaryRow(layer.name, layer.kind, shape, layer.params,
                               tuple(layer.input_names) if functional else ()))
    return Summary(config.name, functional, tuple(rows), inference.total_params, inference.trainable_params,
                   format_summary(config, inference))
