"""NN212: a model that cannot be trained in this machine's memory."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.lint.context import LintContext
from nnconf.analysis.lint.rule import Rule
from nnconf.analysis.memory import format_bytes, machine_memory, output_elements, training_memory
from nnconf.findings import Finding, Severity


class TrainingMemoryExceeded(Rule):
    """Training the model needs more memory than this machine has.

    ## What it does
    Estimates what training keeps in memory at once, from the inferred parameter counts and layer
    outputs: the weights, their gradients and the optimizer's state (two values per parameter for
    Adam, one for SGD with momentum, ...) at 4 bytes each, and one batch of every layer's outputs,
    kept for the backward pass, with their gradients. It reports the model when that is more than the
    machine's memory (or the limit of the container lint runs in): on the layer with the most
    parameters, or, where a batch of activations takes most of it, on the layer with the largest
    output. The answer depends on the machine: a model flagged on a laptop may train on a server.

    ## Why is this bad?
    Training would stop part-way with an out-of-memory error, or swap until it crawls. The estimate
    leaves out what TensorFlow itself takes, so a model just under the limit may still not fit.

    ## Instead
    Shrink the reported layer (fewer units or filters, a smaller input), use a smaller
    ``training.batch_size``, or train on a machine with more memory.
    """

    code, name, severity = "NN212", "training-memory", Severity.WARNING
    failing = """
task: regression
model:
  input_shape: [50000]
  layers:
    - {type: Dense, units: 40000, activation: relu}
    - {type: Dense, units: 1}
loss: mse
training: {batch_size: 1000000000}
"""
    fixed = """
task: regression
model:
  input_shape: [500]
  layers:
    - {type: Dense, units: 400, activation: relu}
    - {type: Dense, units: 1}
loss: mse
training: {batch_size: 32}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        available = machine_memory()
        if available is None or not context.inference.complete:
            return
        need = training_memory(context.config, context.inference)
        if need.total <= available:
            return
        parts = (f"{format_bytes(need.weights)} of weights, {format_bytes(need.gradients + need.optimizer)} of "
                 f"gradients and optimizer state, {format_bytes(need.activations)} of activations for a batch of "
                 f"{context.config.training.batch_size}")
        message = (f"training needs about {format_bytes(need.total)} ({parts}), more than this machine's "
                   f"{format_bytes(available)} of memory")
        if need.activations > need.total - need.activations:  # a batch of outputs takes most of it
            largest = max(context.layers, key=lambda layer: output_elements(layer.output_shape))
            hint = (f"use a smaller batch_size (training.batch_size), make the largest output (layer {largest.name!r}) "
                    "smaller, or train on a machine with more memory")
        else:
            largest = max(context.layers, key=lambda layer: layer.params)
            hint = (f"shrink the largest layer, {largest.name!r} ({largest.params:,} parameters), or train on a "
                    "machine with more memory")
        yield self.problem(context, context.layer_path(largest), message, hint=hint)
