"""Op: one of an allow-list of ``keras.ops`` functions applied to tensors of a functional model, as Keras
graphs hold them where a model is written ``x + 3.0`` or ``keras.ops.multiply(x, y)`` (MobileNetV3's
hard sigmoid, ConvNeXt's residual sums). The function is named, never written: no code, no import path.
"""

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from nnconf.config.layers.base import Layer, Shape, ShapeError, format_shape

# The functions an Op may name, each with how many operands it takes (tensors or numbers).
OPS: dict[str, int] = {
    "add": 2, "subtract": 2, "multiply": 2, "divide": 2, "true_divide": 2, "maximum": 2, "minimum": 2, "power": 2,
    "negative": 1, "absolute": 1, "square": 1, "sqrt": 1, "exp": 1, "log": 1,
}
# The class of operation Keras records for each (in keras.src.ops.numpy), by which a graph is read and made.
KERAS_OPERATIONS: dict[str, str] = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide", "true_divide": "TrueDivide",
    "maximum": "Maximum", "minimum": "Minimum", "power": "Power", "negative": "Negative", "absolute": "Absolute",
    "square": "Square", "sqrt": "Sqrt", "exp": "Exp", "log": "Log",
}
KERAS_OPERATIONS_MODULE = "keras.src.ops.numpy"
OpName = Literal[tuple(OPS)]  # type: ignore[valid-type]
Operand = Union[str, float]


class Op(Layer):
    """An elementwise ``keras.ops`` function of tensors (and numbers), in a functional model:
    ``{type: Op, op: add, inputs: [x, 3.0]}`` is ``keras.ops.add(x, 3.0)``.

    Args:
        op: the function: add, subtract, multiply, divide, true_divide, maximum, minimum, power (two
            operands), or negative, absolute, square, sqrt, exp, log (one).
        inputs: its operands in order: layer or input names (tensors) and numbers (constants); at least
            one is a tensor.
    """

    CALL_STYLE: ClassVar[str] = "op"

    type: Literal["Op"]
    op: OpName
    inputs: Union[str, Annotated[list[Operand], Field(min_length=1, max_length=2)], None] = None

    @model_validator(mode="after")
    def _operands(self) -> "Op":
        operands = [self.inputs] if isinstance(self.inputs, str) else list(self.inputs or [])
        if self.inputs is not None and len(operands) != OPS[self.op]:
            raise ValueError(f"{self.op} takes {OPS[self.op]} operand{'s' * (OPS[self.op] > 1)}, "
                             f"found {len(operands)}")
        if self.inputs is not None and not any(isinstance(item, str) for item in operands):
            raise ValueError(f"{self.op} needs a tensor among its operands (a layer or input name), found only numbers")
        return self

    @property
    def operands(self) -> list[Operand]:
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs or [])

    @property
    def input_names(self) -> list[str]:
        return [item for item in self.operands if isinstance(item, str)]

    def output_shape(self, input_shape: Shape | list[Shape]) -> Shape:
        shapes = [tuple(shape) for shape in input_shape] if isinstance(input_shape, list) else [tuple(input_shape)]
        result = shapes[0]
        for shape in shapes[1:]:
            result = self._broadcast(result, shape, shapes)
        return result

    def _broadcast(self, first: Shape, second: Shape, shapes: list[Shape]) -> Shape:
        """Keras's keras.ops broadcasting: aligned at the last axes, 1 stretches; an unknown size (None)
        takes the other's, unless that is 1."""
        first, second = (1,) * (len(second) - len(first)) + first, (1,) * (len(first) - len(second)) + second
        out = []
        for axis, (i, j) in enumerate(zip(first, second)):
            if i == 1:
                out.append(j)
            elif i is None:
                out.append(None if j == 1 else j)
            elif j in (1, None, i):
                out.append(i)
            else:
                shown = ", ".join(format_shape(shape) for shape in shapes)
                raise ShapeError(f"{self.op} cannot broadcast tensors of shapes {shown}: on axis {axis + 1} the sizes "
                                 f"{i} and {j} differ and neither is 1", field="inputs",
                                 hint="give the operands equal shapes (size 1 on an axis broadcasts)")
        return tuple(out)
