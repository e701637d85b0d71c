"""NN1xx: the output layer, the loss and the task must agree."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.lint.context import LintContext, Output, activation_of
from nnconf.analysis.lint.rule import Rule, removal, setting
from nnconf.config.losses import REGRESSION_LOSSES
from nnconf.config.metrics import ACCURACIES
from nnconf.config.source import Path
from nnconf.findings import Edit, Finding, Fix, Severity

CLASSIFICATION = {"binary", "multiclass", "multilabel"}
CATEGORICAL = {"categorical_crossentropy", "categorical_focal_crossentropy"}
SPARSE = {"sparse_categorical_crossentropy"}
BINARY_CE = {"binary_crossentropy", "binary_focal_crossentropy"}
PROBABILITY_OUTPUTS = {"softmax", "sigmoid"}


def loss_name(output: Output) -> str:
    return output.loss.canonical


def is_regression_loss(output: Output) -> bool:
    return isinstance(output.loss, REGRESSION_LOSSES)


def output_activation_path(context: LintContext, output: Output) -> Path | None:
    """Where the output layer sets its activation argument itself (not through a layer of its own,
    such as Softmax, nor before a pass-through layer): what a fix of the activation edits."""
    layer = output.layer
    if "activation" not in type(layer.spec).model_fields or activation_of(layer.spec) != output.activation:
        return None
    return context.layer_path(layer, "activation")


def from_logits_fix(output: Output) -> Fix:
    """``from_logits: true``: certain when the output is linear (raw scores), a choice otherwise."""
    return setting(output.path("loss") + ("from_logits",), True, safe=output.activation == "linear")


class SoftmaxSingleUnit(Rule):
    """Softmax over a single unit.

    ## What it does
    Finds an output with softmax over a last axis of size 1.

    ## Why is this bad?
    Softmax normalises across the units, so over one unit it always outputs 1.0: the output carries
    no information and no gradient flows through it. Keras only warns.

    ## Instead
    For two classes use one sigmoid unit with binary crossentropy, or two softmax units with
    (sparse) categorical crossentropy.
    """

    code, name, severity = "NN101", "softmax-single-unit", Severity.ERROR
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: softmax}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.activation == "softmax" and output.units == 1:
                where = output_activation_path(context, output)
                yield self.problem(context, context.layer_path(output.layer),
                                   f"softmax over one unit: {output.label} is always 1.0",
                                   hint="use activation: sigmoid with binary_crossentropy for two classes",
                                   fixes=(setting(where, "sigmoid"),) if where else ())


class CategoricalSingleUnit(Rule):
    """Categorical crossentropy on a single unit.

    ## What it does
    Finds categorical (or categorical focal) crossentropy on an output with one unit.

    ## Why is this bad?
    Over one unit the one-hot target is always [1], so the loss is minimised by always predicting 1
    and the model learns nothing.

    ## Instead
    Binary crossentropy with one sigmoid unit, or as many softmax units as classes.
    """

    code, name, severity = "NN102", "categorical-single-unit", Severity.ERROR
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: categorical_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if loss_name(output) in CATEGORICAL and output.units == 1:
                yield self.problem(context, output.path("loss"),
                                   f"{loss_name(output)} on one unit is minimised by always predicting 1",
                                   hint="use binary_crossentropy with one sigmoid unit")


class CrossentropyOnLinearOutput(Rule):
    """Categorical crossentropy on an output that is not a probability distribution.

    ## What it does
    Finds categorical or sparse categorical crossentropy with ``from_logits: false`` (the default)
    on an output that is neither softmax nor sigmoid, e.g. a plain ``Dense(10)``.

    ## Why is this bad?
    With ``from_logits: false`` Keras treats the outputs as probabilities: it clips and renormalises
    raw scores, which distorts the loss and kills the gradient of negative logits.

    ## Instead
    Either set ``from_logits: true`` (recommended: numerically stabler) or end with softmax.
    """

    code, name, severity = "NN103", "crossentropy-on-logits", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3}]}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if (loss_name(output) in CATEGORICAL | SPARSE and not output.from_logits
                    and output.activation not in PROBABILITY_OUTPUTS and output.units != 1):
                yield self.problem(
                    context, output.path("loss"),
                    f"{loss_name(output)} expects probabilities, but {output.label} has activation "
                    f"{output.activation!r} (raw scores)",
                    hint="set from_logits: true in the loss, or end with activation: softmax",
                    fixes=(from_logits_fix(output),))


class SigmoidWithCategorical(Rule):
    """Sigmoid output trained with categorical crossentropy.

    ## What it does
    Finds a sigmoid output (more than one unit) with categorical or sparse categorical crossentropy.

    ## Why is this bad?
    Sigmoid scores each unit independently, so the outputs do not sum to one; categorical
    crossentropy assumes they are one distribution over the classes.

    ## Instead
    For exclusive classes use softmax; for independent labels (multilabel) use binary crossentropy.
    """

    code, name, severity = "NN104", "sigmoid-with-categorical", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: sigmoid}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if loss_name(output) in CATEGORICAL | SPARSE and output.activation == "sigmoid" and output.units != 1:
                where = output_activation_path(context, output)
                fixes = (setting(where, "softmax", safe=output.task == "multiclass"),) if where else ()
                yield self.problem(context, context.layer_path(output.layer),
                                   f"sigmoid outputs trained with {loss_name(output)}: sigmoid scores do not "
                                   "form one distribution", hint="use activation: softmax for exclusive classes",
                                   fixes=fixes)


class BinaryCrossentropyWithoutSigmoid(Rule):
    """Binary crossentropy on an output that is not a probability.

    ## What it does
    Finds binary (or binary focal) crossentropy with ``from_logits: false`` on an output whose
    activation is neither sigmoid nor softmax (e.g. linear, relu or tanh).

    ## Why is this bad?
    Binary crossentropy needs a probability in [0, 1] per unit. Keras clips anything else, so the
    loss is wrong and its gradient vanishes outside the range.

    ## Instead
    End with ``activation: sigmoid``, or keep the raw score and set ``from_logits: true``.
    """

    code, name, severity = "NN105", "binary-crossentropy-without-sigmoid", Severity.ERROR
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: {name: binary_crossentropy, from_logits: true}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if (loss_name(output) in BINARY_CE and not output.from_logits
                    and output.activation not in PROBABILITY_OUTPUTS):
                yield self.problem(
                    context, output.path("loss"),
                    f"{loss_name(output)} expects a probability per unit, but {output.label} has activation "
                    f"{output.activation!r}",
                    hint="end with activation: sigmoid, or set from_logits: true in the loss",
                    fixes=(from_logits_fix(output),))


class BinaryCrossentropyOnMulticlass(Rule):
    """Binary crossentropy for exclusive classes.

    ## What it does
    Finds a ``multiclass`` task (exactly one class per sample) trained with binary crossentropy.
    Two softmax units are the exception, reported as information only: there binary crossentropy
    equals categorical crossentropy (each unit's term is the same, ``-log p`` of the true class).

    ## Why is this bad?
    Binary crossentropy scores each class as an independent yes/no question: the wrong likelihood
    for exclusive classes, and its accuracy (thresholded per unit) is misleadingly high.

    ## Instead
    Softmax with sparse categorical crossentropy (integer labels) or categorical crossentropy
    (one-hot labels).
    """

    code, name, severity = "NN106", "binary-crossentropy-on-multiclass", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 4, activation: sigmoid}]}
loss: binary_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 4, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task != "multiclass" or loss_name(output) not in BINARY_CE:
                continue
            if output.activation == "softmax" and output.units == 2 and loss_name(output) == "binary_crossentropy":
                yield self.problem(context, output.path("loss"),
                                   "binary_crossentropy on two softmax units equals categorical crossentropy for two "
                                   "classes: it trains correctly", severity=Severity.INFO,
                                   hint="say categorical_crossentropy (or sparse_categorical_crossentropy) for clarity")
            else:
                yield self.problem(context, output.path("loss"),
                                   f"{loss_name(output)} treats the classes of a multiclass task as independent",
                                   hint="use softmax with sparse_categorical_crossentropy")


class BinaryTwoSigmoidUnits(Rule):
    """A binary task with two sigmoid units.

    ## What it does
    Finds a ``binary`` task whose output is two sigmoid units.

    ## Why is this bad?
    Two independent sigmoids can both say yes (or both no); a binary label needs one probability.

    ## Instead
    One sigmoid unit with binary crossentropy, or two softmax units with sparse categorical
    crossentropy.
    """

    code, name, severity = "NN107", "binary-two-sigmoid-units", Severity.WARNING
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 2, activation: sigmoid}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task == "binary" and output.units == 2 and output.activation == "sigmoid":
                yield self.problem(context, context.layer_path(output.layer),
                                   "a binary task with two sigmoid units: both can be on at once",
                                   hint="use units: 1 with sigmoid, or units: 2 with softmax")


class MultilabelWithSoftmax(Rule):
    """A multilabel task with softmax or categorical crossentropy.

    ## What it does
    Finds a ``multilabel`` task (any number of labels per sample) whose output is softmax, or whose
    loss is categorical or sparse categorical crossentropy.

    ## Why is this bad?
    Softmax makes the labels compete for one unit of probability, so two true labels can never both
    be predicted with confidence.

    ## Instead
    One sigmoid unit per label with binary crossentropy.
    """

    code, name, severity = "NN108", "multilabel-with-softmax", Severity.ERROR
    failing = """
task: multilabel
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 5, activation: softmax}]}
loss: categorical_crossentropy
"""
    fixed = """
task: multilabel
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 5, activation: sigmoid}]}
loss: binary_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task != "multilabel":
                continue
            if output.activation == "softmax":
                yield self.problem(context, context.layer_path(output.layer),
                                   "softmax makes the labels of a multilabel task compete",
                                   hint="use activation: sigmoid with binary_crossentropy")
            elif loss_name(output) in CATEGORICAL | SPARSE:
                yield self.problem(context, output.path("loss"),
                                   f"{loss_name(output)} assumes one label per sample; multilabel has several",
                                   hint="use binary_crossentropy")


class ClassificationWithRegressionLoss(Rule):
    """A classifier, or a softmax output, trained with a regression loss.

    ## What it does
    Finds a classification task (binary, multiclass, multilabel), or any softmax output, trained with
    mean squared/absolute (percentage, logarithmic) error, Huber or log-cosh.

    A sigmoid output trained with ``mse`` (the Brier score) is a warning rather than an error: it
    trains, only more slowly than with crossentropy.

    ## Why is this bad?
    These losses are not likelihoods of class labels: gradients through a saturated softmax or
    sigmoid vanish, and training is slow and poorly calibrated.

    ## Instead
    Crossentropy that matches the task: binary for binary and multilabel, (sparse) categorical for
    multiclass. If the task really is regression, say ``task: regression`` and drop the softmax.
    """

    code, name, severity = "NN109", "classification-with-regression-loss", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: mse
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if not is_regression_loss(output):
                continue
            if output.task in CLASSIFICATION:
                brier = output.activation == "sigmoid" and loss_name(output) == "mean_squared_error"
                yield self.problem(context, output.path("loss"),
                                   f"a {output.task} task trained with the regression loss {output.loss.name!r}"
                                   + (" on a sigmoid output: it trains, more slowly than with crossentropy" if brier
                                      else ""),
                                   hint=_crossentropy_for(output.task), severity=Severity.WARNING if brier else None)
            elif output.activation == "softmax":
                yield self.problem(context, output.path("loss"),
                                   f"a softmax output trained with the regression loss {output.loss.name!r}",
                                   hint="softmax outputs are class probabilities: use a crossentropy loss and a "
                                        "classification task, or drop the softmax for regression")


def _crossentropy_for(task: str) -> str:
    if task == "multiclass":
        return "use sparse_categorical_crossentropy (integer labels) or categorical_crossentropy (one-hot)"
    return "use binary_crossentropy"


class RegressionWithCrossentropy(Rule):
    """A regression task trained with a crossentropy loss.

    ## What it does
    Finds ``task: regression`` with a crossentropy loss.

    ## Why is this bad?
    Crossentropy assumes targets are probabilities or class ids; real-valued targets outside [0, 1]
    make it meaningless.

    ## Instead
    ``mse``, ``mae`` or ``huber``; or, if this is classification, say which task it is.
    """

    code, name, severity = "NN110", "regression-with-crossentropy", Severity.ERROR
    failing = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: {name: binary_crossentropy, from_logits: true}
"""
    fixed = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: mse
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task == "regression" and output.loss.CROSSENTROPY:
                yield self.problem(context, output.path("loss"),
                                   f"a regression task trained with {loss_name(output)}",
                                   hint="use mse, mae or huber, or set the task to the classification it is")


class RegressionOutputRange(Rule):
    """A regression output whose activation limits the range of predictions.

    ## What it does
    Finds a regression output ending in sigmoid, tanh, softmax, relu (or another activation that
    cannot produce every real number).

    ## Why is this bad?
    Targets outside the activation's range can never be reached: sigmoid stays in (0, 1), tanh in
    (-1, 1), relu at or above 0. It is right only when the targets are known to lie in that range.

    ## Instead
    A linear output (the default). If the targets really are bounded, silence this rule for the
    config with ``lint: {ignore: [NN111]}``.
    """

    code, name, severity = "NN111", "regression-output-range", Severity.WARNING
    failing = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: mse
"""
    fixed = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: mse
"""
    _RANGES = {"sigmoid": "(0, 1)", "hard_sigmoid": "[0, 1]", "tanh": "(-1, 1)", "softsign": "(-1, 1)",
               "softmax": "(0, 1), summing to 1", "relu": "[0, inf)", "relu6": "[0, 6]", "softplus": "(0, inf)",
               "exponential": "(0, inf)", "elu": "(-1, inf)", "selu": "(-1.76, inf)"}

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task == "regression" and output.activation in self._RANGES:
                yield self.problem(
                    context, context.layer_path(output.layer),
                    f"a regression output with {output.activation} can only predict values in "
                    f"{self._RANGES[output.activation]}",
                    hint="use a linear output unless the targets are known to lie in that range",
                    fixes=_linear_output(context, output))


class MulticlassSingleUnit(Rule):
    """A multiclass output with one unit.

    ## What it does
    Finds a ``multiclass`` task whose output has a single unit (when softmax or categorical
    crossentropy have not already been reported for it).

    ## Why is this bad?
    A multiclass model needs one score per class; with one unit, sparse categorical crossentropy
    sees a single class and labels above 0 are out of range.

    ## Instead
    ``units`` equal to the number of classes.
    """

    code, name, severity = "NN112", "multiclass-single-unit", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 5}]}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if (output.task == "multiclass" and output.units == 1 and output.activation != "softmax"
                    and loss_name(output) not in CATEGORICAL):
                yield self.problem(context, context.layer_path(output.layer),
                                   "a multiclass output with one unit cannot score several classes",
                                   hint="set units to the number of classes")


class HiddenSoftmax(Rule):
    """Softmax on a hidden layer.

    ## What it does
    Finds softmax on a layer that is not a model output.

    ## Why is this bad?
    Softmax squashes features into a distribution that sums to one, discarding their scale; as a
    hidden activation it slows or stalls learning. (Attention weights are computed inside
    MultiHeadAttention and are not affected.)

    ## Instead
    A hidden activation such as relu or gelu; softmax belongs on the output.
    """

    code, name, severity = "NN113", "hidden-softmax", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: softmax}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for layer in context.layers:
            if activation_of(layer.spec) == "softmax" and not context.feeds_output(layer):
                own = "activation" in type(layer.spec).model_fields
                fixes = (setting(context.layer_path(layer, "activation"), "relu", safe=False),) if own else ()
                yield self.problem(context, context.layer_path(layer), f"softmax on the hidden layer {layer.name!r}",
                                   hint="use relu (or gelu) on hidden layers; keep softmax for the output", fixes=fixes)


class LogitsLossOnProbabilities(Rule):
    """``from_logits: true`` on an output that is already a probability.

    ## What it does
    Finds a crossentropy loss with ``from_logits: true`` on a softmax or sigmoid output.

    ## Why is this bad?
    The loss applies softmax/sigmoid itself, so the output is squashed twice: predictions crowd
    together and the gradient is far too small.

    ## Instead
    Drop the output activation (keep logits) or set ``from_logits: false``.
    """

    code, name, severity = "NN114", "logits-loss-on-probabilities", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""
    fixed = """
task: multiclass
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 3}]}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.from_logits and output.activation in PROBABILITY_OUTPUTS:
                # Which of the two was meant is a choice: neither fix is applied without asking.
                fixes = _linear_output(context, output) + (
                    setting(output.path("loss") + ("from_logits",), False, safe=False),)
                yield self.problem(context, output.path("loss"),
                                   f"from_logits: true, but {output.label} already applies {output.activation}",
                                   hint=f"remove activation: {output.activation} from the output layer, or set "
                                        "from_logits: false", fixes=fixes)


class ThresholdMetricOnLogits(Rule):
    """A probability-threshold metric on logits.

    ## What it does
    Finds, for an output trained on logits (``from_logits: true`` with binary crossentropy), metrics
    that threshold at 0.5 (``accuracy`` and ``binary_accuracy``, ``precision``, ``recall``), and
    ``auc`` without ``from_logits: true``.

    ## Why is this bad?
    A logit of 0 is probability 0.5; thresholding logits at 0.5 counts scores between 0 and 0.5 as
    negative, so the metric is wrong (silently).

    ## Instead
    ``{name: binary_accuracy, threshold: 0.0}``, ``{name: auc, from_logits: true}``, or end the model
    with a sigmoid and use ``from_logits: false``.
    """

    code, name, severity = "NN115", "threshold-metric-on-logits", Severity.WARNING
    failing = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: {name: binary_crossentropy, from_logits: true}
metrics: [accuracy, auc]
"""
    fixed = """
task: binary
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: {name: binary_crossentropy, from_logits: true}
metrics: [{name: binary_accuracy, threshold: 0.0}, {name: auc, from_logits: true}]
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if not (output.from_logits and loss_name(output) in BINARY_CE):
                continue
            for index, metric in enumerate(output.metrics):
                problem = _threshold_problem(metric)
                if problem:
                    path = output.path("metrics") + (index,)
                    yield self.problem(context, path, problem[0], hint=problem[1],
                                       fixes=(_logits_metric_fix(metric, path),))


def _linear_output(context: LintContext, output: Output) -> tuple[Fix, ...]:
    """Offered, never certain: removing the output's activation changes what the model predicts."""
    where = output_activation_path(context, output)
    if where is None or output.layer.spec.type == "Activation":
        return ()
    return (removal(where, safe=False, title=f"remove activation: {output.activation} (a linear output)"),)


def _logits_metric_fix(metric, path: Path) -> Fix:
    """The metric as it reads logits: thresholds at 0 (probability 0.5), AUC told it gets logits."""
    if metric.name == "auc":
        return setting(path + ("from_logits",), True)
    if metric.name in ("precision", "recall"):
        return setting(path + ("thresholds",), 0.0)
    return Fix("use {name: binary_accuracy, threshold: 0.0}",
               (Edit(path + ("name",), "binary_accuracy"), Edit(path + ("threshold",), 0.0)))


def _threshold_problem(metric) -> tuple[str, str] | None:
    name = metric.name
    if name in ("accuracy", "acc") or name == "binary_accuracy" and metric.threshold == 0.5:
        return (f"{name} thresholds at 0.5, but the model outputs logits",
                "use {name: binary_accuracy, threshold: 0.0}")
    if name in ("precision", "recall") and metric.thresholds is None:
        return f"{name} thresholds at 0.5, but the model outputs logits", f"use {{name: {name}, thresholds: 0.0}}"
    if name == "auc" and not metric.from_logits:
        return "auc expects probabilities, but the model outputs logits", "use {name: auc, from_logits: true}"
    return None


class AccuracyOnRegression(Rule):
    """An accuracy metric on a regression task.

    ## What it does
    Finds accuracy-type metrics (accuracy, binary or categorical accuracy, AUC, precision, recall)
    on a regression output.

    ## Why is this bad?
    Accuracy compares predicted and true classes; real-valued predictions almost never equal their
    targets exactly, so the number is meaningless.

    ## Instead
    ``mae``, ``rmse`` or ``r2_score``.
    """

    code, name, severity = "NN116", "accuracy-on-regression", Severity.ERROR
    failing = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: mse
metrics: [accuracy]
"""
    fixed = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1}]}
loss: mse
metrics: [mae]
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output in context.outputs:
            if output.task != "regression":
                continue
            for index, metric in enumerate(output.metrics):
                if metric.name in ACCURACIES:
                    path = output.path("metrics") + (index,)
                    yield self.problem(context, path, f"{metric.name} is meaningless for regression",
                                       hint="use mae, rmse or r2_score",
                                       fixes=(Fix("use mae", (Edit(path, "mae"),), safe=False),))
