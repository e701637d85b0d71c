"""Every layer type nnconf accepts, gathered from the family modules into one tagged union."""

import sys
from typing import Annotated, Union

from pydantic import Field

from nnconf.config.layers import (
    activations, attention, convolution, core, merging, normalization, pooling, preprocessing, regularization,
    reshaping, rnn,
)
from nnconf.config.layers.base import Layer, Shape, ShapeError

_FAMILIES = (
    core, activations, convolution, pooling, normalization, regularization, preprocessing, reshaping,
    merging, rnn, attention,
)

LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls for family in _FAMILIES for cls in family.LAYERS
}
AnyLayer = Annotated[Union[tuple(LAYER_CLASSES.values())], Field(discriminator="type")]

# Wrappers (Bidirectional, TimeDistributed) name "AnyLayer" in their fields. Pydantic resolves that
# forward reference in the wrapper's module when it first builds the schema; models build lazily
# (defer_build), so a forced model_rebuild here would cost the whole schema at import time.
for _cls in LAYER_CLASSES.values():
    if _cls.WRAPS_LAYER:
        sys.modules[_cls.__module__].AnyLayer = AnyLayer

__all__ = ["AnyLayer", "LAYER_CLASSES", "Layer", "Shape", "ShapeError"]
