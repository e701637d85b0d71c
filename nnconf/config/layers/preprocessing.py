"""Preprocessing layers: Rescaling."""

from typing import Literal

from nnconf.config.layers.base import Layer


class Rescaling(Layer):
    """Rescales the inputs to ``x * scale + offset``, e.g. pixels in [0, 255] to [0, 1] with scale 1/255.

    Args:
        scale: the factor.
        offset: the value added after scaling.
    """

    type: Literal["Rescaling"]
    scale: float
    offset: float = 0.0

