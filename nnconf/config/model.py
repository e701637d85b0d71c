"""The top level of a config: the model, its task, loss, optimizer and metrics."""

from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, model_validator

from nnconf.config.base import IDENTIFIER, MODEL_NAME, RULE_CODE, PositiveFloat, Shape, StrictModel, default_section
from nnconf.config.data import Data
from nnconf.config.layers import AnyLayer
from nnconf.config.losses import Loss
from nnconf.config.metrics import Metric
from nnconf.config.optimizers import Optimizer
from nnconf.config.search import Search
from nnconf.config.training import Training

Task = Literal["regression", "binary", "multiclass", "multilabel"]
OutputName = Annotated[str, Field(pattern=IDENTIFIER)]


class SequentialModel(StrictModel):
    """A stack of layers, each feeding the next.

    Args:
        input_shape: one sample's shape, without the batch axis, e.g. ``[28, 28]``.
        layers: the layers, first to last.
    """

    input_shape: Shape
    layers: Annotated[list[AnyLayer], Field(min_length=1)]

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
        inputs: the model inputs by name, each with one sample's shape.
        layers: the layers; each names its input(s) in ``inputs``.
        outputs: the names of the layers whose outputs are the model's outputs.
    """

    inputs: Annotated[dict[OutputName, Shape], Field(min_length=1)]
    layers: Annotated[list[AnyLayer], Field(min_length=1)]
    outputs: Union[str, Annotated[list[str], Field(min_length=1)]]

    @property
    def is_functional(self) -> bool:
        return True

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

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"search"})

    name: Optional[Annotated[str, Field(pattern=MODEL_NAME, max_length=128)]] = None
    task: TaskSpec
    seed: Optional[Annotated[int, Field(ge=0, lt=2**32)]] = None
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

