"""NN4xx: the optimizer, its learning rate, and how the loss is reduced."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.lint.context import AFFINE, LintContext
from nnconf.analysis.lint.initialization import parts
from nnconf.analysis.lint.rule import Rule, removal, setting
from nnconf.config.optimizers import CosineDecay, PiecewiseConstantDecay
from nnconf.config.source import Path
from nnconf.findings import Finding, Severity

# Above this many times the optimizer's Keras default, a learning rate probably diverges.
TIMES_DEFAULT = 10
# Where the usual rates sit far from Keras's default: Adadelta's paper uses 1.0 (Keras's docs say
# so), and Adagrad is commonly run at 0.01 to 0.1 (PyTorch's default is 0.01). Keras 2 defaulted
# them to 1.0 and 0.01; tf.keras and Keras 3 default both to 0.001, where Adadelta learns almost
# nothing: programs written for Keras 2 lost 15 to 90 points of accuracy to it.
HIGHEST = {"adadelta": 1.0, "adagrad": 0.1}
USUAL_LOWEST = {"adadelta": 0.1, "adagrad": 0.01, "sgd": 1e-4}
LOWEST = 1e-6
# SGD's step in a steady direction is rate / (1 - momentum): from 1, training a network without
# normalization layers diverges or stalls (plain CNNs at 0.1 with momentum 0.9 train to chance
# accuracy); a small MLP still trains there, but not above it.
EFFECTIVE_STEP = 1.0
NORMALIZATION = {"BatchNormalization", "LayerNormalization", "GroupNormalization"}
ADAM_FAMILY = {"adam", "adamw", "adamax", "nadam"}
TINY_EPSILON = 1e-10
CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")

_TEMPLATE = """
task: regression
model:
  input_shape: [8]
  layers:
    - {{type: Dense, units: 16, activation: relu, kernel_initializer: he_normal{regularizer}}}
    - {{type: Dense, units: 1}}
loss: {loss}
optimizer: {optimizer}
"""


def _config(optimizer: str, loss: str = "mse", regularizer: str = "") -> str:
    return _TEMPLATE.format(optimizer=optimizer, loss=loss, regularizer=regularizer)


def _rates(learning_rate) -> Iterator[tuple[tuple, float, bool, bool]]:
    """Each learning rate a schedule steps through that can be judged: its keys under
    ``learning_rate``, its value, whether it is where training starts (or peaks, after a warmup),
    and whether 0 is a legitimate value (the start of a warmup)."""
    if isinstance(learning_rate, (int, float)):
        yield (), float(learning_rate), True, False
    elif isinstance(learning_rate, PiecewiseConstantDecay):
        for index, value in enumerate(learning_rate.values):
            yield ("values", index), value, index == 0, False
    elif isinstance(learning_rate, CosineDecay) and learning_rate.warmup_target is not None:
        # Keras warms up from initial_learning_rate (often 0) to warmup_target, then decays from there.
        yield ("initial_learning_rate",), learning_rate.initial_learning_rate, False, True
        yield ("warmup_target",), learning_rate.warmup_target, True, False
    else:
        yield ("initial_learning_rate",), learning_rate.initial_learning_rate, True, False


def _label(keys: tuple) -> str:
    if not keys:
        return "learning rate"
    if keys[0] == "values":
        return f"learning rate values[{keys[1]}]"
    return {"initial_learning_rate": "initial learning rate", "warmup_target": "warmup target"}[keys[0]]


class LearningRateRange(Rule):
    """Learning rate out of range for its optimizer.

    ## What it does
    Checks the optimizer's learning rate, or a schedule's initial rate (every value of a
    ``piecewise_constant_decay``; the ``warmup_target`` of a ``cosine_decay`` with warmup):

    - an error if it is 0 or negative;
    - a warning if it is more than 10 times the optimizer's own Keras default (SGD 0.01, so up to
      0.1 is fine; Adam, RMSprop, Nadam 0.001; Lion 0.0001; Adagrad and Adadelta, which are usually
      run far above their Keras default, up to 0.1 and 1.0);
    - a warning if the starting rate is below the optimizer's usual range: Adadelta below 0.1
      (its paper's rate is 1.0), Adagrad below 0.01, SGD below 0.0001, any other below 1e-6 (a
      schedule may decay below it later). Keras's own defaults for Adadelta and Adagrad, 0.001,
      are below theirs.

    ## Why is this bad?
    A rate of 0 learns nothing and a negative one climbs the loss. A rate far above what the
    optimizer is tuned for makes training diverge (NaN losses) or bounce around; one far below it
    barely moves the weights. One range for every optimizer would be wrong: SGD at 0.1 is normal,
    Adam at 0.1 is not, and Adadelta at Keras's default 0.001 learns almost nothing (Keras 2 defaulted
    it to 1.0; programs written for Keras 2 lost 15 to 90 points of accuracy when tf.keras changed it).

    ## Instead
    Start near the optimizer's default and tune from there by factors of 3 to 10.
    """

    code, name, severity = "NN401", "learning-rate-range", Severity.ERROR
    failing = _config("{name: adam, learning_rate: 0.1}")
    fixed = _config("{name: adam, learning_rate: 0.001}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        optimizer = context.config.optimizer
        name, default = optimizer.canonical, optimizer.DEFAULT_LEARNING_RATE
        highest, lowest = HIGHEST.get(name, TIMES_DEFAULT * default), USUAL_LOWEST.get(name, LOWEST)
        usual = {"adadelta": 1.0, "adagrad": 0.01}.get(name, default)  # where to start
        for keys, value, starts, zero_ok in _rates(optimizer.learning_rate):
            path: Path = ("optimizer", "learning_rate", *keys)
            label = _label(keys)
            if value < 0 or value == 0 and not zero_ok:
                yield self.problem(context, path,
                                   f"{label} {value:g}: " + ("nothing is learned" if value == 0 else
                                                            "a negative rate climbs the loss"),
                                   hint=f"use a positive rate, e.g. {default:g} (Keras's default for {name})")
            elif value > highest:
                yield self.problem(context, path,
                                   f"{label} {value:g} is high for {name} (Keras's default is {default:g}): "
                                   "training is likely to diverge",
                                   hint=f"start near {default:g} and stay at or below {highest:g}",
                                   severity=Severity.WARNING)
            elif starts and 0 < value < lowest:
                yield self.problem(context, path, f"{label} {value:g} is below {lowest:g}, the least {name} is usually "
                                   "run at: the weights barely move",
                                   hint=f"start near {usual:g}" + (f" (Keras's default for {name})" if usual == default
                                                                   else f" (Keras's default {default:g} is too low)"),
                                   severity=Severity.WARNING)


class TinyAdamEpsilon(Rule):
    """Adam-family epsilon of 1e-10 or less.

    ## What it does
    Finds ``adam``, ``adamw``, ``adamax`` or ``nadam`` with ``epsilon`` at or below 1e-10.

    ## Why is this bad?
    Epsilon keeps the step ``lr * m / (sqrt(v) + epsilon)`` bounded where the second-moment estimate
    ``v`` is near zero. Too small, and weights with tiny gradients take huge, unstable steps (and in
    float16 it rounds to 0).

    ## Instead
    Keras's default, 1e-7, or 1e-8 as in the Adam paper; larger values (up to 1.0) are sometimes used
    for stability.
    """

    code, name, severity = "NN402", "tiny-adam-epsilon", Severity.WARNING
    failing = _config("{name: adam, epsilon: 1e-12}")
    fixed = _config("{name: adam, epsilon: 1e-7}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        optimizer = context.config.optimizer
        if optimizer.canonical in ADAM_FAMILY and optimizer.epsilon <= TINY_EPSILON:
            yield self.problem(context, ("optimizer", "epsilon"),
                               f"{optimizer.canonical} epsilon {optimizer.epsilon:g} is tiny: steps of weights with "
                               "near-zero gradients blow up", hint="use 1e-7 (Keras's default) or 1e-8",
                               fixes=(setting(("optimizer", "epsilon"), 1e-7, safe=False),))


class ClippingConflict(Rule):
    """More than one kind of gradient clipping.

    ## What it does
    Finds an optimizer with two or more of ``clipnorm``, ``clipvalue`` and ``global_clipnorm``.

    ## Why is this bad?
    Keras allows only one and raises ``ValueError`` when the optimizer is created; even where it does
    not raise (older versions), it applies only one of them and silently ignores the rest.

    ## Instead
    Keep one: ``global_clipnorm`` (clips the norm of all gradients together) is the usual choice.
    """

    code, name, severity = "NN403", "clipping-conflict", Severity.ERROR
    failing = _config("{name: adam, clipnorm: 1.0, clipvalue: 0.5}")
    fixed = _config("{name: adam, clipnorm: 1.0}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        optimizer = context.config.optimizer
        given = [key for key in CLIPPING if getattr(optimizer, key, None) is not None]
        if len(given) > 1:
            yield self.problem(context, ("optimizer", given[-1]),
                               f"the optimizer sets {' and '.join(given)}; Keras allows only one of clipnorm, "
                               "clipvalue and global_clipnorm", hint=f"keep one of {', '.join(given)}")


class SumReduction(Rule):
    """Loss reduced by ``sum``.

    ## What it does
    Finds a loss with ``reduction: sum``.

    ## Why is this bad?
    A summed loss grows with the batch size, and so do its gradients: the effective learning rate
    changes whenever the batch size does (and the last, smaller batch of an epoch takes a smaller
    step). Learning rates and regularization factors tuned for the usual mean no longer fit.

    ## Instead
    The default, ``sum_over_batch_size`` (the mean over the batch).
    """

    code, name, severity = "NN404", "sum-reduction", Severity.WARNING
    failing = _config("adam", loss="{name: mse, reduction: sum}")
    fixed = _config("adam", loss="mse")

    def check(self, context: LintContext) -> Iterator[Finding]:
        loss = context.config.loss
        losses = [((name,), spec) for name, spec in loss.items()] if isinstance(loss, dict) else [((), loss)]
        for keys, spec in losses:
            if getattr(spec, "reduction", None) == "sum":
                yield self.problem(context, ("loss", *keys, "reduction"),
                                   f"{spec.name} with reduction: sum scales the loss and its gradients with "
                                   "the batch size", hint="remove reduction to use sum_over_batch_size (the mean)",
                                   fixes=(removal(("loss", *keys, "reduction"), safe=False),))


class MomentumEffectiveStep(Rule):
    """SGD whose momentum makes its steps too large.

    ## What it does
    Computes SGD's effective learning rate, ``learning_rate / (1 - momentum)`` (each step adds the
    momentum of the ones before, so in a steady direction the step grows to that), for each rate a
    schedule steps through. It warns where that is above 1, or at 1 for a convolutional model
    without BatchNormalization or LayerNormalization.

    ## Why is this bad?
    Momentum multiplies the learning rate: 0.1 with momentum 0.9 moves like plain SGD at 1.0. A
    plain CNN trained so stays at chance accuracy (10% on ten classes); an MLP of two layers still
    trains at 1.0, but not much above it. Normalization layers make a network tolerate such steps
    (ResNets train at 0.1 with momentum 0.9), which is why it is common advice.

    ## Instead
    Lower the rate (0.01 with momentum 0.9 is an effective 0.1), or the momentum; or normalize
    between layers (BatchNormalization) if the large step is intended.
    """

    code, name, severity = "NN406", "momentum-effective-step", Severity.WARNING
    failing = _config("{name: sgd, learning_rate: 0.5, momentum: 0.9}")
    fixed = _config("{name: sgd, learning_rate: 0.05, momentum: 0.9}")

    def check(self, context: LintContext) -> Iterator[Finding]:
        optimizer = context.config.optimizer
        if optimizer.canonical != "sgd" or not optimizer.momentum:
            return
        convolutional = any(layer.spec.type in AFFINE - {"Dense"} for layer in context.layers)
        normalized = any(layer.spec.type in NORMALIZATION for layer in context.layers)
        strict = not convolutional or normalized  # at exactly 1 only a plain CNN is reported
        for keys, value, _, warmup_start in _rates(optimizer.learning_rate):
            step = value / (1 - optimizer.momentum) if optimizer.momentum < 1 else float("inf")
            if warmup_start or step < EFFECTIVE_STEP * (1 - 1e-9) or strict and step <= EFFECTIVE_STEP * (1 + 1e-9):
                continue
            plain = " on a convolutional model without normalization" if not strict else ""
            yield self.problem(context, ("optimizer", "momentum"),
                               f"SGD's effective step is {_label(keys)} / (1 - momentum) = {value:g} / "
                               f"{1 - optimizer.momentum:g} = {step:g}{plain}: training is likely to diverge or stall",
                               hint=f"lower the learning rate to {0.1 * (1 - optimizer.momentum):g} (an effective "
                                    "0.1), or the momentum")


class WeightDecayTwice(Rule):
    """Weight decay in the optimizer and L2 regularizers on the layers.

    ## What it does
    Finds an optimizer with ``weight_decay`` (``adamw`` has 0.004 by default) together with ``l2`` or
    ``l1_l2`` regularizers on the weights of trainable layers.

    ## Why is this bad?
    Keras's ``weight_decay`` shrinks every trainable weight at each step, and an L2 regularizer adds
    a penalty that does the same through the gradient: the weights are decayed twice, by two factors
    that have to be tuned together. With AdamW it also undoes the point of decoupled weight decay,
    since the L2 gradient is rescaled by Adam's per-weight step sizes.

    ## Instead
    One of them: the optimizer's ``weight_decay`` (with ``adamw``), or L2 regularizers with an
    optimizer without weight decay.
    """

    code, name, severity = "NN405", "weight-decay-twice", Severity.WARNING
    failing = _config("adamw", regularizer=", kernel_regularizer: {name: l2, l2: 1e-4}")
    fixed = _config("adamw")

    def check(self, context: LintContext) -> Iterator[Finding]:
        optimizer = context.config.optimizer
        if not optimizer.weight_decay:
            return
        decayed = [layer.name for layer in context.layers if _l2_on_weights(layer.spec)]
        if decayed:
            named = ", ".join(repr(name) for name in decayed[:3]) + (", ..." if len(decayed) > 3 else "")
            yield self.problem(context, ("optimizer", "weight_decay"),
                               f"{optimizer.canonical} applies weight_decay {optimizer.weight_decay:g} and L2 "
                               f"regularizers decay the weights of {named} again",
                               hint="keep one: drop the L2 regularizers, or set weight_decay to null (or use adam)")


def _l2_on_weights(spec) -> bool:
    """Whether a trainable layer (or a layer it wraps) puts an L2 penalty on one of its weights."""
    if not spec.trainable:
        return False
    for _, part in parts(spec):
        for field in type(part).model_fields:
            if not field.endswith("_regularizer") or field == "activity_regularizer":
                continue
            regularizer = getattr(part, field, None)
            if regularizer is not None and regularizer.canonical in ("l2", "l1_l2") and regularizer.l2 > 0:
                return True
    return False
