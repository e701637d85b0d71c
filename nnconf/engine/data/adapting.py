"""Layers that learn their state from the training data (Keras's ``adapt``): string lookups their
vocabulary, Normalization its mean and variance, Discretization its bins. ``nnconf train`` adapts each
one that the config leaves to be learnt, on the training split of the model input it reads, before
the first epoch; the state is saved with the model, so a resumed run does not adapt again.
"""

from __future__ import annotations

from nnconf.config.model import Config, FunctionalModel
from nnconf.config.source import SourceMap
from nnconf.engine.data.base import Prepared
from nnconf.engine.data.errors import Where
from nnconf.engine.data.pipeline import make_dataset

# The layer types that adapt, and the argument that gives their state instead.
ADAPTED = {"TextVectorization": "vocabulary", "StringLookup": "vocabulary", "IntegerLookup": "vocabulary",
           "Normalization": "mean", "Discretization": "bin_boundaries"}
BATCH_SIZE = 256


def adapt(model, config: Config, inference, prepared: Prepared) -> list[str]:
    """Adapts the model's layers that learn their state, each on the training split of the input it
    reads; returns their names. A layer that would need adapting on anything but a model input is a
    DataError: its state must be given in the config."""
    where = Where(prepared.source or SourceMap())
    functional = isinstance(config.model, FunctionalModel)
    adapted = []
    for layer in inference.layers:
        state = ADAPTED.get(layer.spec.type)
        if state is None or getattr(layer.spec, state, None) is not None:
            continue
        reads = [name for name in layer.input_names if name in inference.input_shapes] if functional else \
            (["input"] if layer.index == 0 else [])
        if len(reads) != 1:
            raise where.error(("model", "layers", layer.index), f"layer {layer.name!r} ({layer.spec.type}) learns its "
                              f"{state} from the training data, which nnconf does for a layer that reads a model "
                              "input directly", hint=f"give its {state} in the config, or let it read a model input")
        key = reads[0]
        data = make_dataset({key: prepared.x_train[key]}, None, batch_size=BATCH_SIZE, shuffle=False, seed=None,
                            cache=False, prefetch=True, preprocessing=prepared.preprocessing)
        (model.get_layer(layer.name) if functional else model.layers[layer.index]).adapt(data)
        adapted.append(layer.name)
    return adapted
