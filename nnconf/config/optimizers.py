"""Optimizers and learning-rate schedules, by Keras name, with Keras's defaults."""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field
from typing_extensions import Annotated

from nnconf.config.base import NamedSpec, NonNegativeFloat, PositiveFloat, PositiveInt, by_name, class_spellings

# --- learning-rate schedules -------------------------------------------------------------------


class ExponentialDecay(NamedSpec):
    name: Literal["exponential_decay"]
    initial_learning_rate: float
    decay_steps: PositiveInt
    decay_rate: PositiveFloat
    staircase: bool = False


class InverseTimeDecay(NamedSpec):
    name: Literal["inverse_time_decay"]
    initial_learning_rate: float
    decay_steps: PositiveInt
    decay_rate: PositiveFloat
    staircase: bool = False


class PolynomialDecay(NamedSpec):
    name: Literal["polynomial_decay"]
    initial_learning_rate: float
    decay_steps: PositiveInt
    end_learning_rate: NonNegativeFloat = 0.0001
    power: PositiveFloat = 1.0
    cycle: bool = False


class CosineDecay(NamedSpec):
    name: Literal["cosine_decay"]
    initial_learning_rate: float
    decay_steps: PositiveInt
    alpha: NonNegativeFloat = 0.0
    warmup_target: Optional[float] = None
    warmup_steps: Annotated[int, Field(ge=0)] = 0


class CosineDecayRestarts(NamedSpec):
    name: Literal["cosine_decay_restarts"]
    initial_learning_rate: float
    first_decay_steps: PositiveInt
    t_mul: PositiveFloat = 2.0
    m_mul: PositiveFloat = 1.0
    alpha: NonNegativeFloat = 0.0


class PiecewiseConstantDecay(NamedSpec):
    name: Literal["piecewise_constant_decay"]
    boundaries: list[int]
    values: list[float]


SCHEDULES = (ExponentialDecay, InverseTimeDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts,
             PiecewiseConstantDecay)
Schedule = by_name("Schedule", *SCHEDULES, spellings=class_spellings(*SCHEDULES))  # Keras: class names
LearningRate = Union[float, Schedule]


def initial_rate(learning_rate: LearningRate) -> float:
    if isinstance(learning_rate, (int, float)):
        return float(learning_rate)
    if isinstance(learning_rate, PiecewiseConstantDecay):
        return learning_rate.values[0] if learning_rate.values else 0.0
    return learning_rate.initial_learning_rate


# --- optimizers --------------------------------------------------------------------------------


class _Optimizer(NamedSpec):
    """Arguments every Keras optimizer takes."""

    POSITIONAL: ClassVar[tuple[str, ...]] = ("learning_rate",)  # Adam(1e-3)

    weight_decay: Optional[NonNegativeFloat] = None
    clipnorm: Optional[PositiveFloat] = None
    clipvalue: Optional[PositiveFloat] = None
    global_clipnorm: Optional[PositiveFloat] = None
    use_ema: bool = False
    ema_momentum: Annotated[float, Field(ge=0, le=1)] = 0.99
    gradient_accumulation_steps: Optional[Annotated[int, Field(ge=2, lt=2**31)]] = None  # Keras: at least 2

    DEFAULT_LEARNING_RATE: ClassVar[float] = 0.001


class _AdamLike(_Optimizer):
    learning_rate: LearningRate = 0.001
    beta_1: Annotated[float, Field(ge=0, lt=1)] = 0.9
    beta_2: Annotated[float, Field(ge=0, lt=1)] = 0.999
    epsilon: PositiveFloat = 1e-7


class Adam(_AdamLike):
    name: Literal["adam"]
    amsgrad: bool = False


class AdamW(_AdamLike):
    name: Literal["adamw"]
    weight_decay: NonNegativeFloat = 0.004  # AdamW is Adam with weight decay: Keras requires a number
    amsgrad: bool = False


class Adamax(_AdamLike):
    name: Literal["adamax"]


class Nadam(_AdamLike):
    name: Literal["nadam"]


class SGD(_Optimizer):
    name: Literal["sgd"]
    learning_rate: LearningRate = 0.01
    momentum: Annotated[float, Field(ge=0, le=1)] = 0.0
    nesterov: bool = False
    DEFAULT_LEARNING_RATE = 0.01


class RMSprop(_Optimizer):
    name: Literal["rmsprop"]
    learning_rate: LearningRate = 0.001
    rho: Annotated[float, Field(ge=0, lt=1)] = 0.9
    momentum: Annotated[float, Field(ge=0, le=1)] = 0.0
    epsilon: PositiveFloat = 1e-7
    centered: bool = False


class Adagrad(_Optimizer):
    name: Literal["adagrad"]
    learning_rate: LearningRate = 0.001
    initial_accumulator_value: NonNegativeFloat = 0.1
    epsilon: PositiveFloat = 1e-7


class Adadelta(_Optimizer):
    name: Literal["adadelta"]
    learning_rate: LearningRate = 0.001
    rho: Annotated[float, Field(ge=0, lt=1)] = 0.95
    epsilon: PositiveFloat = 1e-7


class Lion(_Optimizer):
    name: Literal["lion"]
    learning_rate: LearningRate = 0.001
    beta_1: Annotated[float, Field(gt=0, le=1)] = 0.9
    beta_2: Annotated[float, Field(ge=0, le=1)] = 0.99
    DEFAULT_LEARNING_RATE = 0.0001


OPTIMIZERS = (Adam, AdamW, Adamax, Nadam, SGD, RMSprop, Adagrad, Adadelta, Lion)
Optimizer = by_name("Optimizer", *OPTIMIZERS, any_case=True)  # Keras reads optimizer names in any case
