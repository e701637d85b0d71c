"""The ``search:`` section: a hyperparameter search over a config's own values, run by ``nnconf sweep``.

The space names config values by the paths ``--set`` takes (``model.layers[1].units``) and gives
each a range or a list of choices. This module only describes the search; whether each path and
value fits the rest of the config is checked by nnconf.analysis.search, and Optuna, which runs the
search, is imported by nnconf.engine.sweep alone.
"""

import builtins
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from nnconf.config.base import PositiveFloat, PositiveInt, Seed, StrictModel

# A metric whose name holds one of these grows as the model improves; any other (loss, mae...) falls.
MAXIMISED = ("acc", "auc", "precision", "recall", "f1", "r2")

KINDS = ("uniform", "log_uniform", "int", "log_int", "choice")
MAX_GRID = 100_000  # combinations a grid search may have: each is a trial, and the grid is held in memory

# What nnconf sweep says of a config without a search: section, after its file name.
NO_SEARCH = ("has no search: section, so there is nothing to sweep (see configs/digits_sweep.yaml); "
             "to train it as it is, use nnconf train")

FloatRange = Annotated[list[float], Field(min_length=2, max_length=2)]
IntRange = Annotated[list[int], Field(min_length=2, max_length=2)]


class Dimension(StrictModel):
    """One searched value: exactly one of ``uniform``, ``log_uniform``, ``int``, ``log_int`` or ``choice``.

    Args:
        uniform: ``[low, high]``: any number from low to high, every part of the range equally likely.
        log_uniform: ``[low, high]``, both above 0: any number from low to high, every factor equally
            likely (learning rates, regularization strengths).
        int: ``[low, high]``: a whole number from low to high, both included.
        log_int: ``[low, high]``, both above 0: a whole number from low to high, smaller ones more
            often (layer widths).
        choice: the values to choose from: numbers, strings, booleans, lists or mappings.
        step: with ``uniform`` or ``int``: only ``low``, ``low + step``, ``low + 2 * step``, ... up to ``high``.
    """

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset((*KINDS, "step"))

    uniform: Optional[FloatRange] = None
    log_uniform: Optional[FloatRange] = None
    int: Optional[IntRange] = None
    log_int: Optional[IntRange] = None
    choice: Optional[Annotated[list[Any], Field(min_length=1)]] = None
    step: Optional[Union[PositiveInt, PositiveFloat]] = None

    @field_validator("uniform", "log_uniform", "int", "log_int")
    @classmethod
    def _ordered_range(cls, bounds: Optional[list], info: ValidationInfo) -> Optional[list]:
        if bounds is None:
            return bounds
        low, high = bounds
        if not low < high:
            raise ValueError(f"the range [{low}, {high}] is empty: write [low, high] with low below high")
        if info.field_name.startswith("log_") and low <= 0:
            raise ValueError(f"a {info.field_name} range must lie above 0 (its logarithm is what is searched), "
                             f"found {low}")
        return bounds

    @model_validator(mode="after")
    def _one_kind(self) -> "Dimension":
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = f"found {' and '.join(given)}" if given else "found none"
            raise ValueError(f"a searched value takes exactly one of {', '.join(KINDS)}; {found}")
        if self.step is not None:
            if given[0] not in ("uniform", "int"):
                raise ValueError(f"step goes with uniform or int, not with {given[0]}")
            if given[0] == "int" and not isinstance(self.step, int):
                raise ValueError(f"an int range takes a whole-number step, found {self.step}")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in KINDS if getattr(self, kind) is not None)

    @property
    def bounds(self) -> list:
        """The range, or the choices."""
        return getattr(self, self.kind)

    def extremes(self) -> list:
        """The values that stand for the whole dimension when checking it: each end of a range (as
        the type a trial would get) and every choice."""
        if self.kind == "choice":
            return list(self.choice)
        if self.kind in ("uniform", "log_uniform"):
            return [float(bound) for bound in self.bounds]
        return list(self.bounds)

    def grid_size(self) -> Optional[builtins.int]:  # the field named int hides the type here
        """How many values a grid search tries, or None where the dimension has no finite grid."""
        if self.kind == "choice":
            return len(self.choice)
        if self.kind == "int":
            low, high = self.int
            return (high - low) // (self.step or 1) + 1
        if self.kind == "uniform" and self.step is not None:
            low, high = self.uniform
            return int((high - low) / self.step + 1e-9) + 1
        return None

    def grid(self) -> list | None:
        """Every value a grid search tries (see grid_size, and check it first), or None."""
        size = self.grid_size()
        if size is None or self.kind == "choice":
            return None if size is None else list(self.choice)
        low, step = self.bounds[0], self.step or 1
        if self.kind == "int":
            return [low + index * step for index in range(size)]
        return [float(f"{low + index * step:.12g}") for index in range(size)]  # 0.3, not 0.30000000000000004


class Search(StrictModel):
    """A hyperparameter search over the config's own values, run by ``nnconf sweep``.

    Args:
        metric: the objective: a metric the run logs at each epoch's end, such as ``val_accuracy`` or
            ``val_loss``. A trial's value is its best epoch's.
        direction: ``maximize`` or ``minimize``; by default it follows from the metric: accuracy,
            AUC, precision, recall, F1 and R2 up, anything else (losses, errors) down.
        trials: how many trials the study ends with (completed or pruned), however many processes
            work on it together.
        sampler: ``tpe`` (learns from the trials so far), ``random``, or ``grid`` (every combination
            of the choices and the ``int`` or stepped ``uniform`` values, each once).
        pruner: stops a trial at an epoch's end when it is hopeless: ``median`` (worse than the
            median of earlier trials at that epoch), ``hyperband``, or ``none``.
        seed: the sampler's seed: a study that one process runs is repeatable with it.
        space: the searched values by config path, written as ``--set`` takes them
            (``optimizer.learning_rate``, ``model.layers[1].units``), each a range or a list of choices.
    """

    metric: Annotated[str, Field(min_length=1, max_length=200)]
    direction: Optional[Literal["maximize", "minimize"]] = None
    trials: PositiveInt = 20
    sampler: Literal["tpe", "random", "grid"] = "tpe"
    pruner: Literal["median", "hyperband", "none"] = "median"
    seed: Optional[Seed] = None
    space: Annotated[dict[str, Dimension], Field(min_length=1)]

    @property
    def maximize(self) -> bool:
        if self.direction is not None:
            return self.direction == "maximize"
        return any(word in self.metric.lower() for word in MAXIMISED)
