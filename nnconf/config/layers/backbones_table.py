"""backbones_table.json, read: what every ``keras.applications`` model is, as measured from Keras by
``python -m nnconf.engine.backbones_table``, and the rule that turns an image size into the size of
the model's last feature map."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from nnconf.config.layers.base import conv_length

TABLE_PATH = Path(__file__).with_name("backbones_table.json")


@cache
def table() -> dict[str, Any]:
    """Every application's entry of backbones_table.json, by name."""
    return json.loads(TABLE_PATH.read_text())["applications"]


def spatial_size(operations: list[dict], size: int | None, axis: int) -> int | None:
    """The feature map's size along one axis (0 height, 1 width) for an input of ``size``: each recorded
    operation applied in turn, as Keras applies it. Below 1, the network cannot take the input."""
    for op in operations:
        if size is None or size < 1:
            return size
        if op["op"] == "pad":
            before, after = (op["amounts"] if "amounts" in op else op["odd" if size % 2 else "even"])[axis]
            size += before + after
        elif op["op"] == "crop":
            before, after = op["amounts"][axis]
            size -= before + after
        else:
            size = conv_length(size, op["kernel"][axis], op["stride"][axis], op["padding"], op["dilation"][axis])
    return size
