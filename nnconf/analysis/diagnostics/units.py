"""NN603-NN604: units that are dead (ReLU never positive) or saturated (sigmoid or tanh), per layer."""

from __future__ import annotations

from collections.abc import Iterator

from nnconf.analysis.diagnostics import examples
from nnconf.analysis.diagnostics.base import Diagnostic, Symptom, latest, named, when
from nnconf.analysis.diagnostics.evidence import Evidence
from nnconf.findings import Severity

# AUTOTRAINER's gamma (0.7 of the gradients zero) and DeepDiagnosis's dead-node threshold (0.7 of a
# layer's outputs at or below zero) agree.
DEAD = 0.7
# DeepDiagnosis: a layer saturates when more than half its values lie beyond +-5 before sigmoid or tanh.
SATURATED = 0.5


class DeadUnits(Diagnostic):
    """Dead ReLU units.

    ## What it finds
    A ReLU layer in which at least 70% of the units are never positive on the monitoring batch:
    they output 0 for every sample, so they pass no gradient back and cannot recover.

    ## Why is this bad?
    A dead unit is a wasted unit; a layer mostly dead blocks the gradient of every layer before it.
    Units die from a learning rate too high (one large step pushes their bias far below zero),
    from negative bias initialisation, or from unscaled inputs.

    ## Instead
    Lower the learning rate; initialise biases at zero and kernels with ``he_normal``; standardize
    the inputs; or use ``leaky_relu``, ``elu`` or ``gelu``, which keep a gradient below zero.

    ## Thresholds
    0.7, the threshold of both AUTOTRAINER (Zhang et al., ICSE 2021: gamma, the share of zero
    gradients) and DeepDiagnosis (Wardat et al., "DeepDiagnosis: Automatically Diagnosing Faults and
    Recommending Actionable Fixes in Deep Learning Programs", ICSE 2022: the share of a layer's
    outputs at or below zero).
    """

    code, name, severity = "NN603", "dead-units", Severity.WARNING
    measure = "dead"
    failing = examples.digits(["{type: Dense, units: 32, activation: relu, bias_initializer: {name: constant, value: -5.0}}"])
    fixed = examples.digits([examples.HE_RELU])

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        check = latest(evidence)
        if check is None:
            return
        for layer in evidence.layers:
            share = check.dead.get(layer.name)
            if share is not None and share >= DEAD:
                yield self.symptom(layer.keys, f"{share:.0%} of the units of {named(layer)} are dead {when(check)}: "
                                   "never positive on the monitoring batch",
                                   "lower the learning rate, initialise biases at zero (kernel_initializer: "
                                   "he_normal), standardize the inputs, or use leaky_relu")


class SaturatedUnits(Diagnostic):
    """Saturated sigmoid or tanh units.

    ## What it finds
    A hidden sigmoid or tanh layer in which more than half the units are saturated: their input is
    beyond +-5 for most samples of the monitoring batch (sigmoid outputs below 0.0067 or above
    0.9933, tanh beyond +-0.9999). Output layers are not judged: a confident classifier saturates.

    ## Why is this bad?
    Where sigmoid and tanh are flat their slope is almost 0: a saturated unit passes almost no
    gradient back, and the layers before it stop learning. Unscaled inputs and large initial
    weights saturate them from the first step.

    ## Instead
    Standardize the inputs (``data.standardize: true``, or ``data.scale``); use the Glorot
    initialisation (the default); or use relu-family activations in hidden layers.

    ## Thresholds
    DeepDiagnosis (Wardat et al., ICSE 2022): inputs beyond +-5, in more than half of a layer.
    """

    code, name, severity = "NN604", "saturated-units", Severity.WARNING
    measure = "saturated"
    failing = examples.digits(["{type: Dense, units: 32, activation: tanh}"], scaled=False)
    fixed = examples.digits(["{type: Dense, units: 32, activation: tanh}"])

    def judge(self, evidence: Evidence) -> Iterator[Symptom]:
        check = latest(evidence)
        if check is None:
            return
        for layer in evidence.layers:
            share = check.saturated.get(layer.name)
            if share is not None and share > SATURATED:
                yield self.symptom(layer.keys, f"{share:.0%} of the {layer.activation} units of {named(layer)} are "
                                   f"saturated {when(check)}: their input is beyond +-5 for most samples",
                                   "standardize the inputs (data.standardize: true), keep the default glorot "
                                   "initialisation, or use relu in hidden layers")
