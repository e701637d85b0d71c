"""Lint rules for pretrained backbones (keras.applications models as layers): their input preprocessing
and their fine-tuning schedule."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.lint.context import LintContext
from nnconf.analysis.lint.rule import Rule
from nnconf.analysis.shapes import LayerShape
from nnconf.findings import Finding, Severity

# Layers that put pixel values on another scale: what a model does when it prepares its own inputs.
PREPARING_LAYERS = {"Rescaling", "Normalization", "BatchNormalization", "LayerNormalization"}
# What each keras.applications preprocess_input does (backbones_table.json's "preprocessing").
EXPECTED_INPUTS = {
    "tf": "pixels scaled to [-1, 1]",
    "torch": "pixels scaled to [0, 1], then normalized by the ImageNet mean and standard deviation per channel",
    "caffe": "BGR channel order, with the ImageNet mean pixel subtracted from 0-255 values",
}
SCALE_TO_PLUS_MINUS_ONE = "{type: Rescaling, scale: 0.00784313725490196, offset: -1}"
TORCH_LAYERS = ("{type: Rescaling, scale: 0.00392156862745098}, then {type: Normalization, "
                "mean: [0.485, 0.456, 0.406], variance: [0.052441, 0.050176, 0.050625]}")
SELF_PREPARING = "EfficientNet, EfficientNetV2, ConvNeXt and MobileNetV3"


def _backbones(context: LintContext) -> Iterator[LayerShape]:
    return (layer for layer in context.layers if layer.spec.type == "Backbone")


def _before(context: LintContext, layer: LayerShape) -> list[LayerShape]:
    """Every layer between the model's inputs and ``layer``."""
    found, stack = {}, list(context.predecessors(layer))
    while stack:
        current = stack.pop()
        if current.name not in found:
            found[current.name] = current
            stack.extend(context.predecessors(current))
    return list(found.values())


class BackbonePreprocessing(Rule):
    """A pretrained backbone fed images not prepared as its weights expect.

    ## What it does
    Finds a Backbone with ImageNet weights whose keras.applications model expects its inputs
    prepared by the application's ``preprocess_input`` (ResNet, VGG and DenseNet, MobileNet and
    MobileNetV2, Inception, Xception, NASNet), when nothing before it prepares them: no Rescaling or
    Normalization layer on the way from the input, no ``data.scale`` and no ``data.standardize``.
    It also finds the opposite: the applications that prepare their inputs themselves
    (EfficientNet, EfficientNetV2, ConvNeXt, MobileNetV3 take 0-255 pixels) fed pixels that were
    scaled already.

    ## Why is this bad?
    Pretrained weights only recognize what they saw in training: images on another scale (0-255
    instead of [-1, 1]) or in another channel order make the features meaningless, so a frozen
    backbone gives a new classifier little to learn from, and the run ends far below what the
    same backbone reaches with prepared inputs.

    ## Instead
    Add the preparation as layers before the backbone (a Rescaling to [-1, 1] for ``tf``-style
    applications, a Rescaling and a Normalization for DenseNet), prepare the images with the
    application's ``preprocess_input`` before training (ResNet's and VGG's ``caffe`` style needs BGR
    channels), or choose an application that prepares its inputs itself. For those, leave the pixels
    at 0-255.
    """

    code, name, severity = "NN220", "backbone-preprocessing", Severity.WARNING
    failing = """
task: multiclass
model:
  input_shape: [160, 160, 3]
  layers:
    - {type: Backbone, model: MobileNetV2, include_top: false, pooling: avg, trainable: false}
    - {type: Dense, units: 5}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""
    fixed = """
task: multiclass
model:
  input_shape: [160, 160, 3]
  layers:
    - {type: Rescaling, scale: 0.00784313725490196, offset: -1}
    - {type: Backbone, model: MobileNetV2, include_top: false, pooling: avg, trainable: false}
    - {type: Dense, units: 5}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        data = context.config.data
        data_scaled = data is not None and (getattr(data, "scale", None) is not None or getattr(data, "standardize", False))
        for layer in _backbones(context):
            spec = layer.spec
            if spec.weights != "imagenet":
                continue
            mode = spec.entry["preprocessing"]
            preparing = [before for before in _before(context, layer) if before.spec.type in PREPARING_LAYERS]
            if mode == "included" and (preparing or data_scaled):
                how = f"{preparing[0].name!r} ({preparing[0].spec.type})" if preparing else "the data settings"
                yield self.problem(
                    context, context.layer_path(layer, "model"),
                    f"{spec.model} prepares its inputs itself and expects 0-255 pixels, but {how} scale them first",
                    hint="leave the pixels at 0-255: remove data.scale or data.standardize and the scaling layers "
                         "before the backbone")
            elif mode != "included" and not preparing and not data_scaled:
                yield self.problem(
                    context, context.layer_path(layer, "model"),
                    f"{spec.model}'s ImageNet weights expect inputs prepared as keras.applications."
                    f"{spec.entry['module']}.preprocess_input prepares them ({EXPECTED_INPUTS[mode]}), and nothing "
                    f"before {layer.name!r} prepares them", hint=self._hint(mode, spec.entry["module"]))

    @staticmethod
    def _hint(mode: str, module: str) -> str:
        if mode == "tf":
            return f"for 0-255 pixels, add {SCALE_TO_PLUS_MINUS_ONE} before the backbone"
        if mode == "torch":
            return f"for 0-255 pixels, add {TORCH_LAYERS} before the backbone"
        return (f"prepare the images with keras.applications.{module}.preprocess_input before training, or use "
                f"an application that prepares its inputs itself ({SELF_PREPARING})")


class FineTuneNeverStarts(Rule):
    """A backbone's fine-tuning that starts after the last epoch.

    ## What it does
    Finds a Backbone whose ``fine_tune.after_epoch`` is not below ``training.epochs``.

    ## Why is this bad?
    The backbone stays frozen for the whole run: the fine-tuning that the config asks for never
    happens, and nothing else says so.

    ## Instead
    Train for more epochs than ``after_epoch``, or start fine-tuning earlier.
    """

    code, name, severity = "NN221", "fine-tune-never-starts", Severity.WARNING
    failing = """
task: binary
model:
  input_shape: [96, 96, 3]
  layers:
    - {type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       fine_tune: {after_epoch: 10, learning_rate: 1e-5}}
    - {type: Dense, units: 1}
loss: {name: binary_crossentropy, from_logits: true}
training: {epochs: 10}
"""
    fixed = """
task: binary
model:
  input_shape: [96, 96, 3]
  layers:
    - {type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       fine_tune: {after_epoch: 5, learning_rate: 1e-5}}
    - {type: Dense, units: 1}
loss: {name: binary_crossentropy, from_logits: true}
training: {epochs: 10}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        epochs = context.config.training.epochs
        for layer in _backbones(context):
            fine_tune = layer.spec.fine_tune
            if fine_tune is not None and fine_tune.after_epoch >= epochs:
                yield self.problem(
                    context, context.layer_path(layer, "fine_tune", "after_epoch"),
                    f"fine-tuning {layer.name!r} starts after epoch {fine_tune.after_epoch}, but training has "
                    f"{epochs} epochs: the backbone stays frozen throughout",
                    hint=f"set training.epochs above {fine_tune.after_epoch}, or start fine-tuning earlier")


class SeveralFineTunes(Rule):
    """More than one backbone with ``fine_tune``.

    ## What it does
    Finds a second Backbone with ``fine_tune`` in one model.

    ## Why is this bad?
    Fine-tuning compiles the model again with one new optimizer and learning rate; two schedules
    for one optimizer cannot both be followed.

    ## Instead
    Fine-tune one backbone; train the other one from the start (``trainable: true``) or keep it frozen.
    """

    code, name, severity = "NN222", "several-fine-tunes", Severity.ERROR
    failing = """
task: binary
model:
  inputs: {left: [96, 96, 3], right: [96, 96, 3]}
  layers:
    - {name: a, type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       inputs: left, fine_tune: {after_epoch: 2}}
    - {name: b, type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       inputs: right, fine_tune: {after_epoch: 3}}
    - {name: both, type: Concatenate, inputs: [a, b]}
    - {name: out, type: Dense, units: 1, inputs: both}
  outputs: out
loss: {name: binary_crossentropy, from_logits: true}
training: {epochs: 5}
"""
    fixed = """
task: binary
model:
  inputs: {left: [96, 96, 3], right: [96, 96, 3]}
  layers:
    - {name: a, type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       inputs: left, fine_tune: {after_epoch: 2}}
    - {name: b, type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false,
       inputs: right}
    - {name: both, type: Concatenate, inputs: [a, b]}
    - {name: out, type: Dense, units: 1, inputs: both}
  outputs: out
loss: {name: binary_crossentropy, from_logits: true}
training: {epochs: 5}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        tuned = [layer for layer in _backbones(context) if layer.spec.fine_tune is not None]
        for layer in tuned[1:]:
            yield self.problem(context, context.layer_path(layer, "fine_tune"),
                               f"{layer.name!r} is the second backbone with fine_tune (after {tuned[0].name!r}); "
                               "one fine-tuning schedule per model",
                               hint="leave fine_tune out here, and keep this backbone frozen or trainable throughout")
