"""Blocks: each use of a block of the config's ``blocks:`` section made into the layers it stands for.

A block's layers are written once, with ``$argument`` values; each use binds the arguments and gets layers
of its own, named ``USE/LAYER`` and wired to what the use takes. What is wrong inside a block is found
once, at the block's lines (its wiring, its ``$references``, an unknown layer type); what is wrong with
one use's values (a filters of 0 given as an argument, say) is found at that use's argument, or at the
block's layer, and says which use it concerns. Shapes are inferred over the layers made, so shape and
lint findings point at the block's lines, named by the use. No TensorFlow here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from nnconf import codes
from nnconf.config.blocks import ARGUMENT_REFERENCE, Block, BlockUse, bound
from nnconf.config.layers import LAYER_CLASSES, Layer
from nnconf.config.model import Config
from nnconf.config.source import Path, SourceMap, format_path
from nnconf.config.suggest import did_you_mean, listing
from nnconf.findings import Finding, Severity


@dataclass
class BlockLayer:
    """One layer of one use of a block.

    Args:
        spec: the layer, its arguments bound to the use's.
        name: its name in the model, ``USE/LAYER``.
        local_name: its name in the block (the Keras layer's, inside the use's nested model).
        local_inputs: what it takes, as the block names it (block inputs and block layers).
        input_names: what it takes, as the model names it.
        path: where the block writes it (``blocks.NAME.layers[i]``).
    """

    spec: Layer
    name: str
    local_name: str
    local_inputs: list[str]
    input_names: list[str]
    path: Path


@dataclass
class Use:
    """One use of a block: its name, what it takes and gives, and its layers (none if it does not work out).

    Args:
        block: the block's name.
        index: the use's place in the model's layers.
        inputs: what it takes, as the model names it, one for each of the block's inputs.
        block_inputs: the block's names of its inputs.
        outputs: the model's names of its outputs (``USE/LAYER``).
        layers: its layers, in the block's order.
    """

    name: str
    block: str
    index: int
    inputs: list[str]
    block_inputs: list[str]
    outputs: list[str] = field(default_factory=list)
    layers: list[BlockLayer] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return not self.layers


def block_findings(config: Config, source: SourceMap) -> dict[str, list[Finding]]:
    """What is wrong inside each block of the config, found once; a block with an error is used by no use."""
    return {name: _block_problems(name, block, source) for name, block in (config.blocks or {}).items()}


def _block_problems(name: str, block: Block, source: SourceMap) -> list[Finding]:
    findings = []
    where: Path = ("blocks", name)
    for position, template in enumerate(block.layers):
        path = where + ("layers", position)
        kind = template.get("type")
        if not isinstance(kind, str):
            other = next((key for key in ("apply", "block") if key in template), None)
            message = (f"a block's layers are layers of their own: '{other}' is not taken inside a block" if other
                       else "missing required key 'type' (the layer type)")
            findings.append(_at(source, path, message, code=codes.SCHEMA, hint=f"choose one of: {listing(LAYER_CLASSES)}"))
        elif kind not in LAYER_CLASSES:
            findings.append(_at(source, path + ("type",), f"unknown layer type {kind!r}", code=codes.SCHEMA,
                                hint=did_you_mean(kind, LAYER_CLASSES) or f"choose one of: {listing(LAYER_CLASSES)}"))
        for reference, at in _references(template, path):
            if reference not in block.arguments:
                hint = did_you_mean(reference, block.arguments) or (
                    f"the block's arguments: {', '.join(block.arguments)}" if block.arguments
                    else "declare it under the block's arguments, e.g. arguments: {" + reference + ": null}")
                findings.append(_at(source, at, f"${reference} names no argument of block {name!r}", hint=hint))
    if findings:
        return findings
    return _wiring_problems(name, block, source)


def _references(value: Any, path: Path):
    """Every ``$argument`` in a block's layer, with its path."""
    if isinstance(value, str):
        match = ARGUMENT_REFERENCE.match(value)
        if match:
            yield match.group(1), path
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _references(item, path + (position,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references(item, path + (key,))


def local_names(block: Block) -> list[str]:
    """The block's layers' names: as written, or as Keras names a layer (``dense``, ``dense_1``)."""
    counts: dict[str, int] = {}
    names = []
    for template in block.layers:
        base = snake_case(str(template.get("type")))
        seen = counts.get(base, 0)
        counts[base] = seen + 1
        written = template.get("name")
        names.append(written if isinstance(written, str) else base if seen == 0 else f"{base}_{seen}")
    return names


def snake_case(name: str) -> str:
    """Keras's own rule for default layer names: ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _wiring_problems(name: str, block: Block, source: SourceMap) -> list[Finding]:
    where: Path = ("blocks", name)
    findings = []
    names = local_names(block)
    known = set(block.input_names)
    for position, (template, local) in enumerate(zip(block.layers, names)):
        if local in known:
            findings.append(_at(source, where + ("layers", position, "name"), f"the name {local!r} is used twice in "
                                f"block {name!r}", hint="give every layer of a block, and each of its inputs, a unique name"))
        known.add(local)
    for position, template in enumerate(block.layers):
        taken = template.get("inputs")
        if taken is None:
            findings.append(_at(source, where + ("layers", position), f"layer {names[position]!r} of block {name!r} "
                                "has no 'inputs'", hint=f"name a block input ({', '.join(block.input_names)}) or layer"))
        for at, reference in _named(taken, where + ("layers", position, "inputs")):
            if reference not in known:
                findings.append(_at(source, at, f"layer {names[position]!r} of block {name!r} takes {reference!r}, "
                                    "which is no layer or input of the block", hint=did_you_mean(reference, known)
                                    or f"the block's names: {', '.join(sorted(known))}"))
    for at, output in _named(block.outputs, where + ("outputs",)):
        if output not in names:
            findings.append(_at(source, at, f"the output {output!r} of block {name!r} names no layer of it",
                                hint=did_you_mean(output, names)))
    return findings or _unused_in_block(name, block, names, source)


def _named(value: Any, path: Path) -> list[tuple[Path, Any]]:
    """The names of an ``inputs`` or ``outputs`` value, each with its path."""
    if isinstance(value, list):
        return [(path + (position,), item) for position, item in enumerate(value)]
    return [] if value is None else [(path, value)]


def _unused_in_block(name: str, block: Block, names: list[str], source: SourceMap) -> list[Finding]:
    takes = {local: [item for _, item in _named(template.get("inputs"), ())]
             for local, template in zip(names, block.layers)}
    needed, stack = set(), list(block.output_names)
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(takes.get(current, []))
    findings = [_at(source, ("blocks", name, "layers", position), f"layer {local!r} of block {name!r} is not used by "
                    "its outputs", severity=Severity.WARNING, code=codes.UNUSED_LAYER, hint="remove it, or wire it "
                    "towards an output of the block") for position, local in enumerate(names) if local not in needed]
    findings += [_at(source, ("blocks", name, "inputs"), f"the input {local!r} of block {name!r} is not used by its "
                     "outputs", severity=Severity.WARNING, code=codes.UNUSED_LAYER, hint="remove it")
                 for local in block.input_names if local not in needed]
    return findings


def expand(config: Config, entry: BlockUse, name: str, index: int, inputs: list[str], source: SourceMap,
           broken: set[str]) -> tuple[Use, list[Finding]]:
    """One use of a block with its layers, and what is wrong with it. A use that does not work out has no
    layers; its findings say why (nothing more where its block is broken: the block's findings say it).

    Args:
        config, entry, name, index: the config, the use, its name and its place in the model's layers.
        inputs: what it takes, as the model names it.
        source: where the config's values came from.
        broken: the blocks with errors of their own.
    """
    where: Path = ("model", "layers", index)
    block = (config.blocks or {}).get(entry.block)
    if block is None:
        hint = did_you_mean(entry.block, config.blocks or {}) or (
            f"the config's blocks: {', '.join(config.blocks)}" if config.blocks else
            "define it in the config's blocks: section")
        return Use(name, entry.block, index, inputs, []), [_at(source, where + ("block",), f"use {name!r} names the "
                                                               f"block {entry.block!r}, which is not defined", hint=hint)]
    use = Use(name, entry.block, index, inputs, block.input_names)
    if entry.block in broken:
        return use, []
    findings = _argument_problems(entry, name, block, where, source)
    if len(inputs) != len(block.input_names):
        findings.append(_at(source, where + (("inputs",) if entry.inputs is not None else ()),
                            f"block {entry.block!r} takes {len(block.input_names)} input(s) "
                            f"({', '.join(block.input_names)}), but use {name!r} gives {len(inputs)}",
                            hint="in a sequential model a block takes one input" if entry.inputs is None else None))
    if findings:
        return use, findings
    arguments = {**block.arguments, **entry.arguments}
    mapping = dict(zip(block.input_names, inputs))
    names = local_names(block)
    mapping.update({local: f"{name}/{local}" for local in names})
    layers = []
    for position, (template, local) in enumerate(zip(block.layers, names)):
        data = {**bound(template, arguments), "name": local}
        local_inputs = [item for _, item in _named(template.get("inputs"), ())]
        context: dict = {}
        try:
            spec = LAYER_CLASSES[template["type"]].model_validate(data, context=context)
        except ValidationError as error:
            findings += _value_problems(error, data, context, template, entry, name, where,
                                        ("blocks", entry.block, "layers", position), source)
            continue
        layers.append(BlockLayer(spec, f"{name}/{local}", local, local_inputs,
                                 [mapping[item] for item in local_inputs], ("blocks", entry.block, "layers", position)))
    if not findings:
        use.layers = layers
        use.outputs = [f"{name}/{output}" for output in block.output_names]
    return use, findings


def _argument_problems(entry: BlockUse, name: str, block: Block, where: Path, source: SourceMap) -> list[Finding]:
    findings = []
    for argument in entry.arguments:
        if argument not in block.arguments:
            hint = did_you_mean(argument, block.arguments) or (
                f"block {entry.block!r} takes: {', '.join(block.arguments)}" if block.arguments
                else f"block {entry.block!r} takes no arguments")
            findings.append(_at(source, _argument_path(where, argument, source), f"block {entry.block!r} has no "
                                f"argument {argument!r}", hint=hint, key=True))
    missing = [argument for argument, default in block.arguments.items()
               if default is None and argument not in entry.arguments]
    if missing:
        findings.append(_at(source, where, f"use {name!r} of block {entry.block!r} does not give "
                            f"{', '.join(map(repr, missing))}, which the block has no default for",
                            hint=f"add {', '.join(f'{argument}: ...' for argument in missing)}"))
    return findings


def _argument_path(where: Path, argument: str, source: SourceMap) -> Path:
    """Where a use gives an argument: as a key of its own, or under ``arguments``."""
    inline = where + (argument,)
    return inline if inline in source.values else where + ("arguments", argument)


def _value_problems(error: ValidationError, data: dict, context: dict, template: dict, entry: BlockUse, name: str,
                    where: Path, path: Path, source: SourceMap) -> list[Finding]:
    """A block layer's schema errors with one use's arguments: each at the value that holds the fault (the
    use's argument, or the block's default, where the layer takes an argument there), naming the use."""
    from nnconf.config.validation import errors_to_findings

    def place(relative: Path) -> Path:
        written = template.get(relative[0]) if relative else None
        match = ARGUMENT_REFERENCE.match(written) if isinstance(written, str) else None
        if match is None:
            return path + relative
        if match.group(1) in entry.arguments:
            return _argument_path(where, match.group(1), source)
        return ("blocks", entry.block, "arguments", match.group(1))

    findings = []
    for finding in errors_to_findings(error.errors(), data, _Relocated(source, place), context.get("sections", {})):
        relative = format_path(path) + ("" if finding.path.startswith("[") or not finding.path else ".") + finding.path
        findings.append(Finding(finding.rule, f"in use {name!r} of block {entry.block!r}: {finding.message}",
                                path=relative, severity=finding.severity, hint=finding.hint, file=finding.file,
                                line=finding.line, column=finding.column))
    return findings


class _Relocated(SourceMap):
    """Locates paths inside one block layer where they were written: in the block, or at a use's argument."""

    def __init__(self, source: SourceMap, place) -> None:
        super().__init__(source.file, source.values, source.keys, source.overrides)
        self.source, self.place = source, place

    def locate(self, path: Path, *, key: bool = False):
        return self.source.locate(self.place(tuple(path)), key=key)


def _at(source: SourceMap, path: Path, message: str, *, hint: str | None = None, severity: Severity = Severity.ERROR,
        code: str = codes.GRAPH, key: bool = False) -> Finding:
    file, line, column = source.locate(path, key=key)
    return Finding(code, message, path=format_path(path), severity=severity, hint=hint, file=file, line=line,
                   column=column)
