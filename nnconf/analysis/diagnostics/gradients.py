"""NN601-NN602: gradients that explode or vanish, per layer."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.diagnostics import examples
from nnconf.analysis.diagnostics.base import Diagnostic, Symptom, latest, named, when
from nnconf.analysis.diagnostics.evidence import Evidence, finite
from nnconf.findings import Severity

# AUTOTRAINER (Zhang et al., ICSE 2021), its default parameters: gradients explode where a layer's
# gradient norm is beta_3 = 70 times the output layer's; they vanish where the ratio is below
# beta_1 = 1e-3 and the layer's own norm below beta_2 = 1e-4.
EXPLODING_RATIO = 70.0
VANISHING_RATIO = 1e-3
VANISHING_NORM = 1e-4
# A plain SGD step (rate * gradient) as large as the weights it updates replaces them: nnconf's own
# threshold. DeepDiagnosis (Wardat et al., ICSE 2022) judges a learning rate too high from 0.1 of the
# weights; with plain SGD at rate 0.1 and momentum 0.9, a clean binary classifier (tests/fixtures/
# clean/binary_logits.yaml) steps 0.2 of its output layer's weights and trains well.
EXPLODING_STEP = 1.0


class ExplodingGradients(Diagnostic):
    """Exploding gradients.

    ## What it finds
    A layer whose gradient, on the monitoring batch, is

    - more than 70 times the gradient of the layer nearest the output (AUTOTRAINER's beta_3), or
    - so large, under plain SGD without clipping, that one step (the learning rate, divided by
      ``1 - momentum``, times the gradient) is larger than the layer's weights.

    ## Why is this bad?
    Steps that large overshoot: the loss jumps around, then becomes NaN. It comes from a learning
    rate or weights initialised too large, unscaled inputs or targets, or a deep stack without
    normalization.

    ## Instead
    Scale the inputs (``data.standardize``) and regression targets; lower the learning rate; clip
    gradients (``optimizer.global_clipnorm: 1.0``); add BatchNormalization.

    ## Thresholds
    70 is AUTOTRAINER's default (Zhang et al., "AUTOTRAINER: An Automatic DNN Training Problem
    Detection and Repair System", ICSE 2021). A step as large as the weights is nnconf's own:
    DeepDiagnosis (Wardat et al., ICSE 2022) calls a learning rate too high from a step of 0.1 of
    the weights, but a clean classifier with SGD at 0.1 and momentum 0.9 steps 0.2 of its output
    layer's weights and trains well. Optimizers that scale their steps themselves (Adam, RMSprop
    and the others) and clipped gradients are judged by the ratio alone: there a large gradient
    does not make a large step.
    """

    code, name, severity = "NN601", "exploding-gradients", Severity.ERROR
    measure = "gradients"
    failing = examples.regression("{name: sgd, learning_rate: 0.05}")
    fixed = examples.regression("{name: sgd, learning_rate: 0.05, global_clipnorm: 1.0}")

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        check, reference = latest(evidence), evidence.reference()
        if check is None or reference is None:
            return
        top = check.gradients.get(reference.name)
        for layer in evidence.layers:
            norm, weights = check.gradients.get(layer.name), check.weights.get(layer.name)
            if not layer.weighted or not finite(norm):
                continue
            if layer is not reference and finite(top) and top > 0 and norm > EXPLODING_RATIO * top:
                yield self.symptom(layer.keys, f"exploding gradients in {named(layer)} {when(check)}: its gradient "
                                   f"norm {norm:.3g} is {norm / top:.0f} times that of {reference.name!r} ({top:.3g})",
                                   _HINT)
            elif finite(check.step_size) and finite(weights) and weights > 0 \
                    and check.step_size * norm > EXPLODING_STEP * weights:
                yield self.symptom(layer.keys, f"exploding gradients in {named(layer)} {when(check)}: a step of SGD "
                                   f"({check.step_size:.3g} times the gradient, norm {norm:.3g}) is "
                                   f"{check.step_size * norm / weights:.2g} times the layer's weights (norm "
                                   f"{weights:.3g})", _HINT)


_HINT = "scale the inputs and targets, lower the learning rate, or clip gradients (optimizer.global_clipnorm: 1.0)"


class VanishingGradients(Diagnostic):
    """Vanishing gradients.

    ## What it finds
    A layer whose gradient norm on the monitoring batch is below 1e-4 and below 1/1000 of the
    gradient norm of the layer nearest the output (a gradient of exactly zero is left to NN603: the
    units that pass nothing back are dead). A layer whose output goes straight into
    BatchNormalization or LayerNormalization is not judged: normalization undoes the scale of its
    weights, so its gradient is small wherever its weights are large, by design (a clean VGG-style
    network's first convolution has 1/1600 of its classifier's gradient and trains well).

    ## Why is this bad?
    The layers near the input barely change: the network trains as if it were only its last
    layers. Deep stacks of sigmoid or tanh layers cause it (their slopes, at most 1/4 for sigmoid,
    multiply layer by layer), and so do weights initialised too small.

    ## Instead
    ReLU-family activations in hidden layers with ``he_normal`` initialisation, BatchNormalization
    between layers, or residual connections.

    ## Thresholds
    AUTOTRAINER's defaults (Zhang et al., ICSE 2021): the ratio to the output layer's gradient below
    beta_1 = 1e-3, and the layer's own gradient norm below beta_2 = 1e-4.
    """

    code, name, severity = "NN602", "vanishing-gradients", Severity.WARNING
    measure = "gradients"
    failing = examples.digits(["{type: Dense, units: 32, activation: sigmoid}"] * 8)
    fixed = examples.digits([examples.HE_RELU] * 8)

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        check, reference = latest(evidence), evidence.reference()
        if check is None or reference is None:
            return
        top = check.gradients.get(reference.name)
        if not finite(top) or top <= 0:
            return
        for layer in evidence.layers:
            norm = check.gradients.get(layer.name)
            if not layer.weighted or layer.normalized or layer is reference or not finite(norm):
                continue
            if 0 < norm < VANISHING_NORM and norm < VANISHING_RATIO * top:
                yield self.symptom(layer.keys, f"vanishing gradients in {named(layer)} {when(check)}: its gradient "
                                   f"norm {norm:.2g} is {top / norm:.3g} times smaller than that of "
                                   f"{reference.name!r} ({top:.3g})",
                                   "use relu (or gelu) with kernel_initializer: he_normal in hidden layers, or add "
                                   "BatchNormalization between them")
