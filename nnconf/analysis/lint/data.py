"""NN5xx: rules that judge the model against its training data (and the training settings).

Most of these rules need facts about the data (``LintContext.data``); before the data is loaded
they report nothing. The parts that need only the config (a forced label encoding, batch size 1)
work without it.

A rule that needs data to fire on its ``failing`` example says what that data looks like in
``example_data``, a JSON-able description that ``facts_from_example`` turns into ``DataFacts``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import ClassVar

from nnconf.analysis.data_facts import DataFacts, InputFacts, LabelFacts
from nnconf.analysis.lint.context import ACTIVATION_LAYERS, PASS_THROUGH, LintContext, Output, activation_of
from nnconf.analysis.lint.initialization import parts
from nnconf.analysis.lint.outputs import CLASSIFICATION, loss_name
from nnconf.analysis.lint.rule import Rule
from nnconf.analysis.shapes import LayerShape
from nnconf.config.model import FunctionalModel
from nnconf.config.source import Path
from nnconf.findings import Finding, Severity

# Inputs whose largest magnitude is above this count as unscaled (NN505).
UNSCALED_ABOVE = 10.0
# The largest class having at least this many times the samples of the smallest is imbalance (NN506).
IMBALANCE_RATIO = 10.0
# First layers that put their inputs on a sensible scale themselves.
SCALING_LAYERS = {"Rescaling", "BatchNormalization", "LayerNormalization"}
# Losses that counter class imbalance (they down-weight the easy, majority-class samples).
FOCAL_LOSSES = {"binary_focal_crossentropy", "categorical_focal_crossentropy"}
# Classes with fewer training samples than this are too small to learn (NN509); at most so many are named.
MIN_CLASS_SAMPLES = 5
_SHOWN_CLASSES = 3
# Label sample shapes of one label per sample.
SCALAR = ((), (1,))


# --- data facts from a JSON-able example -------------------------------------------------------------


def facts_from_example(example: dict) -> DataFacts:
    """``DataFacts`` from a rule's ``example_data``.

    ``{"samples": 100, "inputs": {"input": {"sample_shape": [8], "minimum": 0, "maximum": 255,
    "integer": true}}, "labels": {"": {"kind": "integer", "sample_shape": [], "classes": 10,
    "class_counts": [10, ...], "minimum": 0, "maximum": 9}}}``. Inputs are keyed by model input
    name (``input`` for a sequential model), labels by output name (``''`` for a sequential model).
    ``sample_shape`` of labels defaults to ``[]``; ``classes``, ``class_counts`` and ``class_names`` to
    null. ``sampled`` (the samples a streaming source's inputs were described from) defaults to null.
    """
    inputs = {name: InputFacts(tuple(facts["sample_shape"]), float(facts["minimum"]), float(facts["maximum"]),
                               bool(facts.get("integer", False)))
              for name, facts in example.get("inputs", {}).items()}
    labels = {}
    for name, facts in example.get("labels", {}).items():
        counts, names = facts.get("class_counts"), facts.get("class_names")
        labels[name] = LabelFacts(facts["kind"], tuple(facts.get("sample_shape", ())), facts.get("classes"),
                                  None if counts is None else tuple(int(c) for c in counts),
                                  float(facts["minimum"]), float(facts["maximum"]),
                                  None if names is None else tuple(str(n) for n in names))
    return DataFacts(int(example.get("samples", 0)), inputs, labels, example.get("sampled"))


def example_facts(rule: type[Rule], *, fixed: bool = False) -> DataFacts | None:
    """The data a rule's failing example (or with ``fixed``, its fixed example) is linted with: its
    ``example_data``, or for the fixed example its ``fixed_data`` where the fix changes the data too."""
    example = getattr(rule, "fixed_data", None) if fixed else None
    example = example if example is not None else getattr(rule, "example_data", None)
    return facts_from_example(example) if example is not None else None


# --- what the rules share ----------------------------------------------------------------------------


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.4g}"


def _shape(shape) -> str:
    return "[" + ", ".join("null" if d is None else str(d) for d in shape) + "]"


def _input_path(context: LintContext, name: str) -> Path:
    if isinstance(context.config.model, FunctionalModel):
        return ("model", "inputs", name)
    return ("model", "input_shape")


def _inputs(context: LintContext) -> Iterator[tuple[str, tuple, InputFacts]]:
    """Each model input with its data facts: by name, or the one input of each where both have one."""
    data = context.data
    if data is None:
        return
    shapes = context.inference.input_shapes
    if len(shapes) == 1 and len(data.inputs) == 1 and next(iter(shapes)) not in data.inputs:
        (name, shape), = shapes.items()
        yield name, tuple(shape), next(iter(data.inputs.values()))
        return
    for name, shape in shapes.items():
        if name in data.inputs:
            yield name, tuple(shape), data.inputs[name]


def _labels(context: LintContext, output: Output) -> LabelFacts | None:
    """The label facts of one output: by name, or the only labels of a one-output model."""
    data = context.data
    if data is None:
        return None
    if output.name in data.labels:
        return data.labels[output.name]
    if len(context.outputs) == 1 and len(data.labels) == 1:
        return next(iter(data.labels.values()))
    return None


def _labelled_outputs(context: LintContext) -> Iterator[tuple[Output, LabelFacts]]:
    for output in context.outputs:
        labels = _labels(context, output)
        if labels is not None:
            yield output, labels


def _sampled(context: LintContext) -> str:
    """How the inputs were judged, where a streaming source's were read only in part (else nothing)."""
    data = context.data
    if data is None or data.sampled is None:
        return ""
    return f" (from {data.sampled} samples read of {data.samples}: files are read only as training goes)"


def _class(labels: LabelFacts, index: int) -> str:
    """A class by its name where the data names its classes (class folders, label words), else its id."""
    return f"class {_class_name(labels, index)}"


def _class_name(labels: LabelFacts, index: int) -> str:
    names = labels.class_names
    return repr(names[index]) if names and index < len(names) else str(index)


def _of(output: Output) -> str:
    """' of output 'x'' in a multi-output model, else nothing."""
    return f" of {output.label}" if output.name else ""


def _data_path(context: LintContext, *keys, fallback: Path) -> Path:
    """A path in the ``data`` section where the config has one, else ``fallback``."""
    return ("data", *keys) if context.config.data is not None else fallback


def _look_through(layer: LayerShape) -> bool:
    """Whether the layer leaves values and units as they were (dropout, flatten, an activation)."""
    return layer.spec.type in PASS_THROUGH | ACTIVATION_LAYERS | {"Activation"}


def _units_path(context: LintContext, layer: LayerShape) -> Path:
    """Where the output's width is written: ``units`` (or ``filters``) of the layer that sets it."""
    current = layer
    while True:
        for key in ("units", "filters"):
            if key in type(current.spec).model_fields:
                return context.layer_path(current, key)
        before = context.predecessors(current)
        if not _look_through(current) or len(before) != 1:
            return context.layer_path(layer)
        current = before[0]


def _activation_path(context: LintContext, layer: LayerShape) -> Path:
    """Where the activation in effect at ``layer`` is written."""
    current = layer
    while True:
        if activation_of(current.spec) is not None:
            keys = ("activation",) if "activation" in type(current.spec).model_fields else ()
            return context.layer_path(current, *keys)
        before = context.predecessors(current)
        if current.spec.type not in PASS_THROUGH or len(before) != 1:
            return context.layer_path(layer)
        current = before[0]


def _prepared_by_backbone(layer: LayerShape) -> bool:
    """A backbone with pretrained weights takes the pixels its application's preprocessing makes (NN220
    checks that); some applications scale 0-255 pixels themselves, pretrained or not."""
    spec = layer.spec
    return spec.type == "Backbone" and (spec.weights is not None or spec.entry["preprocessing"] == "included")


def _first_working_layers(context: LintContext, name: str) -> list[LayerShape]:
    """The layers that first change the values of model input ``name``, past reshapes and dropout."""
    result = []
    if isinstance(context.config.model, FunctionalModel):
        stack = [layer for layer in context.layers if name in layer.input_names]
    else:
        stack = context.layers[:1]
    seen = set()
    while stack:
        layer = stack.pop()
        if layer.name in seen:
            continue
        seen.add(layer.name)
        if layer.spec.type in PASS_THROUGH:
            stack.extend(context.successors(layer))
        else:
            result.append(layer)
    return result


# --- the rules -----------------------------------------------------------------------------------


class LabelEncodingMismatch(Rule):
    """Labels encoded, or valued, differently from what the loss takes.

    ## What it does
    Finds ``data.labels`` forced to ``integer`` with a loss that takes one-hot labels (categorical
    crossentropy, categorical focal crossentropy, categorical hinge), or forced to ``one_hot`` with
    sparse categorical crossentropy. Once the data is known, it also finds binary (focal)
    crossentropy on labels outside [0, 1], sparse categorical crossentropy on labels that are not
    class ids (negative or fractional numbers, or several classes per sample), and categorical
    crossentropy on one label per sample that is no class id.

    With ``data.labels: auto`` (the default) nnconf converts integer labels to one-hot and back as
    the loss needs, so integer labels with categorical crossentropy are no error by themselves.

    ## Why is this bad?
    Sparse categorical crossentropy takes one class id per sample, categorical crossentropy one
    probability per class: given the other encoding, training stops with a shape error, or worse,
    runs on misread labels. Binary crossentropy of a label of 7 is not a likelihood at all: the
    loss goes negative and training drifts without learning.

    ## Instead
    ``data.labels: auto``, or the loss that matches the encoding: ``sparse_categorical_crossentropy``
    for class ids, ``categorical_crossentropy`` for one-hot rows, ``binary_crossentropy`` for 0/1
    labels.
    """

    code, name, severity = "NN501", "label-encoding-mismatch", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [64], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: categorical_crossentropy
data: {source: sklearn.digits, scale: 16, labels: integer}
"""
    fixed = """
task: multiclass
model: {input_shape: [64], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: categorical_crossentropy
data: {source: sklearn.digits, scale: 16, labels: auto}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        yield from self._forced(context)
        for output, labels in _labelled_outputs(context):
            yield from self._valued(context, output, labels)

    def _forced(self, context: LintContext) -> Iterator[Finding]:
        data = context.config.data
        if data is None or data.labels == "auto":
            return
        for output in context.outputs:
            target, loss = output.loss.TARGET, loss_name(output)
            if data.labels == "integer" and target == "one_hot":
                yield self.problem(
                    context, ("data", "labels"),
                    f"data.labels is 'integer', but {loss}{_of(output)} takes one-hot labels",
                    hint="set data.labels: auto (nnconf then encodes the labels as the loss takes them), or use "
                         "sparse_categorical_crossentropy")
            elif data.labels == "one_hot" and target == "integer":
                yield self.problem(
                    context, ("data", "labels"),
                    f"data.labels is 'one_hot', but {loss}{_of(output)} takes integer class ids",
                    hint="set data.labels: auto (nnconf then encodes the labels as the loss takes them), or use "
                         "categorical_crossentropy")

    def _valued(self, context: LintContext, output: Output, labels: LabelFacts) -> Iterator[Finding]:
        target, loss = output.loss.TARGET, loss_name(output)
        low, high = _number(labels.minimum), _number(labels.maximum)
        if target == "binary" and output.loss.CROSSENTROPY and (labels.minimum < 0 or labels.maximum > 1):
            if labels.kind == "integer" and labels.classes:
                hint = (f"for {labels.classes} exclusive classes use sparse_categorical_crossentropy with "
                        f"{labels.classes} softmax units")
            else:
                hint = "scale the labels into [0, 1], or use a loss for real-valued targets (mse, huber)"
            yield self.problem(context, output.path("loss"),
                               f"{loss} takes labels in [0, 1], but the labels{_of(output)} range from {low} to "
                               f"{high}", hint=hint)
        elif target == "integer" and labels.kind == "multilabel":
            yield self.problem(context, output.path("loss"),
                               f"{loss} takes one class id per sample, but the labels{_of(output)} mark several "
                               f"classes per sample ({labels.classes} columns)",
                               hint="for several labels per sample use binary_crossentropy with sigmoid units")
        elif (target in ("integer", "one_hot") and labels.kind == "real"
              and (labels.sample_shape in SCALAR or labels.minimum < 0)):
            # Real labels of one value per sample are negative or fractional; per-position labels
            # (sequences) are real only when they are, which the facts tell by a negative minimum.
            yield self.problem(context, output.path("loss"),
                               f"{loss} takes class ids (whole numbers from 0), but the labels{_of(output)} are "
                               f"real numbers from {low} to {high}",
                               hint="for real-valued targets use task: regression with mse or huber; for classes, "
                                    "number them 0, 1, 2, ...")


class UnitsVersusClasses(Rule):
    """Output units that do not match the number of classes in the labels.

    ## What it does
    Finds a classification output with fewer units than the labels have classes (an error), or more
    (a warning). One sigmoid unit for two classes (0/1 labels with binary crossentropy) is right.
    The classes are the largest integer label plus one, or the width of one-hot and multilabel rows.

    ## Why is this bad?
    With fewer units, labels at or above the unit count have no score: sparse categorical
    crossentropy fails on them (on GPU it may silently return nonsense), and one-hot rows do not
    fit the output. With more, the extra units are classes that never occur: their logits are only
    pushed down, wasting capacity and skewing calibration.

    ## Instead
    ``units`` equal to the number of classes (one sigmoid unit for binary labels).
    """

    code, name, severity = "NN502", "units-versus-classes", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [64], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    fixed = """
task: multiclass
model: {input_shape: [64], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
"""
    example_data: ClassVar[dict] = {
        "samples": 1000,
        "inputs": {"input": {"sample_shape": [64], "minimum": -2.5, "maximum": 3.0, "integer": False}},
        "labels": {"": {"kind": "integer", "sample_shape": [], "classes": 10, "class_counts": [100] * 10,
                        "minimum": 0, "maximum": 9}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output, labels in _labelled_outputs(context):
            shape = output.layer.output_shape
            if (labels.classes is None or output.units is None or not shape or len(shape) != 1
                    or not (output.task in CLASSIFICATION or output.loss.CROSSENTROPY)):
                continue
            units, classes = output.units, labels.classes
            present = [index for index, count in enumerate(labels.class_counts or ()) if count]
            if labels.kind in ("integer", "binary") and len(present) == 1:
                yield self._one_class(context, output, labels, present[0])
                continue
            if units == classes or units == 1 and classes == 2 and output.loss.TARGET not in ("integer", "one_hot"):
                continue
            path = _units_path(context, output.layer)
            which = "one sigmoid unit for binary labels, or " if classes == 2 else ""
            if units < classes:
                yield self.problem(context, path,
                                   f"{output.label} has {units} unit{'s' if units != 1 else ''}, but the labels have "
                                   f"{classes} classes", hint=f"set units: {classes} ({which}one unit per class)")
            else:
                # Label rows (one-hot, multilabel) are as wide as they are: they cannot fit other widths.
                as_is = labels.kind in ("one_hot", "multilabel")
                yield self.problem(context, path,
                                   f"{output.label} has {units} units, but the labels have only {classes} classes"
                                   + (": the label rows do not fit the output" if as_is else
                                      f": {units - classes} units score classes that never occur"),
                                   hint=f"set units: {classes} ({which}one unit per class)",
                                   severity=Severity.ERROR if as_is else Severity.WARNING)

    def _one_class(self, context: LintContext, output: Output, labels: LabelFacts, only: int) -> Finding:
        return self.problem(context, _data_path(context, fallback=output.path("loss")),
                            f"the training labels{_of(output)} have only 1 class, {_class_name(labels, only)} (all "
                            f"{labels.class_counts[only]} samples): a classifier learns nothing from one class",
                            hint="give the training data samples of at least two classes (check the labels, and "
                                 "that data.max_samples and the splits leave every class some)")


class InputShapeVersusData(Rule):
    """A model input shape that does not match the shape of the data's samples.

    ## What it does
    Compares each model input's shape (without the batch axis) with the shape of one sample of its
    data. A ``null`` dimension in the model matches any size. With ``data.reshape: true`` the
    samples are reshaped to the model's input shape, so only the number of values must agree.

    ## Why is this bad?
    Keras stops at the first batch with a shape error, after the data has been loaded and the model
    built; or, where a dimension broadcasts, it trains on something other than intended.

    ## Instead
    Declare the data's sample shape as the input shape, or set ``data.reshape: true`` where the
    number of values is the same (e.g. 784 pixels for a ``[28, 28, 1]`` input).
    """

    code, name, severity = "NN503", "input-shape-versus-data", Severity.ERROR
    failing = """
task: multiclass
model: {input_shape: [28, 28], layers: [{type: Flatten}, {type: Dense, units: 64, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: npz, path: digits.npz}
"""
    fixed = """
task: multiclass
model: {input_shape: [28, 28], layers: [{type: Flatten}, {type: Dense, units: 64, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: npz, path: digits.npz, reshape: true}
"""
    example_data: ClassVar[dict] = {
        "samples": 1000,
        "inputs": {"input": {"sample_shape": [784], "minimum": 0.0, "maximum": 1.0, "integer": False}},
        "labels": {"": {"kind": "integer", "sample_shape": [], "classes": 10, "class_counts": [100] * 10,
                        "minimum": 0, "maximum": 9}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        reshape = context.config.data is not None and context.config.data.reshape
        for name, shape, facts in _inputs(context):
            sample = tuple(facts.sample_shape)
            if _matches(shape, sample):
                continue
            known = math.prod(d for d in shape if d is not None)
            values = math.prod(sample)
            open_dims = sum(d is None for d in shape)
            fits = values == known if not open_dims else open_dims == 1 and known and values % known == 0
            if reshape and fits:
                continue
            which = f"input {name!r}" if isinstance(context.config.model, FunctionalModel) else "the model"
            message = (f"{which} takes samples of shape {_shape(shape)}, but the data's samples have shape "
                       f"{_shape(sample)}{_sampled(context)}")
            if reshape:
                message += f": reshape cannot make {values} values into {_shape(shape)}"
                hint = f"declare the input shape as {_shape(sample)}"
            elif fits:
                hint = (f"set data.reshape: true (both hold {values} values), or declare the input shape as "
                        f"{_shape(sample)}")
            else:
                hint = f"declare the input shape as {_shape(sample)}"
            yield self.problem(context, _input_path(context, name), message, hint=hint)


def _matches(shape: tuple, sample: tuple) -> bool:
    return len(shape) == len(sample) and all(d is None or d == s for d, s in zip(shape, sample))


class EmbeddingVocabulary(Rule):
    """An Embedding whose vocabulary is smaller than the token ids it is given.

    ## What it does
    Finds an Embedding that reads a model input directly and whose ``input_dim`` is not above the
    largest token id in that input's data (or whose data has negative ids).

    ## Why is this bad?
    An Embedding holds one vector per id in ``[0, input_dim)``. A larger id fails the lookup on CPU;
    on GPU the lookup silently returns zeros, so those tokens are invisible to the model.

    ## Instead
    ``input_dim`` of at least the largest token id plus one (the vocabulary size, counting padding
    and out-of-vocabulary ids).
    """

    code, name, severity = "NN504", "embedding-vocabulary", Severity.ERROR
    failing = """
task: binary
model: {input_shape: [100], layers: [{type: Embedding, input_dim: 1000, output_dim: 16}, {type: GlobalAveragePooling1D}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [100], layers: [{type: Embedding, input_dim: 10000, output_dim: 16}, {type: GlobalAveragePooling1D}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""
    example_data: ClassVar[dict] = {
        "samples": 2000,
        "inputs": {"input": {"sample_shape": [100], "minimum": 0, "maximum": 9999, "integer": True}},
        "labels": {"": {"kind": "binary", "sample_shape": [], "classes": 2, "class_counts": [1000, 1000],
                        "minimum": 0, "maximum": 1}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        for name, _, facts in _inputs(context):
            for layer in context.layers:
                if layer.spec.type != "Embedding" or not _reads_input(context, layer, name):
                    continue
                size = layer.spec.input_dim
                if facts.maximum >= size:
                    largest = _number(facts.maximum)
                    needed = math.floor(facts.maximum) + 1
                    yield self.problem(
                        context, context.layer_path(layer, "input_dim"),
                        f"Embedding {layer.name!r} has input_dim {size}, but the largest token id in its input "
                        f"is {largest}: ids from {size} up have no vector",
                        hint=f"set input_dim: {needed} (the largest id plus one)")
                if facts.minimum < 0:
                    yield self.problem(
                        context, context.layer_path(layer, "input_dim"),
                        f"Embedding {layer.name!r} takes token ids from 0, but its input has ids down to "
                        f"{_number(facts.minimum)}", hint="number the tokens from 0 (0 is often padding)")


def _reads_input(context: LintContext, layer: LayerShape, name: str) -> bool:
    if isinstance(context.config.model, FunctionalModel):
        return name in layer.input_names
    return layer.index == 0


class UnscaledInputs(Rule):
    """Inputs with large values that nothing scales.

    ## What it does
    Finds a model input whose values reach a magnitude above 10 when nothing scales them: no
    ``data.scale``, no ``data.standardize``, and no Rescaling, BatchNormalization or
    LayerNormalization as the first layer that changes the values. Token ids that feed an Embedding
    are ids, not magnitudes, and are left alone.

    ## Why is this bad?
    Initializers assume inputs of roughly unit scale. Raw pixels (0-255) or unscaled features make
    the first layer's activations and gradients hundreds of times too large: training diverges,
    saturates its activations, or needs a far smaller learning rate.

    ## Instead
    ``data.scale`` (``255`` for 8-bit pixels), ``data.standardize: true`` for tabular features, or a
    Rescaling layer first.
    """

    code, name, severity = "NN505", "unscaled-inputs", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [784], layers: [{type: Dense, units: 128, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: keras.mnist}
"""
    fixed = """
task: multiclass
model: {input_shape: [784], layers: [{type: Dense, units: 128, activation: relu}, {type: Dense, units: 10, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: keras.mnist, scale: 255}
"""
    example_data: ClassVar[dict] = {
        "samples": 1000,
        "inputs": {"input": {"sample_shape": [784], "minimum": 0, "maximum": 255, "integer": True}},
        "labels": {"": {"kind": "integer", "sample_shape": [], "classes": 10, "class_counts": [100] * 10,
                        "minimum": 0, "maximum": 9}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        data = context.config.data
        if data is not None and (data.scale is not None or data.standardize):
            return
        for name, _, facts in _inputs(context):
            largest = max(abs(facts.minimum), abs(facts.maximum))
            if largest <= UNSCALED_ABOVE:
                continue
            first = _first_working_layers(context, name)
            if all(layer.spec.type in SCALING_LAYERS | {"Embedding"} or _prepared_by_backbone(layer) for layer in first):
                continue
            functional = isinstance(context.config.model, FunctionalModel)
            which = f"input {name!r} ranges" if functional else "the inputs range"
            if facts.minimum >= 0:
                hint = f"set data.scale: {_number(facts.maximum)}, or data.standardize: true"
            else:
                hint = "set data.standardize: true"
            yield self.problem(
                context, _data_path(context, fallback=_input_path(context, name)),
                f"{which} from {_number(facts.minimum)} to {_number(facts.maximum)}{_sampled(context)} and "
                f"nothing scales them to a magnitude of at most {_number(UNSCALED_ABOVE)}", hint=hint)


class ClassImbalance(Rule):
    """Strongly imbalanced classes.

    ## What it does
    Finds classification labels whose largest class has at least 10 times the samples of the
    smallest (classes with no samples at all are not counted), unless the loss is a focal loss.

    ## Why is this bad?
    The model can score well by predicting the majority class: accuracy looks high while the rare
    classes, often the ones that matter, are barely learned.

    ## Instead
    Collect or resample data to balance the classes, or train with a focal loss
    (``binary_focal_crossentropy`` with ``apply_class_balancing: true``, or
    ``categorical_focal_crossentropy``), which down-weights the easy majority samples. Judge the
    model by per-class metrics (precision, recall, AUC) rather than accuracy.
    """

    code, name, severity = "NN506", "class-imbalance", Severity.WARNING
    failing = """
task: binary
model: {input_shape: [20], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: binary_crossentropy
"""
    fixed = """
task: binary
model: {input_shape: [20], layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: {name: binary_focal_crossentropy, apply_class_balancing: true}
"""
    example_data: ClassVar[dict] = {
        "samples": 1000,
        "inputs": {"input": {"sample_shape": [20], "minimum": -3.0, "maximum": 3.0, "integer": False}},
        "labels": {"": {"kind": "binary", "sample_shape": [], "classes": 2, "class_counts": [950, 50],
                        "minimum": 0, "maximum": 1}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output, labels in _labelled_outputs(context):
            if output.task not in CLASSIFICATION or not labels.class_counts or loss_name(output) in FOCAL_LOSSES:
                continue
            present = [(count, index) for index, count in enumerate(labels.class_counts) if count > 0]
            if len(present) < 2:
                continue
            (most, big), (fewest, small) = max(present), min(present)
            if most < IMBALANCE_RATIO * fewest:
                continue
            yield self.problem(
                context, _data_path(context, fallback=output.path("loss")),
                f"the labels{_of(output)} are imbalanced: {_class(labels, big)} has {most} samples, "
                f"{_class(labels, small)} only {fewest} ({_number(round(most / fewest, 1))}x)",
                hint="balance the classes (collect or resample), or use a focal loss; judge by precision, recall "
                     "or AUC rather than accuracy")


class BatchNormWithBatchSizeOne(Rule):
    """BatchNormalization trained with batches of one sample.

    ## What it does
    Finds a BatchNormalization layer (wrapped ones included) in a model trained with
    ``training.batch_size: 1``.

    ## Why is this bad?
    In training, BatchNormalization normalizes each feature by the mean and variance of the batch.
    Over one sample the mean is the sample itself and the variance zero (for Dense features), so the
    layer outputs its offset whatever the input, and the moving statistics used for inference are
    estimated from single samples. PyTorch refuses this; Keras trains silently.

    ## Instead
    A larger batch (16 or more), or LayerNormalization, which normalizes within each sample.
    """

    code, name, severity = "NN507", "batch-norm-batch-size-one", Severity.ERROR
    failing = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, use_bias: false}, {type: BatchNormalization}, {type: Activation, activation: relu}, {type: Dense, units: 1}]}
loss: mse
training: {batch_size: 1}
"""
    fixed = """
task: regression
model: {input_shape: [8], layers: [{type: Dense, units: 16, use_bias: false}, {type: BatchNormalization}, {type: Activation, activation: relu}, {type: Dense, units: 1}]}
loss: mse
training: {batch_size: 32}
"""

    def check(self, context: LintContext) -> Iterator[Finding]:
        if context.config.training.batch_size != 1:
            return
        normalizing = [layer.name for layer in context.layers
                       if any(spec.type == "BatchNormalization" for _, spec in parts(layer.spec))]
        if normalizing:
            names = ", ".join(repr(name) for name in normalizing[:3]) + (", ..." if len(normalizing) > 3 else "")
            yield self.problem(
                context, ("training", "batch_size"),
                f"batch_size is 1, but BatchNormalization ({names}) normalizes by the statistics of each batch: "
                "over one sample they are the sample itself",
                hint="use a batch size of 16 or more, or LayerNormalization")


# Output activations that bound their predictions: the range as written, and its closed bounds (a
# target on a bound the activation only approaches, such as 0 or 1 for sigmoid, is still fine).
_RANGES = {"sigmoid": ("(0, 1)", 0.0, 1.0), "hard_sigmoid": ("[0, 1]", 0.0, 1.0), "softmax": ("(0, 1)", 0.0, 1.0),
           "tanh": ("(-1, 1)", -1.0, 1.0), "softsign": ("(-1, 1)", -1.0, 1.0), "relu": ("[0, inf)", 0.0, math.inf),
           "relu6": ("[0, 6]", 0.0, 6.0), "softplus": ("(0, inf)", 0.0, math.inf),
           "exponential": ("(0, inf)", 0.0, math.inf), "elu": ("(-1, inf)", -1.0, math.inf),
           "selu": ("(-1.76, inf)", -1.7581, math.inf)}


class TargetsOutsideOutputRange(Rule):
    """Regression targets that the output activation cannot reach.

    ## What it does
    Finds a regression output whose activation bounds its predictions (sigmoid to [0, 1], tanh to
    [-1, 1], relu and softplus to [0, inf), ...) while the targets in the data fall outside that
    range.

    ## Why is this bad?
    No weights can produce the targets beyond the bound: the error on them never falls below the
    distance to the bound, and the saturated activation passes almost no gradient while the model
    tries.

    ## Instead
    A linear output (the default), or scale the targets into the activation's range.
    """

    code, name, severity = "NN508", "targets-outside-output-range", Severity.ERROR
    failing = """
task: regression
model: {input_shape: [13], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]}
loss: mse
"""
    fixed = """
task: regression
model: {input_shape: [13], layers: [{type: Dense, units: 32, activation: relu}, {type: Dense, units: 1}]}
loss: mse
"""
    example_data: ClassVar[dict] = {
        "samples": 400,
        "inputs": {"input": {"sample_shape": [13], "minimum": -4.0, "maximum": 4.0, "integer": False}},
        "labels": {"": {"kind": "real", "sample_shape": [], "minimum": 5.0, "maximum": 50.0}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output, labels in _labelled_outputs(context):
            if output.task != "regression" or output.activation not in _RANGES:
                continue
            written, low, high = _RANGES[output.activation]
            if labels.minimum >= low and labels.maximum <= high:
                continue
            yield self.problem(
                context, _activation_path(context, output.layer),
                f"{output.label} ends in {output.activation}, which predicts values in {written}, but the "
                f"targets range from {_number(labels.minimum)} to {_number(labels.maximum)}",
                hint=f"remove activation: {output.activation} (a linear output), or scale the targets into {written}")


class SmallClasses(Rule):
    """Classes with no or very few training samples.

    ## What it does
    Finds classification labels where a class has fewer than 5 samples in the training split, or
    none at all while classes after it have some (a class folder whose images all went to the
    validation or test split, a class id that never occurs). Labels of only one class are NN502's.

    ## Why is this bad?
    A class seen a handful of times cannot be learned: the model either ignores it or memorises
    those few samples, and its validation and test scores are noise. A class with no training
    samples is never predicted at all, yet costs an output unit.

    ## Instead
    Collect more samples of the small classes, merge them into a larger class, or drop them (and
    their output units). Lower ``data.validation_split`` and ``data.test_split`` on small datasets.
    """

    code, name, severity = "NN509", "small-classes", Severity.WARNING
    failing = """
task: multiclass
model: {input_shape: [32, 32, 3], layers: [{type: Flatten}, {type: Dense, units: 3, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: images, path: photos, scale: 255}
"""
    fixed = """
task: multiclass
model: {input_shape: [32, 32, 3], layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]}
loss: sparse_categorical_crossentropy
data: {source: images, path: photos, scale: 255}
"""
    # The fix is in the data (the fox folder dropped) as much as in the config: the fixed example has its own.
    example_data: ClassVar[dict] = {
        "samples": 43, "sampled": 43,
        "inputs": {"input": {"sample_shape": [32, 32, 3], "minimum": 0.0, "maximum": 1.0}},
        "labels": {"": {"kind": "integer", "sample_shape": [], "classes": 3, "class_counts": [20, 20, 3],
                        "class_names": ["cat", "dog", "fox"], "minimum": 0, "maximum": 2}},
    }
    fixed_data: ClassVar[dict] = {
        "samples": 40, "sampled": 40,
        "inputs": {"input": {"sample_shape": [32, 32, 3], "minimum": 0.0, "maximum": 1.0}},
        "labels": {"": {"kind": "binary", "sample_shape": [], "classes": 2, "class_counts": [20, 20],
                        "class_names": ["cat", "dog"], "minimum": 0, "maximum": 1}},
    }

    def check(self, context: LintContext) -> Iterator[Finding]:
        for output, labels in _labelled_outputs(context):
            counts = labels.class_counts
            if output.task not in CLASSIFICATION or not counts or sum(1 for count in counts if count) < 2:
                continue
            small = [(index, count) for index, count in enumerate(counts) if count < MIN_CLASS_SAMPLES]
            if not small:
                continue
            shown = ", ".join(f"{_class(labels, index)}: {count}" for index, count in small[:_SHOWN_CLASSES])
            more = f" and {len(small) - _SHOWN_CLASSES} more" if len(small) > _SHOWN_CLASSES else ""
            count = "1 class has" if len(small) == 1 else f"{len(small)} classes have"
            yield self.problem(
                context, _data_path(context, fallback=output.path("loss")),
                f"{count} fewer than {MIN_CLASS_SAMPLES} training samples{_of(output)} ({shown}{more}): "
                f"{'it is' if len(small) == 1 else 'they are'} too few to learn",
                hint="collect more samples of them, merge or drop them, or lower data.validation_split and "
                     "data.test_split")
