"""Watching a training run for faults: symptoms measured on a fixed, small monitoring batch and
judged by the NN6xx diagnostics (nnconf.analysis.diagnostics) into findings.

Measuring changes nothing about training: the batch is chosen with NumPy's own generator, the model
runs with ``training=False`` (no dropout draws, no batch-norm updates) and no weight is assigned,
so a run with diagnostics ends exactly where one without them does, and resumes as exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from nnconf.analysis.diagnostics import Symptom, judge
from nnconf.analysis.diagnostics.baseline import baseline_loss
from nnconf.analysis.diagnostics.evidence import Check, Evidence, LayerFacts
from nnconf.analysis.diagnostics.report import EVIDENCE_FILE, FINDINGS_FILE, read_findings
from nnconf.analysis.lint.context import PASS_THROUGH, LintContext, activation_of
# Normalization layers' weights scale or shift features rather than learn them: their gradients
# are not compared with the others'.
from nnconf.analysis.lint.optimizer import CLIPPING, NORMALIZATION
from nnconf.analysis.shapes import Inference
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import SourceMap, format_path
from nnconf.config.training import Diagnostics
from nnconf.engine.build import keras_object
from nnconf.engine.files import write_atomically
from nnconf.engine.runs import read_json, write_json
from nnconf.findings import Finding, Severity
from nnconf.formats import render

# Activations whose units die (never positive) and those that saturate, as nnconf names them.
DYING = {"relu", "relu6"}
SATURATING = {"sigmoid", "tanh"}
# DeepDiagnosis (Wardat et al., ICSE 2022) counts a sigmoid or tanh saturated where its input is
# beyond +-5; these are the outputs there.
SATURATED_OUTPUT = {"sigmoid": (1 / (1 + math.exp(5)), 1 / (1 + math.exp(-5))), "tanh": (-math.tanh(5), math.tanh(5))}
PICTURE_SAMPLES = 4096  # activation values kept per layer for the run's activation picture

Say = Callable[[str], None]


class Monitor(keras.callbacks.Callback):
    """Measures the monitoring batch at the start and after each epoch (or every N steps), judges
    the evidence, prints each finding when first seen and keeps them in the run directory.

    Args:
        settings: ``training.diagnostics``.
        config, inference, source: the run's config, its shapes, and where its values came from.
        x, y: the training inputs and labels, by model input and output name.
        out: where this process writes the run's files.
        say: where findings are printed.
        first_epoch: the epoch training starts from (after a resume, the evidence of the epochs
            before it is read back, and findings already reported are not reported again).
        strategy: a strategy that distributes the model: the monitoring batch is then measured on
            each replica (where its variables can be read) and the first replica's numbers kept.
    """

    def __init__(self, settings: Diagnostics, config: Config, inference: Inference, source: SourceMap,
                 x: dict, y: dict, out: Path, say: Say, first_epoch: int,
                 strategy: tf.distribute.Strategy | None = None):
        super().__init__()
        self.settings, self.config, self.inference, self.source = settings, config, inference, source
        self.out, self.say, self.first_epoch, self.strategy = out, say, first_epoch, strategy
        self.x, self.y = _monitoring_batch(x, y, settings.samples, config.seed)
        baseline, kind = baseline_loss(config, y)
        self.evidence = Evidence([], config.training.epochs, baseline, kind)
        self.findings: list[Finding] = []
        self.stopped_by: Finding | None = None
        self._steps = self._steps_in_epoch_start = self._epoch = 0
        self._resumed = _read_previous(out, first_epoch) if first_epoch else None

    # --- Keras's hooks -------------------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._probe = _Probe(self.model, self.config, self.inference, self.strategy)
        self.evidence.layers = self._probe.facts
        if self._resumed is not None:
            evidence, self.findings = self._resumed
            self.evidence.losses, self.evidence.checks = evidence.losses, evidence.checks
        self._steps = (self.params.get("steps") or 0) * self.first_epoch
        if not any(check.epoch == self.first_epoch for check in self.evidence.checks):
            self._look(self.first_epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None:
            del self.evidence.losses[epoch:]
            self.evidence.losses.append(float(loss) - self._probe.penalty())
        self._steps = (epoch + 1) * self.params["steps"] if self.params.get("steps") else self._steps
        self._look(epoch + 1)

    # --- looking, judging, reporting ----------------------------------------------------------

    def _look(self, epoch: int, during: bool = False) -> None:
        self.evidence.checks.append(self._probe.measure(self.x, self.y, epoch, self._steps, during))
        symptoms = judge(self.evidence, ignore=self.settings.ignore)
        fresh = [f for f in (self._finding(s) for s in symptoms) if not self._seen(f)]
        for finding in fresh:
            self.say(finding.format())
            self.findings.append(finding)
        write_json(self.out / EVIDENCE_FILE, self.evidence.to_dict())
        if fresh or not (self.out / FINDINGS_FILE).exists():
            write_atomically(self.out / FINDINGS_FILE, render("json", self.findings, 1))
        stopping = [f for f in fresh if _stops(f, self.settings.stop_on)]
        if stopping and self.stopped_by is None:
            self.stopped_by = stopping[0]
        if self.stopped_by is not None and not during and epoch > self.first_epoch:
            # At an epoch's end, after its checkpoint: the run stops where it can resume exactly.
            self.model.stop_training = True

    def _finding(self, symptom: Symptom) -> Finding:
        file, line, column = self.source.locate(symptom.keys)
        return Finding(symptom.code, symptom.message, path=format_path(symptom.keys), severity=symptom.severity,
                       hint=symptom.hint, file=file, line=line, column=column)

    def _seen(self, finding: Finding) -> bool:
        return any(f.rule == finding.rule and f.path == finding.path for f in self.findings)

    def activation_sample(self) -> dict[str, np.ndarray]:
        """Up to PICTURE_SAMPLES output values of each monitored layer on the monitoring batch, with
        the model's weights as they are now (for the run's activation picture)."""
        return self._probe.activations(self.x)

    def two_unit_layers(self) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
        """(name, kernel, bias, activation) of each Dense layer with two inputs and two units."""
        found = []
        for layer, facts in zip(self._probe.layers, self._probe.facts):
            kernel = getattr(layer, "kernel", None)
            if facts.type == "Dense" and kernel is not None and tuple(kernel.shape) == (2, 2):
                bias = np.asarray(layer.bias) if getattr(layer, "bias", None) is not None else np.zeros(2)
                found.append((facts.name, np.asarray(kernel), bias, facts.activation))
        return found


class StepMonitor(Monitor):
    """A Monitor that also looks every ``settings.every`` training steps. Keras reports steps when a
    call into TensorFlow ends, so it looks at most once per ``steps_per_execution`` steps."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._steps_in_epoch_start = self._steps

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        done = self._steps_in_epoch_start + batch + 1
        crossed = done // self.settings.every > self._steps // self.settings.every
        self._steps = done
        if crossed:
            self._look(self._epoch, during=True)


def monitor(settings: Diagnostics | None, config: Config, inference: Inference, source: SourceMap, x: dict, y: dict,
            out: Path, say: Say, first_epoch: int, strategy: tf.distribute.Strategy | None = None) -> Monitor | None:
    """The callback that watches a run (see Monitor), or None with diagnostics off."""
    if settings is None:
        return None
    kind = StepMonitor if isinstance(settings.every, int) else Monitor
    return kind(settings, config, inference, source, x, y, out, say, first_epoch, strategy)


def _stops(finding: Finding, stop_on: str) -> bool:
    if stop_on == "error":
        return finding.severity is Severity.ERROR
    return stop_on == "warning" and finding.severity in (Severity.ERROR, Severity.WARNING)


def _monitoring_batch(x: dict, y: dict, samples: int, seed: int | None) -> tuple[dict, dict]:
    """A fixed sample of the training data, drawn with NumPy's generator (never TensorFlow's, whose
    draws would change training)."""
    count = len(next(iter(x.values())))
    index = np.sort(np.random.default_rng(seed if seed is not None else 0).permutation(count)[:samples])
    return ({key: np.asarray(value)[index] for key, value in x.items()},
            {key: np.asarray(value)[index] for key, value in y.items()})


def _read_previous(out: Path, first_epoch: int) -> tuple[Evidence, list[Finding]] | None:
    """What a resumed run had measured up to the epoch it resumes after, and what it had reported."""
    try:
        evidence = Evidence.from_dict(read_json(out / EVIDENCE_FILE)).up_to(first_epoch)
        findings = read_findings(out)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a run from before diagnostics, or files cut short: start the evidence afresh
    return evidence, findings


# --- measuring ---------------------------------------------------------------------------------


class _Probe:
    """The model's layers, observed: one Keras model over every layer's output (built once), and a
    TensorFlow function (traced once) that differentiates the data loss of the monitoring batch and
    condenses every layer's gradient, weights and outputs into a few numbers, so that a look costs
    one call and moves only those numbers out of TensorFlow."""

    def __init__(self, model: keras.Model, config: Config, inference: Inference,
                 strategy: tf.distribute.Strategy | None = None):
        self.model, self.config, self.strategy = model, config, strategy
        pairs = _monitored(model, config, inference)
        self.layers = [layer for layer, _ in pairs]
        self.facts = [facts for _, facts in pairs]
        self.outputs = config.output_names()
        inputs = _as_list(model.inputs)
        # Called as the model is: with one array, or with arrays by input name.
        structure = inputs[0] if len(inputs) == 1 else {tensor.name: tensor for tensor in inputs}
        self.network = keras.Model(structure, [*_as_list(model.outputs), *(layer.output for layer in self.layers)])
        self.losses = {name: keras_object(keras.losses, spec) for name, spec in config.losses().items()}
        weights = config.loss_weights
        self.weights = {name: float(weights.get(name, 1.0) if isinstance(weights, dict) else weights)
                        for name in self.outputs} if weights is not None else {}
        self.weighted = [facts for facts in self.facts if facts.weighted]
        self.variables = [layer.trainable_weights for layer, facts in pairs if facts.weighted]
        self.axes = {facts.name: 1 if getattr(layer, "data_format", None) == "channels_first" else -1
                     for layer, facts in pairs}
        self.dying = [facts for facts in self.facts if facts.activation in DYING]
        self.saturating = [facts for facts in self.facts if facts.activation in SATURATING and not facts.output]
        # Plain Python builds the graph (no AutoGraph): the loops run over layers, not over tensors.
        self._statistics = tf.function(self._condensed, autograph=False)

    @staticmethod
    def _inputs(x: dict):
        """A plain array for a model of one input; by input name for several (as Keras matches them)."""
        return next(iter(x.values())) if len(x) == 1 else x

    def measure(self, x: dict, y: dict, epoch: int, step: int, during: bool) -> Check:
        numbers = {key: np.asarray(value) for key, value in self._replica(self._statistics, self._inputs(x), y).items()}
        check = Check(epoch=epoch, step=step, during=during, loss=float(numbers["loss"]), step_size=self.step_size())
        for facts, gradient, weight in zip(self.weighted, numbers["gradients"], numbers["weights"]):
            check.gradients[facts.name], check.weights[facts.name] = math.sqrt(gradient), math.sqrt(weight)
        # A layer is broken where its output or its weights are not finite: a NaN step leaves NaN weights,
        # which some kernels (a fused relu) turn into finite outputs.
        bad_weights = {facts.name for facts in self.weighted if not math.isfinite(check.weights[facts.name])}
        broken = [facts.name for facts, finite in zip(self.facts, numbers["finite"])
                  if not finite or facts.name in bad_weights]
        check.non_finite = broken[0] if broken else None
        check.dead = {facts.name: float(share) for facts, share in zip(self.dying, numbers["dead"])}
        check.saturated = {facts.name: float(share) for facts, share in zip(self.saturating, numbers["saturated"])}
        return check

    def _outputs(self, x) -> list:
        return self.network(x, training=False)[len(self.outputs):]

    def _condensed(self, x, y) -> dict:
        """The loss, each weighted layer's squared gradient and weight norms, whether each layer's
        output is finite, and the shares of dead and of saturated units."""
        flat = [variable for group in self.variables for variable in group]
        with tf.GradientTape() as tape:
            values = self.network(x, training=False)
            predictions, activations = values[:len(self.outputs)], values[len(self.outputs):]
            loss = self._data_loss(y, predictions)
        gradients = iter(tape.gradient(loss, flat))
        squared_gradients, squared_weights = [], []
        for group in self.variables:
            own = [next(gradients) for _ in group]
            squared_gradients.append(_squares(own))
            squared_weights.append(_squares(group))
        outputs = {facts.name: tf.cast(value, tf.float32) for facts, value in zip(self.facts, activations)}
        return {
            "loss": loss,
            "gradients": tf.stack(squared_gradients) if squared_gradients else tf.zeros([0]),
            "weights": tf.stack(squared_weights) if squared_weights else tf.zeros([0]),
            "finite": tf.stack([tf.reduce_all(tf.math.is_finite(value)) for value in outputs.values()]),
            "dead": tf.stack([_dead_share(outputs[f.name], self.axes[f.name]) for f in self.dying] or [0.0]),
            "saturated": tf.stack([_saturated_share(outputs[f.name], self.axes[f.name], SATURATED_OUTPUT[f.activation])
                                   for f in self.saturating] or [0.0]),
        }

    def step_size(self) -> float | None:
        """What plain SGD multiplies a gradient by to make a step: rate / (1 - momentum)."""
        spec = self.config.optimizer
        if spec.canonical != "sgd" or any(getattr(spec, key) is not None for key in CLIPPING):
            return None
        rate = float(np.asarray(self.model.optimizer.learning_rate))  # a schedule's rate at this step
        return rate / (1 - spec.momentum) if spec.momentum < 1 else math.inf

    def _data_loss(self, y: dict, predictions: list) -> tf.Tensor:
        total = 0.0
        for name, prediction in zip(self.outputs, predictions):
            value = self.losses[name](y[name], prediction)
            total = total + self.weights.get(name, 1.0) * tf.cast(value, tf.float32)
        return total

    def penalty(self) -> float:
        """The regularization penalties in the logged loss, with the weights as they are now."""
        losses = self.model.losses
        return float(sum(float(value) for value in losses)) if losses else 0.0

    def _replica(self, function, *arguments):
        """``function(*arguments)``, or under a distributing strategy its result on the first replica."""
        if self.strategy is None:
            return function(*arguments)
        results = self.strategy.run(function, args=arguments)
        return tf.nest.map_structure(lambda value: self.strategy.experimental_local_results(value)[0], results)

    def activations(self, x: dict) -> dict[str, np.ndarray]:
        values = self._replica(tf.function(self._outputs, autograph=False), self._inputs(x))
        sample = {}
        for facts, value in zip(self.facts, values):
            flat = np.asarray(value).astype(np.float32).ravel()
            sample[facts.name] = flat[np.linspace(0, flat.size - 1, min(flat.size, PICTURE_SAMPLES)).astype(int)]
        return sample


def _monitored(model: keras.Model, config: Config, inference: Inference) -> list[tuple[keras.layers.Layer, LayerFacts]]:
    """Each Keras layer with the config layer it was built from, in the order the model computes them,
    named as nnconf names it (``nnconf summary``), which a sequential model's Keras names need not be."""
    outputs = set(config.output_names()) if isinstance(config.model, FunctionalModel) else {inference.layers[-1].name}
    keras_layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if isinstance(config.model, FunctionalModel):
        by_name = {shape.name: shape for shape in inference.layers}
        pairs = [(layer, by_name[layer.name]) for layer in keras_layers if layer.name in by_name]
    else:
        pairs = list(zip(keras_layers, inference.layers))
    context = LintContext(config, inference, SourceMap())
    result = []
    for layer, shape in pairs:
        if isinstance(layer, keras.Model) or isinstance(layer.output, (list, tuple)):
            continue  # a model inside (a Backbone), or a layer of several outputs: no diagnostic reads those
        facts = LayerFacts(name=shape.name, index=shape.index, type=shape.spec.type,
                           activation=activation_of(shape.spec) or "linear", output=shape.name in outputs,
                           weighted=bool(layer.trainable_weights) and shape.spec.type not in NORMALIZATION,
                           normalized=_normalized(context, shape))
        result.append((layer, facts))
    return result


def _normalized(context: LintContext, shape) -> bool:
    """Whether a layer's output reaches a normalization layer through layers that pass values on as
    they are, and nothing else."""
    current = shape
    while True:
        after = context.successors(current)
        if len(after) != 1:
            return False
        if after[0].spec.type in NORMALIZATION:
            return True
        if after[0].spec.type not in PASS_THROUGH:
            return False
        current = after[0]


def _as_list(tensors) -> list:
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


def _squares(tensors) -> tf.Tensor:
    """The sum of the squares of every value of some tensors (None, a gradient that does not exist, adds 0)."""
    total = tf.constant(0.0)
    for tensor in tensors:
        if tensor is not None:  # an embedding's gradient comes as IndexedSlices: made dense first
            total += tf.reduce_sum(tf.square(tf.cast(tf.convert_to_tensor(tensor), tf.float32)))
    return total


def _by_unit(values: tf.Tensor, axis: int) -> tf.Tensor:
    """The values as (observation, unit): a unit is a feature (Dense) or a channel (convolution)."""
    if axis != -1:
        values = tf.experimental.numpy.moveaxis(values, axis, -1)
    return tf.reshape(values, [-1, tf.shape(values)[-1]])


def _dead_share(values: tf.Tensor, axis: int) -> tf.Tensor:
    """The share of units never positive."""
    return tf.reduce_mean(tf.cast(tf.reduce_max(_by_unit(values, axis), axis=0) <= 0, tf.float32))


def _saturated_share(values: tf.Tensor, axis: int, bounds: tuple[float, float]) -> tf.Tensor:
    """The share of units saturated (beyond ``bounds``) for more than half of the observations."""
    units = _by_unit(values, axis)
    saturated = tf.cast((units <= bounds[0]) | (units >= bounds[1]), tf.float32)
    return tf.reduce_mean(tf.cast(tf.reduce_mean(saturated, axis=0) > 0.5, tf.float32))
