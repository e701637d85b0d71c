"""NN605-NN608: the loss: not finite, no better than a trivial model, oscillating, or diverging."""

from __future__ import annotations

import math
from collections.abc import Iterator

from nnconf.analysis.diagnostics import examples
from nnconf.analysis.diagnostics.base import Diagnostic, Symptom, judgement_epoch, latest
from nnconf.analysis.diagnostics.evidence import Evidence
from nnconf.findings import Severity

LEARNING_RATE = ("optimizer", "learning_rate")
# AUTOTRAINER's delta: less than this relative improvement on the trivial model is no improvement.
BASELINE_MARGIN = 0.01
# AUTOTRAINER's oscillation test (ol_judge), with its defaults: a swing is a peak at least zeta above
# the trough before it (relative to that trough, for a loss), and the curve oscillates when it
# swings in at least eta of its epochs.
SWING = 0.03
SWINGS_PER_EPOCH = 0.2
MINIMUM_SWINGS = 2
# A loss that rose this many epochs in a row, to this factor of its lowest value before, diverges.
RISING_EPOCHS = 3
DIVERGED = 1.5


class NonFiniteLoss(Diagnostic):
    """A loss that became NaN or infinite.

    ## What it finds
    A training loss that is NaN or infinite, and the first layer (in the order the model computes
    them) whose output on the monitoring batch, or whose weights, are no longer finite: where the
    fault shows first. Where every layer is finite, the loss itself is reported.

    ## Why is this bad?
    Once a weight is NaN every later step is NaN: training is over (nnconf stops the run and keeps
    the last good checkpoint). A learning rate too large, unscaled inputs or targets, a log or a
    division of zero in a loss, or exploding gradients cause it.

    ## Instead
    Lower the learning rate, standardize the inputs and regression targets, clip gradients
    (``optimizer.global_clipnorm: 1.0``), and use ``from_logits: true`` losses.

    ## Thresholds
    None: any NaN or infinity. Locating the first layer whose output is not finite is DeepLocalize's
    method (Wardat et al., "DeepLocalize: Fault Localization for Deep Neural Networks", ICSE 2021).
    """

    code, name, severity = "NN605", "non-finite-loss", Severity.ERROR
    failing = examples.regression("{name: sgd, learning_rate: 0.002}")
    fixed = examples.regression("{name: sgd, learning_rate: 0.0005}")

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        check = latest(evidence)
        lost = [index for index, loss in enumerate(evidence.losses) if not math.isfinite(loss)]
        batch_lost = check is not None and check.loss is not None and not math.isfinite(check.loss)
        if not lost and not batch_lost:
            return
        epoch = f"in epoch {lost[0] + 1}" if lost else "on the monitoring batch"
        layer = evidence.layer(check.non_finite) if check is not None and check.non_finite else None
        if layer is not None:
            yield self.symptom(layer.keys, f"the loss became NaN or infinite {epoch}; the first layer whose output "
                               f"or weights are not finite is {layer.name!r} ({layer.type})", _NAN_HINT)
        else:
            yield self.symptom(("loss",), f"the loss became NaN or infinite {epoch}, while every layer's output "
                               "and weights are finite: the loss itself overflows",
                               "use from_logits: true with a linear output layer, and check the labels for values "
                               "the loss cannot take")


_NAN_HINT = ("lower the learning rate, standardize the inputs and regression targets, or clip gradients "
             "(optimizer.global_clipnorm: 1.0)")


class NoBetterThanBaseline(Diagnostic):
    """A loss no better than a trivial model's.

    ## What it finds
    A training loss that, from 30% of the planned epochs on (at least 2 epochs), is not at least 1%
    below the loss of the trivial model that ignores its inputs, and no longer falls by 1% an
    epoch. The trivial model predicts the class prior for classification, the mean (for ``mae``,
    the median) of the targets for regression. The regularization penalties are taken out of the
    loss first. Losses other than crossentropies, ``mse`` and ``mae`` are not judged.

    ## Why is this bad?
    The model has learned nothing a constant could not: a learning rate far too small (Keras's
    Adadelta defaults to 0.001 where its paper uses 1.0), a frozen or disconnected model, labels
    that do not match the inputs, or an output that cannot express the targets.

    ## Instead
    Check the learning rate against the optimizer (``nnconf lint`` knows the usual ranges), that
    the labels belong to their samples, and that the output layer fits the task.

    ## Thresholds
    AUTOTRAINER (Zhang et al., ICSE 2021): judged from 30% of the epochs on (its judgement
    point), and less than delta = 0.01 of improvement counts as none (its test of slow
    convergence, applied to the loss relative to its value).
    """

    code, name, severity = "NN606", "no-better-than-baseline", Severity.WARNING
    failing = examples.digits([examples.HE_RELU], optimizer="adadelta", epochs=5)
    fixed = examples.digits([examples.HE_RELU], optimizer="{name: adadelta, learning_rate: 1.0}", epochs=5)

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        losses, baseline = evidence.losses, evidence.baseline
        if baseline is None or baseline <= 0 or len(losses) < judgement_epoch(evidence):
            return
        loss, before = losses[-1], losses[-2]
        stalled = math.isfinite(before) and loss > (1 - BASELINE_MARGIN) * before
        if math.isfinite(loss) and loss > (1 - BASELINE_MARGIN) * baseline and stalled:
            yield self.symptom(LEARNING_RATE, f"after {len(losses)} epochs the training loss {loss:.4g} is no better "
                               f"than {baseline:.4g}, the loss of always predicting {evidence.baseline_kind}, and "
                               f"no longer falls ({before:.4g} the epoch before)",
                               "check the learning rate for this optimizer, that the labels match the inputs, and "
                               "that the output layer fits the task")


class OscillatingLoss(Diagnostic):
    """An oscillating loss.

    ## What it finds
    A training loss that swings up and down from epoch to epoch: from 30% of the planned epochs on
    (at least 2), it rose at least 3% above a preceding low in at least one epoch of five (and at
    least twice).

    ## Why is this bad?
    Training is unstable: the steps overshoot the minimum and bounce around it, usually from a
    learning rate too high (or a momentum too high for it), or batches too small and noisy.

    ## Instead
    Lower the learning rate (or use a decaying schedule), raise the batch size, or switch to Adam.

    ## Thresholds
    AUTOTRAINER's oscillation test (Zhang et al., ICSE 2021) with its defaults, zeta = 0.03 and
    eta = 0.2, applied to the loss (a rise of 3% of the low it starts from) instead of the accuracy.
    """

    code, name, severity = "NN607", "oscillating-loss", Severity.WARNING
    failing = examples.digits([examples.HE_RELU], optimizer="{name: sgd, learning_rate: 0.5, momentum: 0.9}", epochs=10)
    fixed = examples.digits([examples.HE_RELU], optimizer="{name: sgd, learning_rate: 0.05, momentum: 0.9}", epochs=10)

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        losses = evidence.losses
        if len(losses) < max(3, judgement_epoch(evidence)) or not all(math.isfinite(v) for v in losses):
            return
        swings = _swings(losses)
        if len(swings) >= max(MINIMUM_SWINGS, SWINGS_PER_EPOCH * len(losses)):
            shown = ", ".join(f"{low:.3g} to {high:.3g} (epoch {epoch})" for epoch, low, high in swings[:3])
            yield self.symptom(LEARNING_RATE, f"the training loss oscillates: it rose {len(swings)} times in "
                               f"{len(losses)} epochs by {SWING:.0%} or more ({shown})",
                               "lower the learning rate or use a decaying schedule, or raise the batch size")


def _swings(losses: list[float]) -> list[tuple[int, float, float]]:
    """(epoch of the peak, the low before it, the peak) for each rise of SWING or more."""
    swings, low = [], losses[0]
    for index in range(1, len(losses)):
        value = losses[index]
        peak = index == len(losses) - 1 or value >= losses[index + 1]
        if value > losses[index - 1] and peak and value >= low * (1 + SWING) and low > 0:
            swings.append((index + 1, low, value))
            low = value
        low = min(low, value)
    return swings


# A schedule whose "decay" rate of 2 doubles the learning rate every 10 steps (the example trains 7 an epoch).
_GROWING = ("{{name: adam, learning_rate: {{name: exponential_decay, initial_learning_rate: 0.001, decay_steps: 10, "
            "decay_rate: {rate}}}}}")


class DivergingLoss(Diagnostic):
    """A diverging loss.

    ## What it finds
    A training loss that rose in each of the last 3 epochs, to at least 1.5 times the lowest value
    it had reached.

    ## Why is this bad?
    Training is making the model worse: the learning rate is too high for the landscape it has
    reached, and the loss usually ends in NaN.

    ## Instead
    Lower the learning rate, use a decaying schedule, or clip gradients
    (``optimizer.global_clipnorm: 1.0``).

    ## Thresholds
    nnconf's own: a training loss (unlike a validation loss, which rises when a model overfits)
    that rises three epochs in a row, by half its best value, is not noise. AUTOTRAINER and
    DeepDiagnosis stop at a NaN loss (NN605), which usually follows.
    """

    code, name, severity = "NN608", "diverging-loss", Severity.ERROR
    failing = examples.digits([examples.HE_RELU], optimizer=_GROWING.format(rate=2.0), epochs=10)
    fixed = examples.digits([examples.HE_RELU], optimizer=_GROWING.format(rate=0.9), epochs=10)

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        losses = evidence.losses
        if len(losses) <= RISING_EPOCHS or not all(math.isfinite(v) for v in losses):
            return
        recent, lowest = losses[-RISING_EPOCHS - 1:], min(losses[:-RISING_EPOCHS])
        if all(b > a for a, b in zip(recent, recent[1:])) and lowest > 0 and losses[-1] >= DIVERGED * lowest:
            yield self.symptom(LEARNING_RATE, f"the training loss diverges: it rose {RISING_EPOCHS} epochs in a row, "
                               f"from {recent[0]:.4g} to {losses[-1]:.4g}, {losses[-1] / lowest:.2g} times its lowest "
                               f"({lowest:.4g})",
                               "lower the learning rate, use a decaying schedule, or clip gradients "
                               "(optimizer.global_clipnorm: 1.0)")
