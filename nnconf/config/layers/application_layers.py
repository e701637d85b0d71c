"""Layers that ``keras.applications`` models define for themselves (not in ``keras.layers``), so that those
models import and build: ConvNeXt's LayerScale and InceptionResNetV2's CustomScaleLayer. The builder makes
them from Keras's own classes; each is taken by its exact class and module, nothing else.
"""

from typing import ClassVar, Literal

from nnconf.config.layers.base import Layer, Shape, ShapeError, format_shape, require_known

# Each type's Keras class, by module and class name (the builder and the importer take these alone).
KERAS_CLASSES: dict[str, tuple[str, str]] = {
    "LayerScale": ("keras.src.applications.convnext", "LayerScale"),
    "CustomScaleLayer": ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer"),
}


class LayerScale(Layer):
    """Multiplies each channel by a learned factor (ConvNeXt's layer scale): ``x * gamma``.

    Args:
        init_values: the factors' initial value.
        projection_dim: the number of channels (the last axis), one factor each.
    """

    type: Literal["LayerScale"]
    init_values: float
    projection_dim: int

    def output_shape(self, input_shape: Shape) -> Shape:
        channels = require_known(input_shape[-1] if input_shape else None, self.type, "channel axis (the last)")
        if channels not in (1, self.projection_dim):
            raise ShapeError(f"LayerScale has {self.projection_dim} factors (projection_dim), but its input "
                             f"{format_shape(input_shape)} has {channels} channels", field="projection_dim",
                             hint=f"set projection_dim: {channels}")
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        return {"variable": (self.projection_dim,)}  # Keras's name for the unnamed weight it adds


class CustomScaleLayer(Layer):
    """Adds its second input, scaled, to its first (InceptionResNetV2's residual): ``a + b * scale``.

    Args:
        scale: the factor of the second input.
    """

    CALL_STYLE: ClassVar[str] = "list"

    type: Literal["CustomScaleLayer"]
    scale: float

    def output_shape(self, input_shape: list[Shape]) -> Shape:
        shapes = [tuple(shape) for shape in input_shape] if isinstance(input_shape, list) else [tuple(input_shape)]
        if len(shapes) != 2:
            raise ShapeError(f"CustomScaleLayer takes 2 inputs, but gets {len(shapes)}", field="inputs",
                             hint="list the residual and the branch to scale, in that order")
        if shapes[0] != shapes[1]:
            raise ShapeError(f"CustomScaleLayer adds inputs of one shape, but gets {format_shape(shapes[0])} and "
                             f"{format_shape(shapes[1])}", field="inputs")
        return shapes[0]
