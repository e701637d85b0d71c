"""The top level of a config: the model, its task, loss, optimizer and metrics."""

from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, model_validator

from nnconf.config.base import IDENTIFIER, MODEL_NAME, RULE_CODE, PositiveFloat, Shape, StrictModel, default_section
from nnconf.config.blocks import ArgumentName, Block, GraphEntry, StackEntry
from nnconf.config.data import STRING_LAYERS, Data
from nnconf.config.losses import Loss
from nnconf.config.metrics import Metric
from nnconf.config.optimizers import Optimizer
from nnconf.config.search import Search
from nnconf.config.training import Training

Task = Literal["regression", "binary", "multiclass", "multilabel"]
OutputName = Annotated[str, Field(pattern=IDENTIFIER)]
# What a model input holds: numbers of a Keras dtype, or strings (for StringLookup, TextVectorization, Hashing).
InputDtype = Literal["float32", "float16", "bfloat16", "float64", "uint8", "int32", "int64", "bool", "string"]


def default_input_dtype(readers: list[str]) -> str:
    """An input's dtype where the config declares none: string where a layer reading it takes only strings
    (StringLookup, TextVectorization), else float32.

    Args:
        readers: the types of the layers that read the input.
    """
    return "string" if any(kind in STRING_LAYERS for kind in readers) else "float32"


class ModelInput(StrictModel):
    """A model input with its dtype, written ``{shape: [null], dtype: int32}``; a shape alone (``[28, 28]``)
    is an input of the default dtype.

    Args:
        shape: one sample's shape, without the batch axis; null is a dimension of any size.
        dtype: what the input holds (``float32``, ``int32``, ``int64``, ``string``, ...); null: float32, or
            string where a StringLookup or TextVectorization reads it.
    """

    SHORTHAND: ClassVar[str] = "shape"  # written as the shape alone when that is all it says

    shape: Shape
    dtype: Optional[InputDtype] = None


def _shape_alone(value: Any) -> Any:
    if isinstance(value, ModelInput) and value.dtype is None:
        return list(value.shape)
    if isinstance(value, dict) and "shape" in value and set(value) <= {"shape", "dtype"} and value.get("dtype") is None:
        return value["shape"]
    return value


class SequentialModel(StrictModel):
    """A stack of layers, each feeding the next.

    Args:
        input_shape: one sample's shape, without the batch axis, e.g. ``[28, 28]``.
        input_dtype: what the input holds (``float32``, ``int32``, ``int64``, ``string``, ...); null: float32,
            or string where the first layer is a StringLookup or TextVectorization.
        layers: the layers, first to last; ``{block: NAME, ...}`` uses a block of the config's ``blocks``
            (one input, one output).
    """

    input_shape: Shape
    input_dtype: Optional[InputDtype] = None
    layers: Annotated[list[StackEntry], Field(min_length=1)]

    def input_shapes(self) -> dict[str, tuple]:
        """The input's shape, by its name (``input``)."""
        return {"input": tuple(self.input_shape)}

    def input_dtypes(self) -> dict[str, str]:
        """The input's dtype, declared or by default, by its name (``input``)."""
        return {"input": self.input_dtype or default_input_dtype([self.layers[0].type])}

    @model_validator(mode="after")
    def _no_graph_wiring(self) -> "SequentialModel":
        wired = [i for i, layer in enumerate(self.layers) if layer.inputs is not None]
        if wired:
            raise ValueError(
                f"layer {wired[0]} has 'inputs', which only functional models take; "
                "give the model 'inputs' and 'outputs' to make it functional, or remove 'inputs'"
            )
        return self

    @property
    def is_functional(self) -> bool:
        return False


class FunctionalModel(StrictModel):
    """A graph of layers with named inputs and outputs.

    Args:
        inputs: the model inputs by name, each with one sample's shape (``image: [28, 28]``), or its shape
            and dtype (``tokens: {shape: [null], dtype: int32}``).
        layers: the layers; each names its input(s) in ``inputs``. An entry ``{apply: NAME, name: ...,
            inputs: ...}`` applies the layer NAME again to other inputs, sharing its weights;
            ``{block: NAME, name: ..., inputs: ..., ARGUMENT: VALUE, ...}`` uses a block of ``blocks``.
        outputs: the names of the layers whose outputs are the model's outputs.
    """

    inputs: Annotated[dict[OutputName, Union[Shape, ModelInput]], Field(min_length=1)]
    layers: Annotated[list[GraphEntry], Field(min_length=1)]
    outputs: Union[str, Annotated[list[str], Field(min_length=1)]]

    @property
    def is_functional(self) -> bool:
        return True

    @model_validator(mode="before")
    @classmethod
    def _shape_alone(cls, data: Any) -> Any:
        """An input that declares no dtype is its shape (``{shape: [4]}`` is ``[4]``), so that a config reads
        the same whichever way it is written."""
        if not isinstance(data, dict) or not isinstance(data.get("inputs"), dict):
            return data
        return {**data, "inputs": {name: _shape_alone(value) for name, value in data["inputs"].items()}}

    def input_shapes(self) -> dict[str, tuple]:
        """Each input's shape, by name, in order."""
        return {name: tuple(value.shape if isinstance(value, ModelInput) else value)
                for name, value in self.inputs.items()}

    def input_dtypes(self) -> dict[str, str]:
        """Each input's dtype, declared or by default, by name, in order."""
        readers: dict[str, list[str]] = {name: [] for name in self.inputs}
        for layer in self.layers:
            for name in layer.input_names:
                if name in readers:
                    readers[name].append(layer.type)
        return {name: (value.dtype if isinstance(value, ModelInput) else None) or default_input_dtype(readers[name])
                for name, value in self.inputs.items()}

    @property
    def output_names(self) -> list[str]:
        return [self.outputs] if isinstance(self.outputs, str) else list(self.outputs)


def _model_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "functional" if "inputs" in value or "outputs" in value else "sequential"
    return "functional" if isinstance(value, FunctionalModel) else "sequential"


Model = Annotated[
    Union[Annotated[SequentialModel, Tag("sequential")], Annotated[FunctionalModel, Tag("functional")]],
    Discriminator(_model_kind),
]


def _one_or_per_output(value: Any) -> str:
    """A loss or task is one spec, or a mapping from output name to spec."""
    if isinstance(value, dict) and "name" not in value:
        return "per_output"
    return "single"


def one_or_per_output(spec: Any) -> Any:
    return Annotated[
        Union[Annotated[spec, Tag("single")], Annotated[dict[OutputName, spec], Tag("per_output")]],
        Discriminator(_one_or_per_output),
    ]


TaskSpec = one_or_per_output(Task)
LossSpec = one_or_per_output(Loss)


def _metrics_kind(value: Any) -> str:
    return "per_output" if isinstance(value, dict) else "single"


Metrics = Annotated[
    Union[Annotated[list[Metric], Tag("single")], Annotated[dict[OutputName, list[Metric]], Tag("per_output")]],
    Discriminator(_metrics_kind),
]


class LintSettings(StrictModel):
    """Per-config lint settings.

    Args:
        ignore: rule codes silenced for this config, e.g. ``[NN203]``.
    """

    ignore: list[Annotated[str, Field(pattern=RULE_CODE)]] = []


class Config(StrictModel):
    """A whole nnconf config.

    Args:
        name: the model's name; runs are stored under it.
        task: what the model predicts, one task or one per output.
        seed: seed for initial weights, shuffling and dropout; set it for reproducible runs.
        blocks: small graphs of layers by name, each defined once and used in ``model.layers`` as
            ``{block: NAME, ...}`` with its own arguments.
        model: a sequential (``input_shape`` + ``layers``) or functional (``inputs``, ``layers``,
            ``outputs``) model.
        loss: the loss, or one per output.
        loss_weights: in multi-output models, a weight per output (or one for all).
        optimizer: the optimizer.
        metrics: metrics to report, or a list per output.
        data: where the samples come from, and how they are split, scaled and encoded.
        training: epochs, batch size, checkpoints, device and the rest of how it is trained.
        lint: per-config lint settings.
        search: a hyperparameter search over this config's values, for ``nnconf sweep``.
    """

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"search", "blocks"})

    name: Optional[Annotated[str, Field(pattern=MODEL_NAME, max_length=128)]] = None
    task: TaskSpec
    seed: Optional[Annotated[int, Field(ge=0, lt=2**32)]] = None
    blocks: Optional[dict[ArgumentName, Block]] = None
    model: Model
    loss: LossSpec
    loss_weights: Union[PositiveFloat, dict[OutputName, Annotated[float, Field(ge=0)]], None] = None
    optimizer: Optimizer = "adam"
    metrics: Metrics = []
    data: Optional[Data] = None
    training: Training = default_section(Training)
    lint: LintSettings = default_section(LintSettings)
    search: Optional[Search] = None

    def tasks(self) -> dict[str, str]:
        """The task of each output (``''`` names the single output of a one-output model)."""
        if isinstance(self.task, dict):
            return dict(self.task)
        return {name: self.task for name in self.output_names()}

    def output_names(self) -> list[str]:
        if isinstance(self.model, FunctionalModel):
            return self.model.output_names
        return [""]

    def losses(self) -> dict[str, Any]:
        if isinstance(self.loss, dict):
            return dict(self.loss)
        return {name: self.loss for name in self.output_names()}

    def metrics_of(self, output: str) -> list:
        if isinstance(self.metrics, dict):
            return list(self.metrics.get(output, []))
        return list(self.metrics)

    def to_yaml(self, *, compact: bool = False) -> str:
        """The config as YAML: every default filled in, or with ``compact`` only the values that differ
        from the defaults (what ``nnconf config`` and ``nnconf import`` write)."""
        from nnconf.config.dump import to_yaml

        return to_yaml(self, compact=compact)

