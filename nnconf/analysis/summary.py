"""A model summary from inference alone: layers, output shapes and parameter counts, no TensorFlow."""

from __future__ import annotations

from nnconf.analysis.shapes import Inference
from nnconf.config.layers.base import format_shape
from nnconf.config.model import Config, FunctionalModel


def summary_rows(config: Config, inference: Inference) -> list[tuple[str, str, str, str, str]]:
    functional = isinstance(config.model, FunctionalModel)
    rows = [(name, "Input", format_shape(shape), "0", "") for name, shape in inference.input_shapes.items()]
    for layer in inference.layers:
        shape = format_shape(layer.output_shape) if layer.output_shape is not None else "?"
        rows.append((layer.name, layer.spec.type, shape, f"{layer.params:,}",
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
