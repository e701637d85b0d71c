"""Writes nnconf/config/layers/backbones_table.json: what every ``keras.applications`` model is, measured
from Keras itself, so that the Backbone layer's shapes and parameter counts are known without TensorFlow.

    python -m nnconf.engine.backbones_table [--only ResNet50 ...] [-o PATH]

For each application it records:

- ``spatial``: the operations that change the feature map's height and width on the way from the input
  to the last feature map (zero padding, cropping, strided or unpadded windows), read from the Keras
  graph. Padding that Keras computes from the size it pads (``imagenet_utils.correct_pad``) is
  recorded for even and odd sizes. The rule is checked against real builds at several input sizes.
- ``channels``: the last feature map's channels; ``reduction``: the product of the strides.
- ``params``: trainable and non-trainable parameters without the top, as ``[constant, per input
  channel]`` (the first convolution's kernel grows with the channels), with the exact counts for 3
  channels where those differ (ConvNeXt normalizes RGB inputs only).
- ``top``: the classifier's parameters for 1000 classes, the width of its last Dense layer's input
  (``features``) and, for tops that flatten the feature map (VGG), the parameters per feature-map position.
- the sizes Keras accepts (``min_size``; ``top_imagenet_sizes``, the sizes the top takes with ImageNet
  weights, null for any; ``unknown_size``, whether height and width may be unknown (null)), found by
  calling the application with Keras's model construction stopped right after its checks.
- ``weights``: the file Keras downloads for ImageNet weights (name in ``~/.keras/models``, address,
  hash), with and without the top, by input size where the file depends on it (MobileNet).
- ``preprocessing``: what the application's ``preprocess_input`` does (``caffe``, ``tf``, ``torch``),
  or ``included`` when the model rescales its 0-255 inputs itself.

Building every application takes tens of minutes on a CPU; ``--only`` updates some entries of the
existing table. tests/layers/test_backbones.py rebuilds a sample and compares.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import keras
import numpy as np

from nnconf.config.layers.backbones_table import TABLE_PATH, spatial_size

# Sizes that send every size-dependent padding of the network both an odd and an even size: halving
# 255 (floor) and 257 (ceiling) stays odd, halving 256 stays even.
EXTRACTION_SIZES = (255, 256, 257)
PROBE_SIZES = range(1, 641)


class _Stop(Exception):
    """Raised by a patched Keras function to stop building once what is wanted is known."""


def application_names() -> list[str]:
    return sorted(name for name in dir(keras.applications) if name[0].isupper())


def _application(name: str) -> Callable[..., keras.Model]:
    return getattr(keras.applications, name)


def _module(name: str) -> str:
    return _application(name).__module__.rsplit(".", 1)[1]


@contextlib.contextmanager
def _patched(owner: Any, attribute: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, attribute)
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


# --- what Keras accepts, with construction stopped after the checks ------------------------------


def _accepts(name: str, **arguments: Any) -> bool:
    """Whether the application takes these arguments: its checks pass and it reaches the model's Input."""
    def stop(*args, **kwargs):
        raise _Stop

    with _patched(keras.src.layers, "Input", stop), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _application(name)(**arguments)
        except _Stop:
            return True
        except ValueError:
            return False
    raise AssertionError(f"{name} built a model without calling layers.Input")


def probe_sizes(name: str) -> dict:
    """The sizes an application accepts, square inputs with 3 channels."""
    def accepted(shape, **arguments) -> bool:
        return _accepts(name, input_shape=shape, **arguments)

    min_size = next(s for s in PROBE_SIZES if accepted((s, s, 3), include_top=False, weights=None))
    top_sizes = [s for s in PROBE_SIZES if accepted((s, s, 3), include_top=True, weights="imagenet")]
    any_size = top_sizes == [s for s in PROBE_SIZES if s >= min_size]
    return {
        "min_size": min_size,
        "top_imagenet_sizes": None if any_size else top_sizes,
        "unknown_size": {
            "no_top": accepted((None, None, 3), include_top=False, weights=None),
            "no_top_imagenet": accepted((None, None, 3), include_top=False, weights="imagenet"),
            "top": accepted((None, None, 3), include_top=True, weights=None),
        },
    }


# --- the spatial rule ----------------------------------------------------------------------------


def _main_path(model: keras.Model) -> list[tuple[keras.layers.Layer, Any, Any]]:
    """The layers from the input to the output along each layer's first input, in order, each with
    the tensor it takes there and the one it gives."""
    tensor, path = model.outputs[0], []
    while True:
        operation, node_index, _ = tensor._keras_history
        if isinstance(operation, keras.layers.InputLayer):
            return path[::-1]
        taken = operation._inbound_nodes[node_index].input_tensors[0]
        path.append((operation, taken, tensor))
        tensor = taken


def _spatial(shape) -> tuple:
    return tuple(shape[1:3])


def _operation(layer: keras.layers.Layer, size_in: tuple) -> dict | None:
    """The layer's effect on height and width, or None for a layer that keeps them."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.ZeroPadding2D):
        return {"op": "pad", "amounts": [list(axis) for axis in config["padding"]], "sizes": list(size_in)}
    if isinstance(layer, keras.layers.Cropping2D):
        return {"op": "crop", "amounts": [list(axis) for axis in config["cropping"]]}
    window = config.get("kernel_size", config.get("pool_size"))
    if window is not None:
        dilation = config.get("dilation_rate", (1, 1))
        op = {"op": "window", "kernel": list(window), "stride": list(config["strides"]),
              "padding": config["padding"], "dilation": list(dilation)}
        if op["padding"] == "same" and op["stride"] == [1, 1] or op["kernel"] == [1, 1] and op["stride"] == [1, 1]:
            return None
        return op
    return None


def _operations(model: keras.Model) -> list[dict]:
    operations = []
    for layer, taken, given in _main_path(model):
        if isinstance(layer, keras.Model):  # a block built as a model of its own (ConvNeXt's stem)
            operations += _operations(layer)
            continue
        size_in, size_out = _spatial(taken.shape), _spatial(given.shape)
        op = _operation(layer, size_in)
        if op is None:
            if len(given.shape) == 4 and size_in != size_out:
                raise AssertionError(f"{model.name}: {layer.name} ({type(layer).__name__}) changes the size "
                                     f"{size_in} -> {size_out} in a way this script does not know")
            continue
        operations.append(op)
    return operations


def merge_padding(chains: list[list[dict]], name: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """One rule from the chains of several builds, and the paddings not yet seen with both an even
    and an odd size: ``(position in the rule, parity not seen)``. A padding seen with different
    amounts is the one Keras computes from the size it pads, recorded per parity of that size."""
    if len({json.dumps([{k: v for k, v in op.items() if k not in ("amounts", "sizes")} for op in chain])
            for chain in chains}) != 1:
        raise AssertionError(f"{name}: the layers that change the size differ between input sizes")
    merged, unseen = [], []
    for position, ops in enumerate(zip(*chains)):
        if ops[0]["op"] != "pad":
            merged.append(ops[0])
            continue
        by_parity: list[dict] = [{}, {}]
        for op in ops:
            for axis in range(2):
                parity = op["sizes"][axis] % 2
                known = by_parity[axis].setdefault(parity, op["amounts"][axis])
                if known != op["amounts"][axis]:
                    raise AssertionError(f"{name}: a padding differs for inputs of the same parity")
        unseen += [(position, parity) for parity in (0, 1) if parity not in by_parity[0]]
        if all(len(seen) == 1 or seen[0] == seen[1] for seen in by_parity):
            merged.append({"op": "pad", "amounts": [next(iter(seen.values())) for seen in by_parity]})
        else:
            merged.append({"op": "pad", "even": [seen[0] for seen in by_parity], "odd": [seen[1] for seen in by_parity]})
    return merged, unseen


def _size_for(operations: list[dict], position: int, parity: int, low: int, built: set[int]) -> int:
    """An input size not built yet that sends a size of ``parity`` into the operation at ``position``
    (the rule before it being known)."""
    for size in range(low, 1024):
        entering = spatial_size(operations[:position], size, 0)
        if size not in built and entering is not None and entering > 0 and entering % 2 == parity:
            return size
    raise AssertionError(f"no input size gives the padding at {position} an {'odd' if parity else 'even'} size")


# --- building with Keras, weights files recorded instead of fetched ------------------------------


@contextlib.contextmanager
def _recording_weights(files: list[dict]) -> Iterator[None]:
    """get_file records what it was asked for and fetches nothing; load_weights loads nothing."""
    def get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None, **_):
        files.append({"file": fname, "origin": origin, "hash": file_hash, "cache_subdir": cache_subdir})
        return fname

    with _patched(keras.src.utils.file_utils, "get_file", get_file), \
            _patched(keras.Model, "load_weights", lambda self, path, **_: None):
        yield


def build(name: str, **arguments: Any) -> tuple[keras.Model, list[dict]]:
    files: list[dict] = []
    keras.backend.clear_session()
    with _recording_weights(files), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _application(name)(**arguments)
    return model, files


def counts(model: keras.Model) -> list[int]:
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    return [trainable, model.count_params() - trainable]


def _weights_file(files: list[dict]) -> dict:
    if len(files) != 1 or files[0]["cache_subdir"] != "models":
        raise AssertionError(f"expected one weights file in Keras's models folder, got {files}")
    return {key: files[0][key] for key in ("file", "origin", "hash")}


def _top_facts(name: str, size: int, base: list[int]) -> tuple[dict, dict]:
    model, files = build(name, include_top=True, weights="imagenet", input_shape=(size, size, 3))
    total = counts(model)
    classifier = [layer for layer, _, _ in _main_path(model) if hasattr(layer, "kernel")][-1]  # Dense or 1x1 Conv2D
    top = {"params": [total[0] - base[0], total[1] - base[1]], "features": int(classifier.kernel.shape[-2]),
           "per_position": 0}
    flattened = _flattened_positions(model)
    if flattened > 1:  # the top flattens the feature map: its first Dense grows with the image
        larger, _ = build(name, include_top=True, weights=None, input_shape=(size + 32, size + 32, 3))
        more = _flattened_positions(larger) - flattened
        top["per_position"] = (larger.count_params() - model.count_params()) // more
        top["params"][0] -= top["per_position"] * flattened
    return top, _weights_file(files)


def _flattened_positions(model: keras.Model) -> int:
    """The height times width of the feature map the top flattens (1 for a top that pools first)."""
    for layer, taken, _ in _main_path(model):
        if isinstance(layer, keras.layers.Flatten) and len(taken.shape) == 4:
            return math.prod(_spatial(taken.shape))
    return 1


def _preprocessing(name: str) -> str:
    """What the application's preprocess_input does to black and white RGB pixels."""
    module = getattr(keras.applications, _module(name))
    pixels = np.array([[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0]]], dtype="float32")
    out = np.asarray(module.preprocess_input(pixels.copy()))
    if np.allclose(out, pixels):
        return "included"
    if np.allclose(out, [[[-1, -1, -1], [1, 1, 1]]]):
        return "tf"
    if np.allclose(out[0, 0], [-103.939, -116.779, -123.68]):
        return "caffe"
    if np.allclose(out[0, 0], [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], atol=1e-4):
        return "torch"
    raise AssertionError(f"{name}: unknown preprocessing {out.tolist()}")


def measure(name: str, say: Callable[[str], None] = print) -> dict:
    entry: dict[str, Any] = {"module": _module(name), "preprocessing": _preprocessing(name), **probe_sizes(name)}
    say(f"{name}: sizes {entry['min_size']}+, top with imagenet {entry['top_imagenet_sizes']}")
    chains, params_by_channels, outputs = [], {}, {}
    for size, channels in zip(EXTRACTION_SIZES, (3, 2, 1)):
        model, _ = build(name, include_top=False, weights=None, input_shape=(size, size, channels))
        chains.append(_operations(model))
        params_by_channels[channels] = counts(model)
        outputs[size] = tuple(model.output.shape[1:])
    operations, unseen = merge_padding(chains, name)
    while unseen:  # a padding deeper in the network that these sizes reach with one parity only
        size = _size_for(operations, *unseen[0], entry["min_size"], set(outputs))
        model, _ = build(name, include_top=False, weights=None, input_shape=(size, size, 3))
        chains.append(_operations(model))
        outputs[size] = tuple(model.output.shape[1:])
        operations, unseen = merge_padding(chains, name)
    entry["channels"] = int(outputs[EXTRACTION_SIZES[0]][-1])
    entry["reduction"] = math.prod(op["stride"][0] for op in operations if op["op"] == "window")
    entry["spatial"] = operations
    one, two, three = (params_by_channels[c] for c in (1, 2, 3))
    per_channel = [b - a for a, b in zip(one, two)]
    entry["params"] = {"base": [a - p for a, p in zip(one, per_channel)], "per_channel": per_channel}
    if [a + 3 * p for a, p in zip(entry["params"]["base"], per_channel)] != three:
        entry["params"]["rgb"] = three
    say(f"{name}: {entry['channels']} channels, reduction {entry['reduction']}, params {three}")

    default = _default_size(name)
    sizes = entry["top_imagenet_sizes"] or [default]
    entry["weights"] = {"top": {}, "no_top": {}}
    for size in sizes:
        model, files = build(name, include_top=False, weights="imagenet", input_shape=(size, size, 3))
        entry["weights"]["no_top"][str(size)] = _weights_file(files)
        entry["top"], entry["weights"]["top"][str(size)] = _top_facts(name, size, counts(model))
    entry["default_size"] = default
    for kind in ("top", "no_top"):
        files = entry["weights"][kind]
        if len({json.dumps(f) for f in files.values()}) == 1:
            entry["weights"][kind] = {"any": files[str(default)]}
    verify(name, entry, outputs)
    return entry


def _default_size(name: str) -> int:
    """The size Keras builds the top for with ImageNet weights when given none: its default. MobileNetV3
    builds for any size then, and its documentation names 224, the size its weights were trained at."""
    shapes = []

    def stop(shape=None, **_):
        shapes.append(shape)
        raise _Stop

    with _patched(keras.src.layers, "Input", stop), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(_Stop):
            _application(name)(include_top=True, weights="imagenet")
    return shapes[0][0] or 224


def verify(name: str, entry: dict, outputs: dict) -> None:
    """The rule gives Keras's output size for the extraction sizes and a few small ones."""
    low = entry["min_size"]
    for size in (low, low + 1, low + 6):
        model, _ = build(name, include_top=False, weights=None, input_shape=(size, size, 3))
        outputs[size] = tuple(model.output.shape[1:])
    for size, shape in outputs.items():
        predicted = tuple(spatial_size(entry["spatial"], size, axis) for axis in range(2))
        if predicted != shape[:2]:
            raise AssertionError(f"{name}: the rule gives {predicted} for {size}, Keras {shape[:2]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="applications to measure again; the others are kept")
    parser.add_argument("-o", "--output", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)
    names = args.only or application_names()
    table = json.loads(args.output.read_text()) if args.only and args.output.exists() else {"applications": {}}
    unknown = set(names) - set(application_names())
    if unknown:
        parser.error(f"not in keras.applications: {', '.join(sorted(unknown))}")
    table["keras"] = keras.__version__
    failed = []
    for name in names:
        try:
            table["applications"][name] = measure(name, say=lambda line: print(line, file=sys.stderr, flush=True))
        except AssertionError as problem:  # the others are still worth measuring
            print(f"{name}: {problem}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        table["applications"] = dict(sorted(table["applications"].items()))
        args.output.write_text(_formatted(table))
    return 1 if failed else 0


def _formatted(table: dict) -> str:
    """JSON with one line per fact of an application (its spatial rule one line per operation)."""
    def value(item: Any, indent: str) -> str:
        if isinstance(item, list) and item and isinstance(item[0], dict):
            inner = ",\n".join(indent + "  " + json.dumps(element) for element in item)
            return "[\n" + inner + "\n" + indent + "]"
        return json.dumps(item)

    entries = []
    for name, entry in table["applications"].items():
        facts = ",\n".join(f"   {json.dumps(key)}: {value(item, '   ')}" for key, item in entry.items())
        entries.append(f"  {json.dumps(name)}: {{\n{facts}\n  }}")
    return (f'{{\n "keras": {json.dumps(table["keras"])},\n "applications": {{\n' + ",\n".join(entries)
            + "\n }\n}\n")


if __name__ == "__main__":
    sys.exit(main())
