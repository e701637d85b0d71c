"""How much memory a model needs, estimated from its inferred shapes, without TensorFlow.

Two findings come from here:

- An error (NN008, in the checking pipeline, so that ``validate`` refuses the config before anything
  is built): a weight, or one sample's output of a layer, with more than ``MAX_TENSOR_ELEMENTS``
  elements. TensorFlow indexes many of its kernels with 32-bit integers (on GPUs above all), so a
  tensor that size cannot be relied on anywhere, whatever the machine; and such a weight alone takes
  8 GiB or more.
- The estimate of what training takes (weights, gradients, optimizer state and a batch of
  activations), which the lint rule NN212 compares with this machine's memory.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path as FsPath

from nnconf import codes
from nnconf.analysis.shapes import Inference, LayerShape
from nnconf.config import optimizers
from nnconf.config.layers import Shape
from nnconf.config.model import Config
from nnconf.config.source import SourceMap, format_path
from nnconf.findings import Finding

MAX_TENSOR_ELEMENTS = 2**31 - 1
BYTES_PER_VALUE = 4  # float32, Keras's default dtype


def oversized_tensors(inference: Inference, source: SourceMap) -> list[Finding]:
    """An error at each layer with a weight, or an output per sample, too large for one tensor."""
    findings = []
    for layer in inference.layers:
        message = _oversized(layer)
        if message is not None:
            path = ("model", "layers", layer.index)
            file, line, column = source.locate(path)
            findings.append(Finding(
                codes.MEMORY, message, path=format_path(path), file=file, line=line, column=column,
                hint="make the layer or its input smaller (fewer units or filters; pool, stride or crop before it)"))
    return findings


def _oversized(layer: LayerShape) -> str | None:
    limit = (f"more than the {MAX_TENSOR_ELEMENTS:,} that one TensorFlow tensor holds safely (many of its kernels "
             "index with 32-bit integers)")
    for weight, shape in layer.weights.items():
        elements = math.prod(shape)
        if elements > MAX_TENSOR_ELEMENTS:
            return (f"layer {layer.name!r} ({layer.spec.type}): its weight {weight!r} of shape {list(shape)} has "
                    f"{elements:,} elements ({format_bytes(elements * BYTES_PER_VALUE)}), {limit}")
    elements = output_elements(layer.output_shape)
    if elements > MAX_TENSOR_ELEMENTS:
        return (f"layer {layer.name!r} ({layer.spec.type}): its output of shape {list(layer.output_shape)} has "
                f"{elements:,} elements for each sample, {limit}")
    return None


def output_elements(shape: Shape | None) -> int:
    """Elements of one sample's tensor; an axis of unknown size (None) counts as 1."""
    return math.prod(size for size in shape or () if size is not None)


# --- what training needs --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes that training a model keeps in memory at once, by what holds them (an estimate)."""

    weights: int
    gradients: int
    optimizer: int  # the optimizer's state: Adam's two moments, SGD's momentum, ...
    activations: int  # one batch: the layers' outputs, kept for the backward pass, and their gradients

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations


def training_memory(config: Config, inference: Inference) -> TrainingMemory:
    """What training ``config`` keeps in memory, from its parameter counts and layer outputs."""
    trainable = inference.trainable_params * BYTES_PER_VALUE
    per_sample = sum(map(output_elements, inference.input_shapes.values()))
    per_sample += sum(output_elements(layer.output_shape) for layer in inference.layers)
    return TrainingMemory(
        weights=inference.total_params * BYTES_PER_VALUE,
        gradients=trainable,
        optimizer=optimizer_slots(config.optimizer) * trainable,
        activations=2 * per_sample * config.training.batch_size * BYTES_PER_VALUE,
    )


def optimizer_slots(optimizer: optimizers.Optimizer) -> int:
    """How many values the optimizer keeps per trainable parameter (Keras 3's optimizers' build())."""
    if isinstance(optimizer, (optimizers.Adam, optimizers.AdamW)):
        slots = 3 if optimizer.amsgrad else 2  # momentum, velocity (and the velocity's maximum)
    elif isinstance(optimizer, (optimizers.Adamax, optimizers.Nadam, optimizers.Adadelta)):
        slots = 2
    elif isinstance(optimizer, optimizers.SGD):
        slots = 1 if optimizer.momentum else 0
    elif isinstance(optimizer, optimizers.RMSprop):
        slots = 1 + (optimizer.momentum > 0) + optimizer.centered
    else:  # Adagrad's accumulator, Lion's momentum
        slots = 1
    return slots + optimizer.use_ema + (optimizer.gradient_accumulation_steps is not None)


def machine_memory() -> int | None:
    """Bytes of memory this machine has, or the limit of the container it runs in where that is lower;
    None where neither can be read. Physical memory rather than what is free at the moment, so that
    lint says the same thing from one run to the next."""
    sizes = []
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and page_size > 0:
            sizes.append(pages * page_size)
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name here
        pass
    try:
        limit = FsPath("/sys/fs/cgroup/memory.max").read_text().strip()  # cgroup v2; "max" when unlimited
        if limit.isdigit():
            sizes.append(int(limit))
    except OSError:
        pass
    return min(sizes, default=None)


def format_bytes(count: int) -> str:
    """``34359738352`` -> ``32.0 GiB``."""
    if count < 1024:
        return f"{count} bytes"
    size = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024:
            break
    return f"{size:,.1f} {unit}"
