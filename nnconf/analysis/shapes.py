"""Shape and parameter inference over a validated config, without TensorFlow.

Walks the layers in dependency order, asking each layer's own rules (kept beside its schema) for its
output shape and weights. What does not work out becomes a finding at the offending layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nnconf import codes
from nnconf.analysis.blocks import BlockLayer, Use, block_findings, expand, snake_case
from nnconf.config.blocks import BlockUse, SharedCall
from nnconf.config.layers import Layer, Shape, ShapeError
from nnconf.config.layers.base import format_shape, nested_shape
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import Path, SourceMap, format_path
from nnconf.config.suggest import did_you_mean
from nnconf.findings import Finding, Severity


@dataclass
class LayerShape:
    """One layer with what inference knows of it.

    A layer applied again (``{apply: encoder, ...}``) is a LayerShape of its own whose ``spec`` is the
    applied layer's and whose ``shares`` names it; its weights are the applied layer's, counted there.
    Each layer of a block's use is one too, named ``USE/LAYER``, with ``use`` and ``in_block`` set and
    ``index`` the use's.
    """

    index: int
    name: str
    spec: Layer
    input_names: list[str]
    input_shape: Shape | list[Shape] | None = None
    output_shape: Shape | None = None
    weights: dict[str, Shape] = field(default_factory=dict)
    shares: str | None = None
    entry: Layer | SharedCall | None = None  # the config's entry, where it is not ``spec`` (a layer applied again)
    use: str | None = None  # the block use it belongs to
    in_block: BlockLayer | None = None

    @property
    def path(self) -> Path:
        """Where the config writes the layer: in ``model.layers``, or in its block."""
        return self.in_block.path if self.in_block else ("model", "layers", self.index)

    @property
    def params(self) -> int:
        return sum(math.prod(shape) for shape in self.weights.values())

    @property
    def kind(self) -> str:
        """The layer's type as summaries show it: ``Dense``, ``Op add``, or ``Dense (shares encoder)``."""
        kind = f"Op {self.spec.op}" if self.spec.type == "Op" else self.spec.type  # the function it applies
        return f"{kind} (shares {self.shares})" if self.shares else kind


@dataclass
class Inference:
    layers: list[LayerShape]
    input_shapes: dict[str, Shape]
    outputs: dict[str, Shape | None]
    findings: list[Finding]
    wired: bool = True  # every reference resolves and the graph has no cycle, so walks along it end
    input_dtypes: dict[str, str] = field(default_factory=dict)  # each input's, declared or by default
    uses: dict[str, Use] = field(default_factory=dict)  # the block uses, by name
    aliases: dict[str, str] = field(default_factory=dict)  # a block use's name: the layer its output is
    last: str | None = None  # a sequential model's output layer

    def resolved(self, name: str) -> str:
        """The layer (or input) a name stands for: a block use's name stands for its output layer."""
        return self.aliases.get(name, name)

    @property
    def complete(self) -> bool:
        return all(layer.output_shape is not None for layer in self.layers)

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def trainable_params(self) -> int:
        return sum(_trainable(layer) for layer in self.layers)

    def layer(self, name: str) -> LayerShape | None:
        return next((layer for layer in self.layers if layer.name == name), None)


def _trainable(layer: LayerShape) -> int:
    return sum(math.prod(shape) for name, shape in layer.weights.items() if layer.spec.trainable_weight(name))


def infer(config: Config, source: SourceMap | None = None) -> Inference:
    """Every layer's input and output shapes and weights, and what does not fit, as findings."""
    source = source or SourceMap()
    graph = _named_layers(config, source)
    layers, wired, findings = graph.layers, True, list(graph.findings)
    inputs = config.model.input_shapes()
    if isinstance(config.model, FunctionalModel):
        more, wired = _functional(config.model, graph, inputs, source)
        findings += more
        outputs = {name: _output_of(layers, inputs, graph.aliases.get(name, name)) for name in config.model.output_names}
    else:
        findings += _sequential(graph, inputs, source)
        last = graph.last
        outputs = {"": inputs["input"] if last is None else _output_of(layers, inputs, last)}
    dtypes = config.model.input_dtypes()
    if wired:
        findings += _input_dtype_findings(config, layers, dtypes, source)
    findings += _per_output_keys(config, source)
    return Inference(layers, inputs, outputs, _once(findings), wired, dtypes, graph.uses, graph.aliases, graph.last)


def _once(findings: list[Finding]) -> list[Finding]:
    """The findings without repeats: a block's layer wrong whatever the arguments is wrong in each use alike."""
    seen, kept = set(), []
    for finding in findings:
        # one value at fault (a use's argument, a block's default) is told once, whichever layers take it
        place = (finding.line, finding.column) if finding.line is not None else finding.path
        key = (finding.rule, place, finding.message.split(": ", 1)[-1]
               if finding.message.startswith("in use ") else finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


# Layers that read strings: the string lookups only read strings; the hashing layers read strings or integers.
_STRINGS_ONLY = frozenset({"StringLookup", "TextVectorization"})
_STRING_READERS = _STRINGS_ONLY | {"Hashing", "HashedCrossing"}


def _input_dtype_findings(config: Config, layers: list[LayerShape], dtypes: dict[str, str],
                          source: SourceMap) -> list[Finding]:
    """A string input read by a layer that computes on numbers, or a numeric input read by a string lookup:
    Keras builds either, and fails on the first batch."""
    findings = []
    functional = isinstance(config.model, FunctionalModel)
    for layer in layers:
        reads = layer.input_names if functional or layer.index == 0 else []  # in a stack, the first reads the input
        for position, name in enumerate(reads):
            dtype = dtypes.get(name)
            kind = layer.spec.type
            if dtype == "string" and kind not in _STRING_READERS:
                message = f"layer {layer.name!r} ({kind}) computes on numbers, but the input {name!r} holds strings"
                hint = "turn strings into numbers first with StringLookup, TextVectorization or Hashing"
            elif dtype not in (None, "string") and kind in _STRINGS_ONLY:
                message = f"layer {layer.name!r} ({kind}) reads strings, but the input {name!r} holds {dtype}"
                hint = "declare the input's dtype: string" + (", or use IntegerLookup for integers"
                                                             if kind == "StringLookup" else "")
            else:
                continue
            if not functional:
                path = ("model", "input_dtype") if config.model.input_dtype else _layer_path(layer)
            else:
                path = _inputs_path(layer, position)
            findings.append(_at(source, path, message, hint=hint))
    return findings


@dataclass
class _Graph:
    """The model's layers as inference walks them: block uses made into their layers.

    Args:
        layers: every layer, a block use's in its place.
        uses: the block uses by name, each with its layers (none where it does not work out).
        aliases: each working block use's name, with the name of the layer its (first) output is.
        findings: what is wrong in the blocks and their uses.
        last: in a sequential model, the name of the layer whose output is the model's.
    """

    layers: list[LayerShape]
    uses: dict[str, Use]
    aliases: dict[str, str]
    findings: list[Finding]
    last: str | None = None


def _named_layers(config: Config, source: SourceMap) -> _Graph:
    """Layers with the names Keras would give them (``dense``, ``dense_1``, ...) where none is set; a layer
    applied again takes the spec of the layer it applies, where there is one; each block use gives the
    layers of its block, named ``USE/LAYER``. In a sequential model each takes the output before it."""
    sequential = not isinstance(config.model, FunctionalModel)
    broken = block_findings(config, source)
    findings = [finding for found in broken.values() for finding in found]
    broken_blocks = {name for name, found in broken.items() if any(f.severity is Severity.ERROR for f in found)}
    counts: dict[str, int] = {}
    result, uses, aliases = [], {}, {}
    previous = "input"
    for index, spec in enumerate(config.model.layers):
        if isinstance(spec, SharedCall):
            result.append(LayerShape(index, spec.name, spec, spec.input_names, shares=spec.apply, entry=spec))
            continue
        base = snake_case(spec.block if isinstance(spec, BlockUse) else spec.type)
        seen = counts.get(base, 0)
        counts[base] = seen + 1
        name = spec.name or (base if seen == 0 else f"{base}_{seen}")
        taken = [previous] if sequential else spec.input_names
        if isinstance(spec, BlockUse):
            use, problems = expand(config, spec, name, index, taken, source, broken_blocks)
            uses[name] = use
            findings += problems
            result += [LayerShape(index, layer.name, layer.spec, layer.input_names, use=name, in_block=layer)
                       for layer in use.layers]
            if use.outputs:
                aliases[name] = use.outputs[0]
            if sequential and len(use.outputs) > 1:
                findings.append(_at(source, ("model", "layers", index), f"block {spec.block!r} has "
                                    f"{len(use.outputs)} outputs; in a sequential model a block gives one"))
        else:
            result.append(LayerShape(index, name, spec, taken))
        previous = aliases.get(name, name)
    defined = {layer.name: layer.spec for layer in result if not layer.shares}
    for layer in result:
        if layer.shares in defined:
            layer.spec = defined[layer.shares]
        layer.input_names = [aliases.get(item, item) for item in layer.input_names]  # a use: its output layer
    return _Graph(result, uses, aliases, findings, previous if sequential else None)


def _sequential(graph: _Graph, inputs: dict[str, Shape], source: SourceMap) -> list[Finding]:
    """The stack's shapes; after a layer that does not fit, the layers after it are not judged."""
    for layer in graph.layers:
        if layer.spec.CALL_STYLE not in ("single",) and not layer.in_block:
            return [_at(source, _layer_path(layer), f"{layer.spec.type} takes several inputs, so it only works in a "
                        "functional model", hint="give the model 'inputs' and 'outputs' and wire the layers by name")]
    if graph.findings:
        return []  # a block or a use that does not work out leaves the stack without its layers
    order = _dependency_order(graph.layers, inputs, source)
    if isinstance(order, Finding):  # a cycle inside a block
        return [order]
    return _walk(order, dict(inputs), source)[:1]


def _apply(layer: LayerShape, input_shape, source: SourceMap) -> Finding | None:
    layer.input_shape = input_shape
    try:
        layer.output_shape = tuple(layer.spec.output_shape(input_shape))
        layer.weights = {k: tuple(v) for k, v in layer.spec.weight_shapes(input_shape).items()}
    except ShapeError as error:
        layer.output_shape = None
        path = _layer_path(layer) + ((error.field,) if error.field else ())
        return _at(source, path, f"layer {layer.name!r} ({layer.spec.type}): {error.message}", hint=error.hint)
    return _check_initializer_ranks(layer, source) or _check_inline_weights(layer, source)


# Initializers that only make sense for matrices (Keras refuses them for other ranks).
_MATRIX_INITIALIZERS = {"identity": (2,), "orthogonal": tuple(range(2, 9))}


def _check_initializer_ranks(layer: LayerShape, source: SourceMap) -> Finding | None:
    for argument in type(layer.spec).model_fields:
        spec = getattr(layer.spec, argument)
        if not argument.endswith("_initializer") or getattr(spec, "canonical", None) not in _MATRIX_INITIALIZERS:
            continue
        weight = layer.weights.get(argument.removesuffix("_initializer"))
        if weight is not None and len(weight) not in _MATRIX_INITIALIZERS[spec.canonical]:
            return _at(source, _layer_path(layer) + (argument,),
                       f"{spec.canonical} initializes matrices, but {argument.removesuffix('_initializer')} of layer "
                       f"{layer.name!r} has shape {list(weight)}", hint="use zeros, ones or a random initializer")
    return None


def _check_inline_weights(layer: LayerShape, source: SourceMap) -> Finding | None:
    for name, values in layer.spec.inline_weights().items():
        path = _layer_path(layer) + ("weights", name)
        if name not in layer.weights:
            hint = did_you_mean(name, layer.weights) or f"{layer.spec.type} has: {', '.join(layer.weights) or 'none'}"
            return _at(source, path, f"layer {layer.name!r} has no weight {name!r}", hint=hint)
        given = nested_shape(values)
        if given != layer.weights[name]:
            found = "a ragged array" if given is None else str(list(given))
            return _at(source, path, f"weight {name!r} of layer {layer.name!r} must have shape "
                       f"{list(layer.weights[name])}, found {found}")
    return None


def _functional(model: FunctionalModel, graph: _Graph, inputs: dict[str, Shape],
                source: SourceMap) -> tuple[list[Finding], bool]:
    """The findings, and whether the graph is wired well enough to walk (no dangling name, no cycle)."""
    layers = graph.layers
    findings = _wiring(model, graph, inputs, source)
    if findings:
        return findings, False
    order = _dependency_order(layers, inputs, source)
    if isinstance(order, Finding):
        return [order], False
    shapes: dict[str, Shape | None] = {**inputs, **{name: None for name, use in graph.uses.items() if use.broken}}
    findings = _walk(order, shapes, source)
    return findings + _unused(model, graph, inputs, source), True


def _walk(order: list[LayerShape], shapes: dict[str, Shape | None], source: SourceMap) -> list[Finding]:
    """Each layer's shapes, in an order where what it takes comes first; ``shapes`` holds the inputs'."""
    findings = []
    by_name = {layer.name: layer for layer in order}
    for layer in order:
        given = [shapes.get(name) for name in layer.input_names]
        if any(shape is None for shape in given):
            shapes[layer.name] = None  # an earlier layer failed; its finding says why
            continue
        argument = given[0] if len(given) == 1 and layer.spec.CALL_STYLE == "single" else given
        if layer.spec.CALL_STYLE == "single" and len(given) > 1:
            findings.append(_at(source, _layer_path(layer) + ("inputs",),
                                f"{layer.spec.type} takes one input, but {len(given)} are wired to it",
                                hint="merge them first with Concatenate or Add"))
            shapes[layer.name] = None
            continue
        applied = by_name[layer.shares] if layer.shares else None
        if applied is not None and applied.output_shape is None:
            shapes[layer.name] = None  # the applied layer failed; its finding says why
            continue
        problem = _apply_again(layer, argument, applied, source) if applied else _apply(layer, argument, source)
        if problem:
            findings.append(problem)
        shapes[layer.name] = layer.output_shape
    return findings


def _apply_again(layer: LayerShape, input_shape, applied: LayerShape, source: SourceMap) -> Finding | None:
    """A layer applied again: its output for this input, with the weights it has (counted at ``applied``)."""
    layer.input_shape = input_shape
    try:
        layer.output_shape = tuple(layer.spec.output_shape(input_shape))
        weights = {k: tuple(v) for k, v in layer.spec.weight_shapes(input_shape).items()}
    except ShapeError as error:
        layer.output_shape = None
        return _at(source, _layer_path(layer), f"{layer.name!r} applies {applied.name!r} ({layer.spec.type}): "
                   f"{error.message}", hint=error.hint)
    if weights != applied.weights:
        layer.output_shape = None
        name = next(k for k in weights.keys() | applied.weights.keys() if weights.get(k) != applied.weights.get(k))
        return _at(source, _inputs_path(layer, 0), f"{layer.name!r} applies {applied.name!r} to inputs of shape "
                   f"{_shapes_text(input_shape)}, which would need its {name} to be {list(weights.get(name, ()))}; "
                   f"it is {list(applied.weights.get(name, ()))}, made for {_shapes_text(applied.input_shape)}",
                   hint="a shared layer takes inputs of the shape it was first applied to")
    return None


def _shapes_text(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(item) for item in shape) + "]"
    return format_shape(shape)


def _wiring(model: FunctionalModel, graph: _Graph, inputs: dict[str, Shape], source: SourceMap) -> list[Finding]:
    """Every name a layer, use or output takes is a layer, use or input, and every name is given once (a
    block's own wiring is checked with the block)."""
    findings = []
    known = set(inputs)
    named = {use.index: use.name for use in graph.uses.values()}
    named.update((layer.index, layer.name) for layer in graph.layers if not layer.in_block)
    for index, entry in enumerate(model.layers):
        name = named[index]
        if entry.name is not None and name in known:
            findings.append(_at(source, ("model", "layers", index, "name"),
                                f"the name {name!r} is used twice", hint="give every layer a unique name"))
        known.add(name)
    layers = [layer for layer in graph.layers if not layer.in_block]  # a block's layers: checked with the block
    known |= {layer.name for layer in graph.layers}
    defined = [layer.name for layer in layers if not layer.shares]
    for layer in layers:
        if layer.shares and layer.shares not in defined:
            what = ("a model input, not a layer" if layer.shares in inputs else
                    "a block's use, not a layer" if layer.shares in graph.uses else
                    "another application, not a layer" if layer.shares in known else "no layer")
            findings.append(_at(source, _layer_path(layer) + ("apply",), f"{layer.name!r} applies {layer.shares!r}, "
                                f"which is {what}", hint=did_you_mean(layer.shares, defined)
                                or "name a layer defined with its type elsewhere in the model"))
    for layer in layers:
        if not layer.input_names:
            findings.append(_at(source, _layer_path(layer), f"layer {layer.name!r} has no 'inputs'",
                                hint="in a functional model, name the layer or model input it takes"))
        for position, name in enumerate(layer.input_names):
            if name not in known:
                findings.append(_dangling(f"layer {layer.name!r}", name, _inputs_path(layer, position), known, source))
    for use in graph.uses.values():
        entry = model.layers[use.index]
        if not use.inputs:
            findings.append(_at(source, ("model", "layers", use.index), f"use {use.name!r} has no 'inputs'",
                                hint=f"name what the block's inputs ({', '.join(use.block_inputs)}) take"))
        for position, name in enumerate(use.inputs):
            if name not in known:
                path = ("model", "layers", use.index, "inputs") + ((position,) if isinstance(entry.inputs, list) else ())
                findings.append(_dangling(f"use {use.name!r}", name, path, known, source))
    applications = {layer.name: layer.shares for layer in layers if layer.shares}
    for position, name in enumerate(model.output_names):
        path = ("model", "outputs") + ((position,) if isinstance(model.outputs, list) else ())
        if name not in known or name in inputs:
            findings.append(_at(source, path, f"the output {name!r} names no layer",
                                hint=did_you_mean(name, [layer.name for layer in layers])))
        elif name in applications:
            findings.append(_at(source, path, f"the output {name!r} applies {applications[name]!r} again, and Keras "
                                f"names a model's outputs by their layers: it would be named {applications[name]!r}",
                                hint=f"end it with a layer of its own, e.g. {{type: Activation, activation: linear, "
                                     f"name: {name}_out, inputs: {name}}}, and name that as the output"))
    return findings


def _dangling(taker: str, name: str, path: Path, known: set[str], source: SourceMap) -> Finding:
    hint = did_you_mean(name, known) or f"known names: {', '.join(sorted(n for n in known if '/' not in n))}"
    return _at(source, path, f"{taker} takes {name!r}, which is no layer or input", hint=hint)


def _dependency_order(layers: list[LayerShape], inputs: dict[str, Shape], source: SourceMap):
    by_name = {layer.name: layer for layer in layers}
    order, state = [], {}  # state: 1 visiting, 2 done

    def visit(layer: LayerShape, trail: list[str]):
        if state.get(layer.name) == 2:
            return None
        if state.get(layer.name) == 1:
            cycle = trail[trail.index(layer.name):] + [layer.name]
            return _at(source, _layer_path(layer) + ("inputs",), "the layers form a cycle: " + " -> ".join(cycle),
                       hint="a functional model must be a directed acyclic graph")
        state[layer.name] = 1
        for name in layer.input_names + ([layer.shares] if layer.shares else []):  # the applied layer's weights first
            if name in by_name:
                problem = visit(by_name[name], trail + [layer.name])
                if problem:
                    return problem
        state[layer.name] = 2
        order.append(layer)
        return None

    for layer in layers:
        problem = visit(layer, [])
        if problem:
            return problem
    return order


def _unused(model: FunctionalModel, graph: _Graph, inputs: dict[str, Shape], source: SourceMap) -> list[Finding]:
    """Layers, block uses and inputs that no output depends on (a block's own layers: see the block)."""
    by_name = {layer.name: layer for layer in graph.layers}
    needed, stack = set(), [graph.aliases.get(name, name) for name in model.output_names]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            broken = graph.uses.get(name)  # a use that did not work out takes what it names
            taken = by_name[name].input_names if name in by_name else broken.inputs if broken else []
            stack.extend(graph.aliases.get(item, item) for item in taken)
    needed |= {by_name[name].shares for name in needed if name in by_name and by_name[name].shares}  # its weights
    findings = [
        _at(source, _layer_path(layer), f"layer {layer.name!r} is not used by any output",
            severity=Severity.WARNING, code=codes.UNUSED_LAYER, hint="remove it, or wire it towards an output")
        for layer in graph.layers if layer.name not in needed and not layer.in_block
    ]
    findings += [
        _at(source, ("model", "layers", use.index), f"use {use.name!r} of block {use.block!r} is not used by any "
            "output", severity=Severity.WARNING, code=codes.UNUSED_LAYER, hint="remove it, or wire it towards an output")
        for use in graph.uses.values() if use.outputs and not needed & set(use.outputs)
    ]
    findings += [
        _at(source, ("model", "inputs", name), f"the input {name!r} is not used by any output",
            severity=Severity.WARNING, code=codes.UNUSED_LAYER, hint="remove it, or wire it towards an output")
        for name in inputs if name not in needed
    ]
    return findings


def _output_of(layers: list[LayerShape], inputs: dict[str, Shape], name: str) -> Shape | None:
    for layer in layers:
        if layer.name == name:
            return layer.output_shape
    return inputs.get(name)


def _per_output_keys(config: Config, source: SourceMap) -> list[Finding]:
    """Per-output task, loss, loss weights and metrics must name the model's outputs, and cover them."""
    outputs = config.output_names()
    findings = []
    for section in ("task", "loss", "loss_weights", "metrics"):
        value = getattr(config, section)
        if not isinstance(value, dict):
            continue
        if outputs == [""]:
            findings.append(_at(source, (section,), f"{section} is given per output, but a sequential model has "
                                "one output", hint=f"give one {section} without output names"))
            continue
        for name in value:
            if name not in outputs:
                findings.append(_at(source, (section, name), f"{section} names {name!r}, which is not an output",
                                    hint=did_you_mean(name, outputs) or f"outputs: {', '.join(outputs)}"))
        if section in ("task", "loss"):
            for name in outputs:
                if name not in value:
                    findings.append(_at(source, (section,), f"{section} has nothing for the output {name!r}",
                                        hint=f"add {name}: ... under {section}"))
    return findings


def _layer_path(layer: LayerShape) -> Path:
    return layer.path


def _inputs_path(layer: LayerShape, position: int) -> Path:
    """Where the layer names its ``position``-th input."""
    written = (layer.entry or layer.spec).inputs
    return _layer_path(layer) + (("inputs", position) if isinstance(written, list) else ("inputs",))


def _at(source: SourceMap, path: Path, message: str, *, hint: str | None = None,
        severity: Severity = Severity.ERROR, code: str = codes.GRAPH) -> Finding:
    file, line, column = source.locate(path)
    return Finding(code, message, path=format_path(path), severity=severity, hint=hint, file=file, line=line,
                   column=column)
