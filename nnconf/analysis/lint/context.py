"""What lint rules look at: the validated config, the inferred shapes, and each output's facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from nnconf.analysis.data_facts import DataFacts
from nnconf.analysis.shapes import Inference, LayerShape
from nnconf.config.layers import Layer
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import Path, SourceMap

# Layers that apply a function elementwise and learn nothing (PReLU learns, but only its slope).
ACTIVATION_LAYERS = {"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"}
# Layers that change no values at inference time, so an activation before them still shows after.
PASS_THROUGH = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "Flatten", "Reshape",
                "Permute", "RepeatVector"}
LEARNABLE = {"Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose",
             "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "MultiHeadAttention"}
AFFINE = {"Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose"}


def activation_of(spec: Layer) -> str | None:
    """The activation a layer applies by itself (None: it applies none of its own)."""
    if spec.type in ("ReLU", "LeakyReLU", "PReLU", "ELU"):
        return {"ReLU": "relu", "LeakyReLU": "leaky_relu", "PReLU": "prelu", "ELU": "elu"}[spec.type]
    if spec.type == "Softmax":
        return "softmax"
    if spec.type == "Backbone" and spec.include_top:  # its classifier's; null gives logits
        return spec.classifier_activation.name if spec.classifier_activation is not None else "linear"
    activation = getattr(spec, "activation", None)
    return activation.name if activation is not None and hasattr(activation, "name") else None


@dataclass
class Output:
    """One model output and what decides how it can be trained."""

    name: str  # '' for the one output of a sequential model
    task: str
    loss: object
    layer: LayerShape
    activation: str  # the last activation applied on the way out ('linear' if none)
    units: int | None  # the size of the last axis
    metrics: list = field(default_factory=list)

    def path(self, section: str) -> Path:
        return (section, self.name) if self.name else (section,)

    @property
    def from_logits(self) -> bool:
        return bool(getattr(self.loss, "from_logits", False))

    @property
    def label(self) -> str:
        return f"output {self.name!r}" if self.name else "the output"


class LintContext:
    """Args:
        config, inference, source: the validated config, its shapes, and where its values came from.
        data: facts about the training data, once it is loaded (None before: data rules then pass).
    """

    def __init__(self, config: Config, inference: Inference, source: SourceMap, data: DataFacts | None = None):
        self.config, self.inference, self.source, self.data = config, inference, source, data
        # A layer applied again (shared weights) is judged once, where it is defined with its arguments.
        self.layers = [layer for layer in inference.layers if not layer.shares]
        self.functional = isinstance(config.model, FunctionalModel)
        self._by_name = {layer.name: layer for layer in inference.layers}

    def predecessors(self, layer: LayerShape) -> list[LayerShape]:
        # In a stack each layer takes the one before it (inference names it), a block's layers what they name.
        return [self._by_name[name] for name in layer.input_names if name in self._by_name]

    @cached_property
    def _successors(self) -> dict[str, list[LayerShape]]:
        result: dict[str, list[LayerShape]] = {name: [] for name in self._by_name}
        for layer in self._by_name.values():
            for before in self.predecessors(layer):
                result[before.name].append(layer)
        return result

    def successors(self, layer: LayerShape) -> list[LayerShape]:
        return self._successors[layer.name]

    def is_output(self, layer: LayerShape) -> bool:
        return any(output.layer is layer for output in self.outputs)

    def feeds_output(self, layer: LayerShape) -> bool:
        """Whether ``layer`` is an output, or reaches one through pass-through layers only."""
        current = layer
        while not self.is_output(current):
            after = self.successors(current)
            if len(after) != 1 or after[0].spec.type not in PASS_THROUGH:
                return False
            current = after[0]
        return True

    def layer_path(self, layer: LayerShape, *keys) -> Path:
        return (*layer.path, *keys)  # a block's layer: where the block writes it

    def last_activation(self, layer: LayerShape) -> str:
        """The activation in effect at ``layer``'s output, looking back through pass-through layers."""
        current: LayerShape | None = layer
        while current is not None:
            activation = activation_of(current.spec)
            if activation is not None:
                return activation
            if current.spec.type not in PASS_THROUGH:
                return "linear"
            before = self.predecessors(current)
            current = before[0] if len(before) == 1 else None
        return "linear"

    @cached_property
    def outputs(self) -> list[Output]:
        tasks, losses = self.config.tasks(), self.config.losses()
        result = []
        for name in self.config.output_names():
            layer = self._by_name.get(name) if name else self.layers[-1]
            if layer is None or name not in tasks or name not in losses:
                continue
            shape = layer.output_shape
            units = shape[-1] if shape else None
            result.append(Output(name, tasks[name], losses[name], layer, self.last_activation(layer), units,
                                 self.config.metrics_of(name)))
        return result
