"""NN2xx: the architecture: activations, normalization, dropout and the shape of the layer stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from nnconf.analysis.lint.context import (
    ACTIVATION_LAYERS, AFFINE, LEARNABLE, PASS_THROUGH, LintContext, activation_of,
)
from nnconf.analysis.lint.rule import Rule, setting
from nnconf.analysis.shapes import LayerShape
from nnconf.config.functions import SATURATING
from nnconf.config.layers import Layer
from nnconf.config.source import Path
from nnconf.findings import Edit, Finding, Fix, Severity

# Layers that apply an activation function and nothing else (``Activation`` takes it by name).
ACTIVATION_ONLY = ACTIVATION_LAYERS | {"Activation"}
NORMALIZATION = {"BatchNormalization", "LayerNormalization"}
DROPOUTS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D"}
MAX_POOLING = {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D"}
AVERAGE_POOLING = {"AveragePooling1D", "AveragePooling2D", "AveragePooling3D"}
LOCAL_POOLING = MAX_POOLING | AVERAGE_POOLING
GLOBAL_POOLING = {"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"}
# Convolutions that extract features (transposed convolutions upsample and are left out).
CONVOLUTIONS = {"Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D"}
SPATIAL_AFFINE = AFFINE - {"Dense"}
UPSAMPLING = {"Conv2DTranspose", "UpSampling2D"}
SEQUENCE_SUMMARIES = {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "MultiHeadAttention"}
RESIDUAL_MERGES = {"Add", "Average"}
RESHAPES = {"Flatten", "Reshape", "Permute"}
# Layers whose output is a linear (affine) function of their input at inference time, so a linear
# layer before them and an affine layer after them still compose into one affine map.
LINEAR_LAYERS = (PASS_THROUGH | NORMALIZATION | AVERAGE_POOLING | {"GlobalAveragePooling1D", "GlobalAveragePooling2D"}
                 | {"Rescaling", "UpSampling2D", "ZeroPadding2D", "Cropping2D"})
# Sigmoid-like activations: not zero-centred, and their slope is at most 1/4.
SIGMOID_LIKE = {"sigmoid", "hard_sigmoid"}
KERNEL_INITIALIZERS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")


# --- what the rules share ----------------------------------------------------------------------


def _spec(layer: LayerShape) -> Layer:
    """The layer that does the work: the wrapped one for TimeDistributed."""
    spec = layer.spec
    return spec.layer if spec.type == "TimeDistributed" else spec


def _prefix(layer: LayerShape) -> tuple:
    """Where the working layer's own arguments sit under the layer's path."""
    return ("layer",) if layer.spec.type == "TimeDistributed" else ()


def _type(layer: LayerShape) -> str:
    return _spec(layer).type


def _activation(layer: LayerShape) -> str:
    """The activation the layer applies by itself ('linear' if none)."""
    return activation_of(_spec(layer)) or "linear"


def _nonlinear(layer: LayerShape) -> bool:
    return _activation(layer) != "linear"


def _is_affine(layer: LayerShape) -> bool:
    return _type(layer) in AFFINE


def _linear_layer(layer: LayerShape) -> bool:
    """Values flow through it linearly (a linear Activation included)."""
    return layer.spec.type in LINEAR_LAYERS or layer.spec.type == "Activation" and not _nonlinear(layer)


def _pass_through(layer: LayerShape) -> bool:
    """It leaves an activation's output as it was (at inference), a linear Activation included."""
    return layer.spec.type in PASS_THROUGH or layer.spec.type == "Activation" and not _nonlinear(layer)


def _source(context: LintContext, layer: LayerShape, passes: Callable[[LayerShape], bool]) -> LayerShape | None:
    """The first layer before ``layer`` that ``passes`` does not look through, along a single-input chain.

    None where the chain branches (a merge) or reaches a model input first.
    """
    current = layer
    while True:
        before = context.predecessors(current)
        if len(before) != 1:
            return None
        current = before[0]
        if not passes(current):
            return current


def _activation_path(context: LintContext, layer: LayerShape) -> Path:
    spec = _spec(layer)
    keys = ("activation",) if "activation" in type(spec).model_fields else ()
    return context.layer_path(layer, *_prefix(layer), *keys)


def _channels(layer: LayerShape, shape) -> int | None:
    """The feature (channel) count of one of the layer's shapes."""
    if not shape or isinstance(shape, list):
        return None
    return shape[0] if getattr(_spec(layer), "data_format", None) == "channels_first" else shape[-1]


def _rate(layer: LayerShape) -> float:
    return getattr(layer.spec, "rate", None) or getattr(layer.spec, "stddev", None) or 0.0


def _downstream(context: LintContext, layer: LayerShape) -> Iterator[LayerShape]:
    """Every layer that depends on ``layer``."""
    seen, stack = set(), list(context.successors(layer))
    while stack:
        current = stack.pop()
        if current.name not in seen:
            seen.add(current.name)
            yield current
            stack.extend(context.successors(current))


def _hidden(context: LintContext, layer: LayerShape) -> bool:
    """Some learnable layer stands between ``layer`` and every output it reaches."""
    stack, seen = [layer], set()
    while stack:
        current = stack.pop()
        if context.is_output(current):
            return False
        for after in context.successors(current):
            if after.name not in seen and after.spec.type not in LEARNABLE:
                seen.add(after.name)
                stack.append(after)
    return True


def _chains(context: LintContext, members: list[LayerShape],
            barrier: Callable[[LayerShape], bool]) -> list[list[LayerShape]]:
    """Runs of ``members`` that follow one another along single-input chains, input side first.

    Between two members of a run stand only layers that are neither members nor barriers.
    """
    names = {layer.name for layer in members}
    previous: dict[str, LayerShape | None] = {}
    for layer in members:
        before = _source(context, layer, lambda other: other.name not in names and not barrier(other))
        previous[layer.name] = before if before is not None and before.name in names else None
    followed = {before.name for before in previous.values() if before is not None}
    chains = []
    for end in members:
        if end.name in followed:
            continue
        chain, current = [], end
        while current is not None:
            chain.append(current)
            current = previous[current.name]
        chains.append(chain[::-1])
    return chains


def _projection(layer: LayerShape) -> bool:
    """A depthwise or 1x1 convolution: it mixes or scales channels rather than extracting features."""
    spec = layer.spec
    return spec.type == "DepthwiseConv2D" or spec.type in CONVOLUTIONS and max(spec.per_axis("kernel_size")) == 1


# --- rules -------------------------------------------------------------------------------------


class LinearStack(Rule):
    """Affine layers stacked with nothing nonlinear between them.

    ## What it does
    Finds a Dense or convolution layer with a linear activation (the default) whose output reaches
    another Dense or convolution layer through linear layers only: Dropout, BatchNormalization,
    LayerNormalization, Flatten, Reshape, GaussianNoise, Rescaling, average pooling, padding,
    upsampling. Activation layers, a nonlinear ``activation`` and max pooling break the chain.
    It reports each chain once, whole, at its second layer:

    - an error where the chain runs from the model's input to an output with nothing nonlinear
      before it: the model collapses into a linear one (with its output's activation);
    - a warning otherwise, e.g. a linear Dense feeding a nonlinear one: the linear layer is
      redundant, but the model is not linear.

    ## Why is this bad?
    A composition of affine maps is one affine map: the stack has the expressive power of a single
    layer, and the hidden layer (usually its forgotten ``activation``) adds parameters and nothing else.
    A linear output layer (logits) is fine when a nonlinear layer comes before it.

    Depthwise convolutions next to a convolution (a factorised convolution), and linear bottlenecks
    narrower than both what goes in and what comes out (MobileNetV2's projections, an autoencoder's
    linear code) are deliberate low-rank factorisations and are not reported.

    ## Instead
    Give the first layer an activation (``activation: relu``), or add an activation layer after its
    normalization; if one affine map is what you want, use one layer.
    """

    code, name, severity = "NN201", "linear-stack", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if not _is_affine(layer):
                continue
            first = self._linear_before(context, layer)
            if first is None or self._linear_before(context, first) is not None:
                continue  # no chain, or ``layer`` is not its second layer
            chain = self._chain(context, first)
            names = " -> ".join(repr(link.name) for link in chain)
            hint = f"give {first.name!r} an activation (e.g. activation: relu), or merge the layers"
            if _from_input(context, first) and context.feeds_output(chain[-1]):
                yield self.problem(context, context.layer_path(layer),
                                   f"{names}: nothing nonlinear between them or before them, so their affine maps "
                                   "collapse into one, and the model into a linear one", hint=hint)
            else:
                # The linear layers could be merged into the last one: they are redundant.
                redundant = [link.name for link in chain[:-1]]
                yield self.problem(context, context.layer_path(layer),
                                   f"{names}: nothing nonlinear between them, so their affine maps compose into one: "
                                   f"{', '.join(repr(name) for name in redundant)} (linear) "
                                   f"add{'s' * (len(redundant) == 1)} parameters and nothing else", hint=hint,
                                   severity=Severity.WARNING)

    def _chain(self, context: LintContext, first: LayerShape) -> list[LayerShape]:
        """The affine layers that follow ``first``, each fed by the one before through linear layers only
        (the last may be nonlinear)."""
        chain = [first]
        while True:
            following = [layer for layer in context.layers
                         if _is_affine(layer) and self._linear_before(context, layer) is chain[-1]]
            if len(following) != 1:
                return chain
            chain.append(following[0])

    @staticmethod
    def _linear_before(context: LintContext, layer: LayerShape) -> LayerShape | None:
        """The linear affine layer that feeds ``layer`` through linear layers only, if any."""
        before = _source(context, layer, _linear_layer)
        if before is None or not _is_affine(before) or _nonlinear(before) or _factorised(before, layer):
            return None
        return before


def _from_input(context: LintContext, layer: LayerShape) -> bool:
    """Whether ``layer`` takes a model input through linear layers only (nothing nonlinear before it)."""
    current = layer
    while True:
        before = context.predecessors(current)
        if not before:
            return True
        if len(before) != 1 or not _linear_layer(before[0]):
            return False
        current = before[0]


def _factorised(first: LayerShape, second: LayerShape) -> bool:
    """Whether two linear affine layers in a row are a deliberate factorisation of one map."""
    if "DepthwiseConv2D" in (_type(first), _type(second)):
        return True  # depthwise then pointwise: a separable convolution
    inside, given, made = (_channels(first, first.output_shape), _channels(first, first.input_shape),
                           _channels(second, second.output_shape))
    # A linear bottleneck (narrower than what goes in and what comes out) is a low-rank factorisation,
    # not a redundant layer: MobileNetV2's projections, an autoencoder's linear code.
    return None not in (inside, given, made) and inside < given and inside < made


class DoubleActivation(Rule):
    """Two activations in a row.

    ## What it does
    Finds an activation layer (``Activation``, ``ReLU``, ``Softmax``, ...) applying a nonlinear
    activation to the output of a layer that already applies one, with no learnable layer between
    them (looking through Dropout, Flatten, Reshape and other layers that leave values as they are),
    e.g. ``Dense(activation: relu)`` then ``ReLU``, or ``Dense(activation: softmax)`` then ``Softmax``.

    ## Why is this bad?
    The second activation is at best a no-op (relu after relu) and at worst distorts the output:
    softmax of probabilities is nearly uniform, sigmoid of a relu is never below 0.5.

    ## Instead
    Keep one of them: either the layer's ``activation`` or the activation layer after it.
    """

    code, name, severity = "NN202", "double-activation", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: ReLU}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if layer.spec.type not in ACTIVATION_ONLY or not _nonlinear(layer):
                continue
            before = _source(context, layer, _pass_through)
            if before is None or not (_is_affine(before) or before.spec.type in ACTIVATION_ONLY):
                continue
            if _nonlinear(before):
                yield self.problem(
                    context, _activation_path(context, layer),
                    f"{layer.name!r} applies {_activation(layer)} to the output of {before.name!r}, which already "
                    f"applies {_activation(before)}",
                    hint=f"keep one activation: remove {layer.name!r}, or set {before.name!r} to activation: linear")


class DeepSaturatingStack(Rule):
    """A deep stack of sigmoid or tanh layers without normalization.

    ## What it does
    Finds a model with four or more hidden Dense or convolution layers (or activation layers) using
    saturating activations (sigmoid, hard_sigmoid, tanh, softsign), at least one of them sigmoid-like,
    or six or more with tanh alone, and no BatchNormalization, LayerNormalization or residual ``Add``.
    The output layer and the gates inside recurrent layers are not counted. (Tanh is zero-centred and
    trains well with Glorot initialisation at LeNet-like depths, so four tanh layers are not reported.)

    ## Why is this bad?
    Sigmoid and tanh flatten out away from zero; their slopes multiply layer by layer in
    backpropagation (sigmoid's is at most 1/4), so the gradient reaching the first layers vanishes and
    they barely learn.

    ## Instead
    Use relu (or gelu, elu) in hidden layers, or normalize between layers with BatchNormalization or
    LayerNormalization.
    """

    code, name, severity = "NN203", "deep-saturating-stack", Severity.WARNING
    failing = """
task: binary
model:
  input_shape: [8]
  layers:
    - {type: Dense, units: 16, activation: sigmoid}
    - {type: Dense, units: 16, activation: sigmoid}
    - {type: Dense, units: 16, activation: sigmoid}
    - {type: Dense, units: 16, activation: sigmoid}
    - {type: Dense, units: 1, activation: sigmoid}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model:
  input_shape: [8]
  layers:
    - {type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}
    - {type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}
    - {type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}
    - {type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}
    - {type: Dense, units: 1, activation: sigmoid}
loss: binary_crossentropy
"""
    MINIMUM, MINIMUM_WITHOUT_SIGMOID = 4, 6

    def check(self, context: LintContext) -> Iterator[Finding]:
        if any(layer.spec.type in NORMALIZATION | RESIDUAL_MERGES for layer in context.layers):
            return
        saturating = [layer for layer in context.layers
                      if (_is_affine(layer) or layer.spec.type in ACTIVATION_ONLY)
                      and _activation(layer) in SATURATING and not context.feeds_output(layer)]
        sigmoid_like = any(_activation(layer) in SIGMOID_LIKE for layer in saturating)
        if len(saturating) < (self.MINIMUM if sigmoid_like else self.MINIMUM_WITHOUT_SIGMOID):
            return
        names = sorted({_activation(layer) for layer in saturating})
        yield self.problem(
            context, _activation_path(context, saturating[0]),
            f"{len(saturating)} hidden layers with saturating activations ({', '.join(names)}) and no "
            "normalization: the gradient reaching the first layers vanishes",
            hint="use relu (or gelu) in hidden layers, or add BatchNormalization or LayerNormalization between them")


class SeluMisconfigured(Rule):
    """Selu without what self-normalisation needs.

    ## What it does
    Finds a layer with ``activation: selu`` (or an ``Activation(selu)`` right after it) whose kernel is
    not LeCun-initialised (``lecun_normal``; ``lecun_uniform`` or ``variance_scaling`` with scale 1
    and mode fan_in have the same variance and pass), and plain Dropout in a model that uses selu.

    ## Why is this bad?
    Selu keeps activations at zero mean and unit variance only with LeCun initialisation; other
    initialisers push them away and the self-normalising property is lost. Dropout sets units to 0,
    which is not selu's resting value, and shifts both mean and variance (Keras offers AlphaDropout for
    selu, which nnconf does not support).

    ## Instead
    ``kernel_initializer: lecun_normal`` on selu layers; remove Dropout, or switch to another activation
    (e.g. relu) if the model needs dropout.
    """

    code, name, severity = "NN204", "selu-misconfigured", Severity.WARNING
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: selu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: selu, kernel_initializer: lecun_normal}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        selu = [layer for layer in context.layers
                if (_is_affine(layer) or layer.spec.type in ACTIVATION_ONLY) and _activation(layer) == "selu"]
        for layer in selu:
            kernel = layer if _is_affine(layer) else _source(context, layer, _pass_through)
            if kernel is None or not _is_affine(kernel) or kernel is not layer and _nonlinear(kernel):
                continue
            for key in KERNEL_INITIALIZERS:
                initializer = getattr(_spec(kernel), key, None)
                if initializer is not None and not _lecun(initializer):
                    path = context.layer_path(kernel, *_prefix(kernel), key)
                    yield self.problem(
                        context, path,
                        f"{kernel.name!r} feeds selu but its {key} is {initializer.canonical}: selu self-normalises "
                        "only with LeCun initialisation", hint=f"set {key}: lecun_normal",
                        fixes=(setting(path, "lecun_normal"),))
        if not selu:
            return
        for layer in context.layers:
            if layer.spec.type in DROPOUTS and _rate(layer) > 0:
                yield self.problem(
                    context, context.layer_path(layer),
                    f"{layer.spec.type} {layer.name!r} in a selu model breaks self-normalisation",
                    hint="remove the dropout (nnconf has no AlphaDropout), or switch the activation to relu")


def _lecun(initializer) -> bool:
    """Whether an initializer gives the kernel variance 1 / fan_in that selu needs."""
    if initializer.canonical in ("lecun_normal", "lecun_uniform"):
        return True
    return (initializer.canonical == "variance_scaling" and initializer.scale == 1.0
            and initializer.mode == "fan_in")


class DenseWithoutFlatten(Rule):
    """Dense on convolution feature maps, with no Flatten or global pooling.

    ## What it does
    Finds a Dense layer fed the multi-axis output of a convolution or pooling layer (possibly through
    activation, normalization or dropout layers), in a model whose output for it is a binary or
    multiclass task but still has more than one axis. Outputs that keep the input's spatial or time
    axes (segmentation, sequence tagging) are dense predictions and are not reported.

    ## Why is this bad?
    Dense acts on the last axis only: it classifies every pixel (or step) separately, and the model
    outputs a map of predictions where one label per sample is expected.

    ## Instead
    Add ``Flatten`` or ``GlobalAveragePooling2D`` (``GlobalAveragePooling1D`` for sequences) before the
    Dense layer.
    """

    code, name, severity = "NN205", "dense-without-flatten", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8, 8, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8, 8, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: GlobalAveragePooling2D}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    _THROUGH = DROPOUTS | {"GaussianNoise"} | ACTIVATION_ONLY | NORMALIZATION

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            shape = layer.input_shape
            if layer.spec.type != "Dense" or not isinstance(shape, tuple) or len(shape) < 2:
                continue
            before = _source(context, layer, lambda other: other.spec.type in self._THROUGH)
            if before is None or before.spec.type not in CONVOLUTIONS | {"Conv2DTranspose"} | LOCAL_POOLING:
                continue
            if not any(self._per_sample_output(context, output) for output in context.outputs
                       if output.layer is layer or any(output.layer is after for after in _downstream(context, layer))):
                continue
            pooling = "GlobalAveragePooling1D" if len(shape) == 2 else "GlobalAveragePooling2D"
            # In a sequential model a Flatten slots in before the Dense; in a graph it would need rewiring.
            fixes = () if context.functional else (
                Fix(f"add Flatten before {layer.name!r}", (Edit(context.layer_path(layer), {"type": "Flatten"}, "insert"),)),)
            yield self.problem(
                context, context.layer_path(layer),
                f"Dense {layer.name!r} gets the {len(shape) + 1}-D feature maps of {before.name!r} "
                f"{list(shape)} and classifies each position separately",
                hint=f"add Flatten or {pooling} before {layer.name!r}", fixes=fixes)

    @staticmethod
    def _per_sample_output(context: LintContext, output) -> bool:
        """A classification output that should be one prediction per sample, but has several axes."""
        shape = output.layer.output_shape
        if output.task not in ("binary", "multiclass") or shape is None or len(shape) < 2:
            return False
        positions = tuple(shape[:-1])
        # Keeping an input's leading axes means a prediction per pixel or step: segmentation, tagging.
        return not any(tuple(given[:len(positions)]) == positions
                       for given in context.inference.input_shapes.values())


class BiasBeforeBatchNorm(Rule):
    """A bias right before BatchNormalization.

    ## What it does
    Finds a Dense or convolution layer with ``use_bias: true`` (the default) and a linear activation
    whose output goes only to a BatchNormalization with ``center: true`` over its features.

    ## Why is this bad?
    BatchNormalization subtracts the mean of each feature, which removes any constant bias, and adds
    its own learned offset (beta). The bias is a wasted parameter that never learns anything.

    ## Instead
    ``use_bias: false`` on the layer before BatchNormalization.
    """

    code, name, severity = "NN206", "bias-before-batch-norm", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16}, {type: BatchNormalization}, {type: ReLU}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, use_bias: false}, {type: BatchNormalization}, {type: ReLU}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            spec = _spec(layer)
            if not _is_affine(layer) or not spec.use_bias or _nonlinear(layer) or layer.output_shape is None:
                continue
            after = context.successors(layer)
            if len(after) != 1 or after[0].spec.type != "BatchNormalization" or not after[0].spec.center:
                continue
            rank = len(layer.output_shape) + 1
            features = 1 if getattr(spec, "data_format", None) == "channels_first" else rank - 1
            if after[0].spec.axis % rank != features:
                continue  # normalised over another axis: the bias is not removed
            path = context.layer_path(layer, *_prefix(layer), "use_bias")
            yield self.problem(
                context, path,
                f"the bias of {layer.name!r} is removed by the BatchNormalization {after[0].name!r} after it",
                hint=f"set use_bias: false on {layer.name!r}; BatchNormalization's beta is the offset",
                fixes=(setting(path, False),))


class DropoutBeforeBatchNorm(Rule):
    """Dropout right before BatchNormalization.

    ## What it does
    Finds Dropout or SpatialDropout whose output goes to BatchNormalization directly, or through
    activation layers (or Flatten, Reshape, Permute) only.

    ## Why is this bad?
    Dropout changes the variance of its output between training and inference. BatchNormalization
    learns its moving variance in training, so at inference it normalises with the wrong statistics
    ("variance shift"), and accuracy drops.

    ## Instead
    Put Dropout after BatchNormalization (e.g. after the last BatchNormalization of the block), or
    before the classifier only.
    """

    code, name, severity = "NN207", "dropout-before-batch-norm", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dropout, rate: 0.2}, {type: BatchNormalization}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: BatchNormalization}, {type: Dropout, rate: 0.2}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if layer.spec.type not in DROPOUTS or _rate(layer) == 0:
                continue
            norm = self._batch_norm_after(context, layer)
            if norm is not None:
                yield self.problem(
                    context, context.layer_path(layer),
                    f"{layer.spec.type} {layer.name!r} comes before the BatchNormalization {norm.name!r}: its "
                    "statistics differ between training and inference",
                    hint=f"move {layer.name!r} after {norm.name!r}")

    @staticmethod
    def _batch_norm_after(context: LintContext, layer: LayerShape) -> LayerShape | None:
        stack, seen = list(context.successors(layer)), set()
        while stack:
            current = stack.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            if current.spec.type == "BatchNormalization":
                return current
            if current.spec.type in ACTIVATION_ONLY | RESHAPES:
                stack.extend(context.successors(current))
        return None


class DropoutBeforeMaxPooling(Rule):
    """Dropout right before max pooling.

    ## What it does
    Finds a Dropout layer directly before MaxPooling1D, MaxPooling2D or MaxPooling3D.

    ## Why is this bad?
    Max pooling keeps the largest value of each window, and a zeroed value rarely is: dropout then
    mostly rescales the winners instead of regularising, so it does much less than its rate suggests.

    ## Instead
    Put Dropout after the pooling layer (or use SpatialDropout on the feature maps).
    """

    code, name, severity = "NN208", "dropout-before-max-pooling", Severity.INFO
    failing = """
task: multiclass
model: {input_shape: [8, 8, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: Dropout, rate: 0.2}, {type: MaxPooling2D}, {type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8, 8, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: MaxPooling2D}, {type: Dropout, rate: 0.2}, {type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if layer.spec.type != "Dropout" or _rate(layer) == 0:
                continue
            pooling = next((after for after in context.successors(layer) if after.spec.type in MAX_POOLING), None)
            if pooling is not None:
                yield self.problem(
                    context, context.layer_path(layer),
                    f"Dropout {layer.name!r} comes right before {pooling.spec.type} {pooling.name!r}, which "
                    "mostly ignores the zeroed values", hint=f"move {layer.name!r} after {pooling.name!r}")


class HighDropout(Rule):
    """A dropout rate above 0.5.

    ## What it does
    Finds Dropout or SpatialDropout with ``rate`` above 0.5 (the fraction dropped, not kept).

    ## Why is this bad?
    Most units are dropped at every step: the network underfits and trains slowly. A rate of 0.8
    often means the keep probability was meant (TensorFlow 1's ``keep_prob``).

    ## Instead
    A rate between 0.1 and 0.5.
    """

    code, name, severity = "NN209", "high-dropout-rate", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dropout, rate: 0.8}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dropout, rate: 0.3}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    LIMIT = 0.5

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if layer.spec.type in DROPOUTS and layer.spec.rate > self.LIMIT:
                yield self.problem(
                    context, context.layer_path(layer, "rate"),
                    f"{layer.spec.type} {layer.name!r} drops {layer.spec.rate:.0%} of its inputs",
                    hint="use a rate of at most 0.5; rate is the fraction dropped, not kept")


class DropoutAtOutput(Rule):
    """Dropout or noise on the model's output.

    ## What it does
    Finds Dropout, SpatialDropout or GaussianNoise that is a model output, or reaches one through
    Flatten, Reshape or other layers that change no values only.

    ## Why is this bad?
    In training it zeroes or perturbs the predictions themselves: the loss sees wrong outputs
    (a zeroed probability is log 0), and the surviving ones are scaled past their range.

    ## Instead
    Put Dropout before the output layer.
    """

    code, name, severity = "NN210", "dropout-at-output", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dense, units: 3, activation: softmax}, {type: Dropout, rate: 0.2}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}, {type: Dropout, rate: 0.2}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if layer.spec.type in DROPOUTS | {"GaussianNoise"} and _rate(layer) > 0 and context.feeds_output(layer):
                yield self.problem(
                    context, context.layer_path(layer),
                    f"{layer.spec.type} {layer.name!r} acts on the model's output: it "
                    f"{'perturbs' if layer.spec.type == 'GaussianNoise' else 'drops'} predictions in training",
                    hint=f"move {layer.name!r} before the output layer")


class CnnDesignSmells(Rule):
    """Design smells of convolutional networks.

    ## What it does
    In a model with convolutions, finds (one finding each): convolutions with no downsampling anywhere
    (no pooling, global pooling, strides above 1, dilation or recurrent summary) in a model that makes
    one prediction per sample; hidden Dense widths that only grow towards the output; and convolution
    filters that only shrink along the stack. Layers that reach an output with no
    learnable layer after them (a classifier convolution), 1x1 and depthwise convolutions (channel
    projections, as in bottleneck blocks) are not counted, and decoders (models that upsample) are
    left alone.

    ## Why is this bad?
    Without downsampling, Flatten hands the classifier every pixel (a huge, overfitting Dense layer)
    and the receptive field stays small. Convolutional features are usually few and simple early and
    many and abstract later, so filters grow with depth while classifier layers narrow to the output;
    the reverse tends to throw information away early and bloat the head.

    ## Instead
    Pool (MaxPooling2D, or strides: 2) between convolution blocks and end with global pooling; let
    filters grow with depth (e.g. 32, 64, 128) and Dense widths shrink towards the output.
    """

    code, name, severity = "NN211", "cnn-design-smells", Severity.INFO
    enabled_by_default = False
    failing = """
task: multiclass
model: {input_shape: [16, 16, 1], layers: [{type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [16, 16, 1], layers: [{type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: MaxPooling2D}, {type: Conv2D, filters: 8, kernel_size: 3, activation: relu, kernel_initializer: he_normal}, {type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        convolutions = [layer for layer in context.layers if layer.spec.type in CONVOLUTIONS]
        if not convolutions or any(layer.spec.type in UPSAMPLING for layer in context.layers):
            return
        if not any(output.layer.output_shape is None or len(output.layer.output_shape) > 1
                   for output in context.outputs):
            yield from self._no_downsampling(context, convolutions)
        yield from self._growing_dense(context)
        yield from self._shrinking_filters(context, convolutions)

    def _no_downsampling(self, context: LintContext, convolutions: list[LayerShape]) -> Iterator[Finding]:
        for layer in context.layers:
            spec = layer.spec
            if spec.type in LOCAL_POOLING | GLOBAL_POOLING | SEQUENCE_SUMMARIES:
                return
            if spec.type in CONVOLUTIONS and max(spec.per_axis("strides") + spec.per_axis("dilation_rate")) > 1:
                return
        yield self.problem(
            context, context.layer_path(convolutions[0]),
            f"{len(convolutions)} convolution layer(s) and no pooling or strides anywhere: the feature maps "
            "keep their full size", hint="add MaxPooling between convolution blocks (or strides: 2), and end "
                                         "with GlobalAveragePooling instead of Flatten")

    def _growing_dense(self, context: LintContext) -> Iterator[Finding]:
        head = [layer for layer in context.layers
                if layer.spec.type == "Dense" and _hidden(context, layer)
                and not any(after.spec.type in SPATIAL_AFFINE for after in _downstream(context, layer))]
        for chain in _chains(context, head, lambda other: other.spec.type in LEARNABLE):
            units = [layer.spec.units for layer in chain]
            if len(chain) >= 2 and units[-1] > units[0] and all(a <= b for a, b in zip(units, units[1:])):
                grows = next(layer for layer, before in zip(chain[1:], units) if layer.spec.units > before)
                yield self.problem(
                    context, context.layer_path(grows, "units"),
                    f"hidden Dense widths grow towards the output ({' -> '.join(map(str, units))})",
                    hint="let the classifier's Dense layers narrow towards the output (e.g. 128 -> 64)")
                return

    def _shrinking_filters(self, context: LintContext, convolutions: list[LayerShape]) -> Iterator[Finding]:
        stack = [layer for layer in convolutions if not _projection(layer) and _hidden(context, layer)]
        barrier = lambda other: other.spec.type in LEARNABLE and not _projection(other)  # noqa: E731
        for chain in _chains(context, stack, barrier):
            filters = [layer.spec.filters for layer in chain]
            if len(chain) >= 2 and filters[-1] < filters[0] and all(a >= b for a, b in zip(filters, filters[1:])):
                shrinks = next(layer for layer, before in zip(chain[1:], filters) if layer.spec.filters < before)
                yield self.problem(
                    context, context.layer_path(shrinks, "filters"),
                    f"convolution filters shrink along the stack ({' -> '.join(map(str, filters))})",
                    hint="let filters grow with depth (e.g. 32 -> 64 -> 128)")
                return
