"""Every layer type nnconf accepts, gathered from the family modules into one tagged union."""

from __future__ import annotations

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

for _cls in LAYER_CLASSES.values():
    if getattr(_cls, "WRAPS_LAYER", False):
        _cls.model_rebuild(_types_namespace={"AnyLayer": AnyLayer})

__all__ = ["AnyLayer", "LAYER_CLASSES", "Layer", "Shape", "ShapeError"]
