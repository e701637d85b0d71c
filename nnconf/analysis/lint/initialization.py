"""NN3xx: initial weights and regularization."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.lint.context import ACTIVATION_LAYERS, PASS_THROUGH, LintContext, activation_of
from nnconf.analysis.lint.rule import Rule, removal
from nnconf.analysis.shapes import LayerShape
from nnconf.config.functions import CONSTANT_INITIALIZERS, SATURATING
from nnconf.config.layers import Layer
from nnconf.config.source import Path
from nnconf.findings import Finding, Severity

# Activations whose variance is preserved by He initialization (He et al., 2015).
RELU_FAMILY = {"relu", "relu6", "leaky_relu", "prelu"}
GLOROT_OR_LECUN = {"glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal"}
HE = {"he_uniform", "he_normal"}
# Layer fields holding a weight matrix that mixes inputs into units, by the layer's own field name.
KERNEL_FIELDS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")
# Regularizers whose factor reads like a penalty weight; orthogonal_regularizer has another scale.
FACTOR_REGULARIZERS = {"l1": ("l1",), "l2": ("l2",), "l1_l2": ("l1", "l2")}
OVER_REGULARIZED = 1e-2

_TEMPLATE = """
task: regression
model: {{input_shape: [8], layers: [{hidden}, {{type: Dense, units: 1}}]}}
loss: mse
"""


def _config(hidden: str) -> str:
    return _TEMPLATE.format(hidden=hidden)


def parts(spec: Layer, keys: tuple = ()) -> Iterator[tuple[tuple, Layer]]:
    """A layer spec and the specs it wraps (Bidirectional, TimeDistributed), each with its keys in the layer."""
    yield keys, spec
    for key in ("layer", "backward_layer"):
        inner = getattr(spec, key, None) if spec.WRAPS_LAYER else None
        if isinstance(inner, Layer):
            yield from parts(inner, keys + (key,))


def hidden(context: LintContext, layer: LayerShape) -> bool:
    """Whether a layer's weights are a hidden layer's: it reaches no output through pass-through and
    activation layers alone (``Dense(10)`` then ``Activation(softmax)`` is an output layer too)."""
    current = layer
    while not context.is_output(current):
        after = context.successors(current)
        if len(after) != 1 or after[0].spec.type not in PASS_THROUGH | ACTIVATION_LAYERS:
            return True
        current = after[0]
    return False


def initialized(layer: LayerShape) -> bool:
    """Whether the layer's weights come from its initializers (not from inline ``weights``)."""
    return layer.spec.weights is None


def written_path(context: LintContext, path: Path, key: str) -> Path:
    """``path`` + ``key`` where the config writes ``key``, else ``path`` (e.g. ``l2`` as a bare name)."""
    longer = tuple(path) + (key,)
    return longer if longer in context.source.values or longer in context.source.overrides else tuple(path)


def is_constant(initializer) -> bool:
    return initializer is not None and initializer.canonical in CONSTANT_INITIALIZERS


def is_zero(initializer) -> bool:
    name = initializer.canonical
    return name == "zeros" or name == "constant" and initializer.value == 0


def describe(initializer) -> str:
    if initializer.canonical == "constant":
        return f"constant ({initializer.value:g})"
    return initializer.canonical


def effective_activation(context: LintContext, layer: LayerShape, spec: Layer) -> str | None:
    """The activation right after ``spec``'s weights: its own, or that of an activation layer just after it."""
    own = activation_of(spec)
    if own not in (None, "linear"):
        return own
    after = context.successors(layer)
    if len(after) == 1 and after[0].spec.type in ACTIVATION_LAYERS:
        return activation_of(after[0].spec)
    return own


def width(spec: Layer, field: str) -> int | None:
    """How many units a kernel feeds (None: unknown or many)."""
    if field == "depthwise_initializer":
        return getattr(spec, "depth_multiplier", 1)
    return getattr(spec, "units", None) or getattr(spec, "filters", None)


def stays_dead(spec: Layer, initializer) -> bool:
    """A zero kernel before relu with no positive bias: relu's gradient at 0 is 0, so nothing ever flows."""
    bias = getattr(spec, "bias_initializer", None)
    zero_bias = not getattr(spec, "use_bias", True) or bias is None or is_zero(bias)
    return is_zero(initializer) and activation_of(spec) in ("relu", "relu6") and zero_bias


class ConstantKernelInit(Rule):
    """Constant kernel initialization on a hidden layer.

    ## What it does
    Finds a hidden layer (one whose output reaches no model output through dropout, reshaping or
    activation layers alone) whose kernel starts constant: a
    ``kernel_initializer`` (or SeparableConv2D's ``pointwise_initializer``, or a
    ``depthwise_initializer`` with ``depth_multiplier`` above 1) of ``zeros``, ``ones`` or
    ``constant``. Layers given inline ``weights`` are skipped, and so are layers of a single unit.

    ## Why is this bad?
    Every unit of the layer starts with the same weights, so every unit computes the same feature:
    the symmetry that a random initialization breaks is not broken, and only the layers after it can
    pull the units apart, slowly and mostly redundantly. With ``zeros`` before relu it is worse:
    every pre-activation is 0, relu's gradient at 0 is 0, and the layer (and every layer before it)
    never learns at all.

    A zero-initialized *output* layer is a known trick (the model starts from a neutral prediction)
    and is not reported. A constant recurrent kernel alone is not reported either: the input kernel
    already tells the units apart.

    ## Instead
    A random initializer: the default ``glorot_uniform``, or ``he_normal`` before relu.
    """

    code, name, severity = "NN301", "constant-kernel-init", Severity.ERROR
    failing = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: zeros}")
    fixed = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if not hidden(context, layer) or not initialized(layer):
                continue
            for keys, spec in parts(layer.spec):
                for field in KERNEL_FIELDS:
                    initializer = getattr(spec, field, None)
                    if not is_constant(initializer) or width(spec, field) == 1 and not stays_dead(spec, initializer):
                        continue
                    message = (f"{field} {describe(initializer)} on the hidden layer {layer.name!r}: every unit "
                               "starts with the same weights and computes the same feature")
                    if stays_dead(spec, initializer):
                        message += "; with relu no gradient flows, so it never learns"
                    recurrent = getattr(spec, "recurrent_initializer", None)
                    if field == "kernel_initializer" and is_constant(recurrent):
                        message += f" (its recurrent_initializer is {describe(recurrent)} too)"
                    path = context.layer_path(layer, *keys, field)
                    yield self.problem(context, path, message,
                                       hint=f"remove {field} to use glorot_uniform, or use he_normal before relu",
                                       fixes=(removal(path, safe=False, title=f"remove {field} (glorot_uniform)"),))


class InitActivationMismatch(Rule):
    """Kernel initializer that does not suit the activation.

    ## What it does
    Finds a hidden Dense or convolution layer whose kernel initializer does not preserve the variance
    of its activation: relu, relu6, leaky relu or PReLU with Glorot or LeCun initialization (Keras's
    default is ``glorot_uniform``), or tanh, sigmoid, hard sigmoid or softsign with He
    initialization. The activation may be the layer's own or that of an activation layer right after
    it. This rule is opt-in (``--select NN302``): the Keras default trains fine in most shallow
    models.

    selu needs ``lecun_normal``; that is NN204's business, not this rule's. Other initializers
    (orthogonal, random normal, ...) are taken as deliberate and not judged.

    ## Why is this bad?
    Glorot initialization keeps the variance of activations constant for activations symmetric
    around 0 (tanh); relu zeroes half of its inputs and so halves the variance at every layer, which
    He initialization (twice the variance) compensates. In deep stacks the mismatch shrinks or grows
    the signal layer by layer.

    ## Instead
    ``kernel_initializer: he_normal`` (or ``he_uniform``) before relu-like activations;
    ``glorot_uniform`` (the default) or ``lecun_normal`` before tanh and sigmoid.
    """

    code, name, severity = "NN302", "init-activation-mismatch", Severity.INFO
    enabled_by_default = False
    failing = _config("{type: Dense, units: 16, activation: relu}")
    fixed = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if not hidden(context, layer) or not initialized(layer):
                continue
            for keys, spec in parts(layer.spec):
                field = _variance_field(spec)
                if field is None:
                    continue
                initializer, activation = getattr(spec, field), effective_activation(context, layer, spec)
                problem = _mismatch(initializer, activation)
                if problem:
                    yield self.problem(context, context.layer_path(layer, *keys, field),
                                       f"{field} {initializer.canonical} before {activation} on the hidden layer "
                                       f"{layer.name!r}: {problem[0]}", hint=problem[1])


def _variance_field(spec: Layer) -> str | None:
    """The initializer of the weights right before the activation, for Dense and convolutions."""
    if spec.type == "SeparableConv2D":
        return "pointwise_initializer"
    if spec.type == "DepthwiseConv2D":
        return "depthwise_initializer"
    if spec.type in ("Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose"):
        return "kernel_initializer"
    return None


def _is_he(initializer) -> bool:
    return initializer.canonical in HE or initializer.canonical == "variance_scaling" and initializer.scale >= 2


def _is_unit_variance(initializer) -> bool:
    return (initializer.canonical in GLOROT_OR_LECUN
            or initializer.canonical == "variance_scaling" and initializer.scale < 2)


def _mismatch(initializer, activation: str | None) -> tuple[str, str] | None:
    if activation in RELU_FAMILY and _is_unit_variance(initializer):
        return ("relu halves the variance at every layer, which this initializer does not make up for",
                "use kernel_initializer: he_normal (or he_uniform)")
    if activation in SATURATING and _is_he(initializer):
        return (f"He initialization doubles the variance, pushing {activation} into saturation",
                "use glorot_uniform (the default) or lecun_normal")
    return None


class NonZeroHiddenBias(Rule):
    """Non-zero bias initialization on a hidden layer.

    ## What it does
    Finds a hidden layer (one that is not, or does not directly feed, a model output) whose
    ``bias_initializer`` is not zeros:
    ``ones``, a non-zero ``constant``, or a random initializer. Layers without a bias and layers
    given inline ``weights`` are skipped; an LSTM's forget-gate bias (``unit_forget_bias``) is a
    separate setting and not reported.

    ## Why is this bad?
    Zero biases are the standard start: the kernel's random weights already break the symmetry
    between units. A random bias adds noise for no benefit, and a large constant bias shifts every
    unit, pushing sigmoid and tanh into saturation or relu units all on (or, if negative, all dead).
    A small positive bias before relu is sometimes chosen on purpose; silence the rule for the config
    then with ``lint: {ignore: [NN303]}``.

    ## Instead
    Leave ``bias_initializer`` at its default, ``zeros``.
    """

    code, name, severity = "NN303", "nonzero-hidden-bias-init", Severity.INFO
    failing = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal, "
                      "bias_initializer: ones}")
    fixed = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if not hidden(context, layer) or not initialized(layer):
                continue
            for keys, spec in parts(layer.spec):
                initializer = getattr(spec, "bias_initializer", None)
                if initializer is None or not getattr(spec, "use_bias", True) or is_zero(initializer):
                    continue
                path = context.layer_path(layer, *keys, "bias_initializer")
                yield self.problem(context, path,
                                   f"bias_initializer {describe(initializer)} on the hidden layer {layer.name!r}; "
                                   "hidden biases normally start at zero",
                                   hint="remove bias_initializer to start the biases at zeros",
                                   fixes=(removal(path, safe=False, title="remove bias_initializer (zeros)"),))


class OverRegularization(Rule):
    """L1 or L2 regularization factor of 0.01 or more.

    ## What it does
    Finds an ``l1``, ``l2`` or ``l1_l2`` regularizer (on a kernel, bias, activity, recurrent kernel,
    embedding or any other weight of a layer) with a factor of 1e-2 or more. The bare name ``l2``
    (or ``l1``) counts: it means Keras's default factor, 0.01.

    ## Why is this bad?
    The penalty is added to the loss for every weight of the layer; at 0.01 and above it easily
    outweighs the data loss, so the weights are driven towards zero and the model underfits.

    ## Instead
    A factor between 1e-5 and 1e-3, written out: ``{name: l2, l2: 1e-4}``.
    """

    code, name, severity = "NN304", "over-regularization", Severity.WARNING
    failing = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal, "
                      "kernel_regularizer: l2}")
    fixed = _config("{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal, "
                    "kernel_regularizer: {name: l2, l2: 1e-4}}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            for keys, spec in parts(layer.spec):
                for field in type(spec).model_fields:
                    regularizer = getattr(spec, field, None) if field.endswith("_regularizer") else None
                    if regularizer is None or regularizer.canonical not in FACTOR_REGULARIZERS:
                        continue
                    for key in FACTOR_REGULARIZERS[regularizer.canonical]:
                        factor = getattr(regularizer, key)
                        if factor < OVER_REGULARIZED:
                            continue
                        path = written_path(context, context.layer_path(layer, *keys, field), key)
                        default = "" if path[-1] == key else " (Keras's default)"
                        what = regularizer.canonical + (f" {key}" if len(FACTOR_REGULARIZERS[regularizer.canonical]) > 1
                                                        else "")
                        yield self.problem(
                            context, path, f"{field} {what} factor {factor:g}{default} on {layer.name!r}: the "
                            "penalty can outweigh the data loss",
                            hint=f"typical factors are 1e-5 to 1e-3, e.g. {{name: {regularizer.canonical}, "
                                 f"{key}: 1e-4}}; the bare name {regularizer.canonical!r} means Keras's default 0.01")
