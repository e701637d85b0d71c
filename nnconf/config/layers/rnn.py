"""Recurrent layers (SimpleRNN, LSTM, GRU, RNN of a cell, ConvLSTM1D/2D/3D) and the wrappers that apply a layer
along a sequence."""

from typing import ClassVar, Literal, Optional, Union

from pydantic import ValidationInfo, field_validator, model_validator

from nnconf.config.base import PositiveInt, Rate, Seed
from nnconf.config.functions import Activation, Constraint, Initializer, Regularizer
from nnconf.config.layers.base import (
    AnyLayer, Layer, Shape, ShapeError, check_wrapped, located_at, require_known, require_rank,
)
from nnconf.config.layers.cells import AnyCell
from nnconf.config.layers.convolution import ConvolutionWindow
from nnconf.config.layers.core import KernelArguments


class SequenceStepping(Layer):
    """How a recurrent layer steps along the sequence and what it returns.

    Args:
        return_sequences: return the output of every timestep, not only the last.
        return_state: not supported: the final states would be extra outputs, and nnconf wires one
            output per layer.
        go_backwards: process the sequence from its end and return the sequence reversed.
        stateful: not supported: carrying states across batches needs a fixed batch size.
    """

    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False

    @field_validator("return_state")
    @classmethod
    def _one_output(cls, value: bool) -> bool:
        if value:
            raise ValueError("return_state: true adds the final states as extra outputs, but nnconf wires one "
                             "output per layer; use return_sequences to get the outputs of every timestep")
        return value

    @field_validator("stateful")
    @classmethod
    def _stateless(cls, value: bool) -> bool:
        if value:
            raise ValueError("stateful: true needs a fixed batch size, which nnconf models do not declare")
        return value

    def sequence_output(self, input_shape: Shape, units: int, unroll: bool) -> Shape:
        """The output of a recurrent layer of ``units`` on (timesteps, features)."""
        require_rank(input_shape, 2, self.type, " (batch, timesteps, features)")
        timesteps = input_shape[0]
        if unroll and timesteps is None:
            raise ShapeError(f"{self.type} cannot unroll a sequence of unknown length (null timesteps)",
                             field="unroll", hint="give the input a fixed number of timesteps, or set unroll: false")
        return (timesteps, units) if self.return_sequences else (units,)


class RecurrentArguments(SequenceStepping, KernelArguments):
    """The arguments every recurrent layer shares: its recurrent kernel and dropouts.

    Args:
        activation: activation of the output (and of the candidate state in gated layers).
        recurrent_initializer: initializer of ``recurrent_kernel``.
        recurrent_regularizer: regularizer of ``recurrent_kernel``.
        recurrent_constraint: constraint on ``recurrent_kernel``.
        dropout: fraction of the inputs dropped in training, in [0, 1).
        recurrent_dropout: fraction of the hidden state dropped in training, in [0, 1).
        seed: seed of the dropout masks.
    """

    activation: Activation = "tanh"
    recurrent_initializer: Initializer = "orthogonal"
    recurrent_regularizer: Optional[Regularizer] = None
    recurrent_constraint: Optional[Constraint] = None
    dropout: Rate = 0.0
    recurrent_dropout: Rate = 0.0
    seed: Optional[Seed] = None


class Recurrent(RecurrentArguments):
    """What SimpleRNN, LSTM and GRU share: a cell stepped along the time axis of (timesteps, features).

    Args:
        units: size of the output and of the hidden state.
        unroll: unroll the loop instead of a symbolic loop; faster for short sequences, needs a
            known number of timesteps.
    """

    # How many blocks of ``units`` columns the kernels hold: one per gate or candidate.
    GATES: ClassVar[int] = 1

    units: PositiveInt
    unroll: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.sequence_output(input_shape, self.units, self.unroll)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        require_rank(input_shape, 2, self.type, " (batch, timesteps, features)")
        features = require_known(input_shape[-1], self.type, "feature axis (the last input axis)")
        width = self.GATES * self.units
        shapes = {"kernel": (features, width), "recurrent_kernel": (self.units, width)}
        if self.use_bias:
            shapes["bias"] = self.bias_shape()
        return shapes

    def bias_shape(self) -> Shape:
        return (self.GATES * self.units,)


class Gated(Recurrent):
    """What LSTM and GRU add to a plain recurrent layer: gates.

    Args:
        recurrent_activation: activation of the gates.
        use_cudnn: use the fused cuDNN kernel on a GPU: ``auto`` where the arguments allow it.
    """

    recurrent_activation: Activation = "sigmoid"
    use_cudnn: Union[Literal["auto"], bool] = "auto"


class SimpleRNN(Recurrent):
    """A fully connected recurrent layer: ``h = activation(x @ kernel + h @ recurrent_kernel + bias)``."""

    type: Literal["SimpleRNN"]

    @field_validator("activity_regularizer")
    @classmethod
    def _applied(cls, value: Optional[Regularizer]) -> Optional[Regularizer]:
        # Keras's SimpleRNN takes the argument but never hands it on, so it would silently do nothing.
        if value is not None:
            raise ValueError("Keras's SimpleRNN accepts activity_regularizer but never applies it; "
                             "put an ActivityRegularization layer after it instead")
        return value


class LSTM(Gated):
    """Long short-term memory: a recurrent layer with input, forget and output gates and a cell state.

    Args:
        unit_forget_bias: initialize the forget gate's bias to ones, the rest by ``bias_initializer``.
    """

    GATES = 4

    type: Literal["LSTM"]
    unit_forget_bias: bool = True


class GRU(Gated):
    """Gated recurrent unit: a recurrent layer with update and reset gates.

    Args:
        reset_after: apply the reset gate after the recurrent matrix multiplication (the cuDNN
            variant), which needs separate input and recurrent biases.
    """

    GATES = 3

    type: Literal["GRU"]
    reset_after: bool = True

    def bias_shape(self) -> Shape:
        if self.reset_after:
            return (2, self.GATES * self.units)
        return super().bias_shape()


class RNN(SequenceStepping):
    """A recurrent layer that steps a given cell along the time axis of (timesteps, features): Keras's
    general form of SimpleRNN, LSTM and GRU, e.g. for a stack of cells.

    Args:
        cell: the cell: ``{type: LSTMCell, units: 32}``, or ``{type: StackedRNNCells, cells: [...]}``.
        unroll: unroll the loop instead of a symbolic loop; needs a known number of timesteps.
        zero_output_for_mask: output zeros (rather than the last output) at masked timesteps.
    """

    type: Literal["RNN"]
    cell: AnyCell
    unroll: bool = False
    zero_output_for_mask: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.sequence_output(input_shape, self.cell.output_size(), self.unroll)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        require_rank(input_shape, 2, self.type, " (batch, timesteps, features)")
        return self.cell.weight_shapes(require_known(input_shape[-1], self.type, "feature axis (the last input axis)"))

    def trainable_weight(self, name: str) -> bool:
        return self.trainable and self.cell.trainable_weight(name)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two.

    The weights are those of each direction, prefixed: ``forward_kernel``, ``backward_kernel``, ...

    Args:
        layer: the recurrent layer (SimpleRNN, LSTM or GRU) run forwards.
        merge_mode: how the two outputs combine: ``concat`` (along the last axis), ``sum``, ``mul``
            or ``ave``. Keras's null (two separate outputs) is not supported: nnconf wires one output
            per layer.
        backward_layer: the recurrent layer run backwards; by default a copy of ``layer`` with
            ``go_backwards`` flipped. It must differ from ``layer`` in ``go_backwards`` and agree in
            ``units`` and ``return_sequences``.
    """

    WRAPS_LAYER = True

    type: Literal["Bidirectional"]
    layer: AnyLayer
    merge_mode: Optional[Literal["sum", "mul", "concat", "ave"]] = "concat"
    backward_layer: Optional[AnyLayer] = None

    @field_validator("merge_mode")
    @classmethod
    def _merged(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            raise ValueError("merge_mode: null returns the two directions as separate outputs, but nnconf wires "
                             "one output per layer; use concat, sum, mul or ave")
        return value

    @field_validator("layer", "backward_layer")
    @classmethod
    def _recurrent(cls, layer: Optional[Layer], info: ValidationInfo) -> Optional[Layer]:
        if layer is not None:
            if not isinstance(layer, Recurrent):
                raise ValueError(f"Bidirectional needs a recurrent {info.field_name} (SimpleRNN, LSTM or GRU), "
                                 f"not {layer.type}")
            check_wrapped("Bidirectional", layer)
        return layer

    @model_validator(mode="after")
    def _directions_agree(self) -> "Bidirectional":
        backward = self.backward_layer
        if backward is not None:
            if backward.go_backwards == self.layer.go_backwards:
                raise ValueError("backward_layer must have the opposite go_backwards of layer")
            if backward.return_sequences != self.layer.return_sequences:
                raise ValueError("backward_layer and layer must agree in return_sequences")
            if backward.units != self.layer.units:
                # Keras infers the merged shape from layer alone, so other units break the layers after it.
                raise ValueError(f"backward_layer needs the same units as layer, but they have {backward.units} "
                                 f"and {self.layer.units}")
        return self

    def _directions(self) -> dict[str, tuple[str, Recurrent]]:
        """Each direction's layer, with the field it comes from."""
        backward = ("layer", self.layer) if self.backward_layer is None else ("backward_layer", self.backward_layer)
        return {"forward": ("layer", self.layer), "backward": backward}

    def output_shape(self, input_shape: Shape) -> Shape:
        # Both directions must take the input; agreeing in units and return_sequences, they give one shape.
        for key, layer in self._directions().values():
            with located_at(key):
                shape = tuple(layer.output_shape(input_shape))
        if self.merge_mode == "concat":
            return shape[:-1] + (2 * shape[-1],)
        return shape

    def trainable_weight(self, name: str) -> bool:
        direction, _, weight = name.partition("_")
        return self.trainable and self._directions()[direction][1].trainable_weight(weight)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        shapes = {}
        for direction, (key, layer) in self._directions().items():
            with located_at(key):
                weights = layer.weight_shapes(input_shape)
            shapes.update({f"{direction}_{name}": shape for name, shape in weights.items()})
        return shapes


class TimeDistributed(Layer):
    """Applies a layer to every slice along axis 1 (time) of the input, with the same weights.

    Args:
        layer: the layer applied to each (features...) slice of the (timesteps, features...) input;
            it takes one input.
    """

    WRAPS_LAYER = True

    type: Literal["TimeDistributed"]
    layer: AnyLayer

    @field_validator("layer")
    @classmethod
    def _one_input(cls, layer: Layer) -> Layer:
        if layer.CALL_STYLE != "single":
            raise ValueError(f"TimeDistributed applies a layer that takes one input, and {layer.type} takes several")
        check_wrapped("TimeDistributed", layer)
        return layer

    def output_shape(self, input_shape: Shape) -> Shape:
        self._require_time_axis(input_shape)
        with located_at("layer"):
            return (input_shape[0],) + tuple(self.layer.output_shape(tuple(input_shape[1:])))

    def trainable_weight(self, name: str) -> bool:
        return self.trainable and self.layer.trainable_weight(name)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self._require_time_axis(input_shape)
        with located_at("layer"):
            return self.layer.weight_shapes(tuple(input_shape[1:]))

    def _require_time_axis(self, input_shape: Shape) -> None:
        if len(input_shape) < 2:
            raise ShapeError(
                f"TimeDistributed expects inputs of rank 3 or more including the batch axis (batch, timesteps, "
                f"features...), but gets rank {len(input_shape) + 1}",
                hint="give each sample a time axis first, e.g. with Reshape",
            )


class ConvLSTM(ConvolutionWindow, RecurrentArguments):
    """An LSTM whose input and recurrent transformations are convolutions: it steps along the time
    axis of (timesteps, spatial..., channels) and keeps a state shaped like a convolution's output.

    Args:
        filters: number of output channels.
        padding: ``valid`` or ``same``, of the input convolution (the recurrent one keeps the size).
        recurrent_activation: activation of the gates.
        unit_forget_bias: initialize the forget gate's bias to ones, the rest by ``bias_initializer``.
        return_sequences: return the output of every timestep, not only the last.
    """

    STRIDES_EXCLUDE_DILATION: ClassVar[bool] = True

    filters: PositiveInt
    recurrent_activation: Activation = "sigmoid"
    unit_forget_bias: bool = True

    def split(self, input_shape: Shape) -> tuple[tuple, int | None]:
        """The spatial sizes (all known, as Keras needs them) and the channels of one timestep."""
        axes = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}[self.RANK]
        layout = f"channels, {axes}" if self.channels_first else f"{axes}, channels"
        require_rank(input_shape, self.RANK + 2, self.type, f" (batch, timesteps, {layout})")
        spatial, channels = super().split(tuple(input_shape[1:]))
        for size in spatial:
            require_known(size, self.type, "spatial size (Keras needs every spatial axis known)")
        return spatial, channels

    def output_shape(self, input_shape: Shape) -> Shape:
        self.input_channels(input_shape)
        step = self.join(self.output_spatial(input_shape), self.filters)
        return (input_shape[0], *step) if self.return_sequences else step

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        kernel = self.per_axis("kernel_size")
        gates = 4 * self.filters
        shapes = {"kernel": kernel + (self.input_channels(input_shape), gates),
                  "recurrent_kernel": kernel + (self.filters, gates)}
        if self.use_bias:
            shapes["bias"] = (gates,)
        return shapes


class ConvLSTM1D(ConvLSTM):
    """ConvLSTM over sequences of sequences: (timesteps, steps, channels)."""

    RANK: ClassVar[int] = 1

    type: Literal["ConvLSTM1D"]


class ConvLSTM2D(ConvLSTM):
    """ConvLSTM over sequences of images, as video frames: (timesteps, rows, cols, channels)."""

    RANK: ClassVar[int] = 2

    type: Literal["ConvLSTM2D"]


class ConvLSTM3D(ConvLSTM):
    """ConvLSTM over sequences of volumes: (timesteps, depth, rows, cols, channels)."""

    RANK: ClassVar[int] = 3

    type: Literal["ConvLSTM3D"]
