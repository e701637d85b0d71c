"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells, the one-step parts that Keras's
RNN layer steps along a sequence.

Cells are no layers of a model: each is the ``cell`` of an RNN layer (``rnn.py``), so they are chosen
from a union of their own, not the layer registry.
"""

from typing import Annotated, Any, ClassVar, Literal, Mapping, Optional

from pydantic import Field

from nnconf.config.base import IDENTIFIER, ChosenBy, PositiveInt, Rate, Seed, StrictModel, required_fields
from nnconf.config.functions import Activation, Constraint, Initializer, Regularizer
from nnconf.config.layers.base import Shape, implied_type


class Cell(StrictModel):
    """A recurrent cell, by its Keras class name in ``type``.

    Args:
        name: the Keras name of the cell.
        trainable: whether the cell's weights are updated in training.
    """

    type: str
    name: Optional[str] = Field(default=None, pattern=IDENTIFIER, max_length=128)
    trainable: bool = True

    @classmethod
    def _implied(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Made in Python, a cell's class says its type: ``LSTMCell(units=8)``."""
        return implied_type(cls, values)

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        return required_fields(cls, "type")

    def keras_arguments(self) -> dict[str, Any]:
        """The arguments for the Keras class (specs are converted by the builder)."""
        return {key: getattr(self, key) for key in type(self).model_fields if key != "type"}

    def output_size(self) -> int:
        """The features of the cell's output at each step."""
        raise NotImplementedError

    def weight_shapes(self, features: int) -> dict[str, Shape]:
        """The cell's weights, by Keras weight name, for inputs of ``features`` features per step."""
        raise NotImplementedError

    def trainable_weight(self, name: str) -> bool:
        return self.trainable


class GateCell(Cell):
    """What SimpleRNNCell, LSTMCell and GRUCell share: kernels of ``GATES`` blocks of ``units`` columns.

    Args:
        units: size of the output and of the hidden state.
        activation: activation of the output (and of the candidate state in LSTM and GRU cells).
        use_bias: whether the cell has a bias.
        kernel_initializer: initializer of ``kernel``.
        recurrent_initializer: initializer of ``recurrent_kernel``.
        bias_initializer: initializer of ``bias``.
        kernel_regularizer: regularizer of ``kernel``.
        recurrent_regularizer: regularizer of ``recurrent_kernel``.
        bias_regularizer: regularizer of ``bias``.
        kernel_constraint: constraint on ``kernel``.
        recurrent_constraint: constraint on ``recurrent_kernel``.
        bias_constraint: constraint on ``bias``.
        dropout: fraction of the inputs dropped in training, in [0, 1).
        recurrent_dropout: fraction of the hidden state dropped in training, in [0, 1).
        seed: seed of the dropout masks.
    """

    GATES: ClassVar[int] = 1

    units: PositiveInt
    activation: Activation = "tanh"
    use_bias: bool = True
    kernel_initializer: Initializer = "glorot_uniform"
    recurrent_initializer: Initializer = "orthogonal"
    bias_initializer: Initializer = "zeros"
    kernel_regularizer: Optional[Regularizer] = None
    recurrent_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None
    kernel_constraint: Optional[Constraint] = None
    recurrent_constraint: Optional[Constraint] = None
    bias_constraint: Optional[Constraint] = None
    dropout: Rate = 0.0
    recurrent_dropout: Rate = 0.0
    seed: Optional[Seed] = None

    def output_size(self) -> int:
        return self.units

    def weight_shapes(self, features: int) -> dict[str, Shape]:
        width = self.GATES * self.units
        shapes = {"kernel": (features, width), "recurrent_kernel": (self.units, width)}
        if self.use_bias:
            shapes["bias"] = self.bias_shape()
        return shapes

    def bias_shape(self) -> Shape:
        return (self.GATES * self.units,)


class SimpleRNNCell(GateCell):
    """The cell of SimpleRNN: ``h = activation(x @ kernel + h @ recurrent_kernel + bias)``."""

    type: Literal["SimpleRNNCell"]


class LSTMCell(GateCell):
    """The cell of LSTM: input, forget and output gates and a cell state.

    Args:
        recurrent_activation: activation of the gates.
        unit_forget_bias: initialize the forget gate's bias to ones, the rest by ``bias_initializer``.
    """

    GATES = 4

    type: Literal["LSTMCell"]
    recurrent_activation: Activation = "sigmoid"
    unit_forget_bias: bool = True


class GRUCell(GateCell):
    """The cell of GRU: update and reset gates.

    Args:
        recurrent_activation: activation of the gates.
        reset_after: apply the reset gate after the recurrent matrix multiplication, with separate input
            and recurrent biases.
    """

    GATES = 3

    type: Literal["GRUCell"]
    recurrent_activation: Activation = "sigmoid"
    reset_after: bool = True

    def bias_shape(self) -> Shape:
        return (2, self.GATES * self.units) if self.reset_after else super().bias_shape()


def _cell_classes() -> Mapping[str, type[Cell]]:
    return CELL_CLASSES


# Any cell type, chosen by its ``type``: what an RNN's ``cell`` and a stack's ``cells`` hold.
AnyCell = Annotated[Cell, ChosenBy("AnyCell", _cell_classes, "type")]


class StackedRNNCells(Cell):
    """Cells applied one after another at each step, as one cell: each takes the previous one's output.

    The weights are those of the cells, prefixed by their position: ``0_kernel``, ``1_bias``, ...

    Args:
        cells: the cells, the first taking the sequence's features.
    """

    type: Literal["StackedRNNCells"]
    cells: Annotated[list[AnyCell], Field(min_length=1)]

    def output_size(self) -> int:
        return self.cells[-1].output_size()

    def weight_shapes(self, features: int) -> dict[str, Shape]:
        shapes = {}
        for index, cell in enumerate(self.cells):
            shapes.update({f"{index}_{name}": shape for name, shape in cell.weight_shapes(features).items()})
            features = cell.output_size()
        return shapes

    def trainable_weight(self, name: str) -> bool:
        index, _, weight = name.partition("_")
        return self.trainable and self.cells[int(index)].trainable_weight(weight)


CELL_CLASSES: dict[str, type[Cell]] = {cell.__name__: cell for cell in (SimpleRNNCell, LSTMCell, GRUCell,
                                                                        StackedRNNCells)}
