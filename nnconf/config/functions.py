"""Activations, initializers, regularizers and constraints: the functions layers take by name."""

from typing import ClassVar, Literal, Optional

from pydantic import model_validator

from nnconf.config.base import NamedSpec, NonNegativeFloat, PositiveFloat, Seed, by_name, class_spellings, \
    field_order

# --- activations -------------------------------------------------------------------------------

ACTIVATION_NAMES = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish",
    "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "tanh", "softmax",
    "log_softmax", "softplus", "softsign", "exponential",
)
SATURATING = {"sigmoid", "tanh", "hard_sigmoid", "softsign"}
LINEAR = {"linear"}


class Activation(NamedSpec):
    """An activation function by Keras name, with the few arguments some of them take.

    Args:
        name: the Keras activation, e.g. ``relu``.
        negative_slope: ``relu`` and ``leaky_relu``: slope below the threshold.
        max_value: ``relu``: saturation value.
        threshold: ``relu``: the value below which the slope applies.
        alpha: ``elu`` and ``celu``: scale of the negative part.
        approximate: ``gelu``: use the tanh approximation.
        axis: ``softmax`` and ``log_softmax``: the normalised axis.
    """

    NAME_CHOOSES: ClassVar[bool] = True
    name: Literal[ACTIVATION_NAMES]  # type: ignore[valid-type]
    negative_slope: Optional[float] = None
    max_value: Optional[float] = None
    threshold: Optional[float] = None
    alpha: Optional[float] = None
    approximate: Optional[bool] = None
    axis: Optional[int] = None

    ARGUMENTS: ClassVar[dict[str, set[str]]] = {
        "relu": {"negative_slope", "max_value", "threshold"},
        "leaky_relu": {"negative_slope"},
        "elu": {"alpha"},
        "celu": {"alpha"},
        "gelu": {"approximate"},
        "softmax": {"axis"},
        "log_softmax": {"axis"},
    }

    @model_validator(mode="after")
    def _arguments_belong(self) -> "Activation":
        allowed = self.ARGUMENTS.get(self.name, set())
        given = {k for k, v in self.arguments().items() if v is not None}
        wrong = sorted(given - allowed)
        if wrong:
            takes = ", ".join(sorted(allowed)) or "no arguments"
            raise ValueError(f"activation {self.name!r} does not take {', '.join(wrong)} (it takes {takes})")
        return self

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset(
        {"negative_slope", "max_value", "threshold", "alpha", "approximate", "axis"}
    )

    def arguments(self) -> dict:
        return {k: v for k, v in super().arguments().items() if v is not None}

    @property
    def is_linear(self) -> bool:
        return self.name in LINEAR


class KerasFunction(NamedSpec):
    """An initializer, regularizer or constraint: its fields, as declared (a class's own before those it
    inherits), are Keras's arguments in Keras's order, so Python may give any of them by position."""

    @classmethod
    def positional_fields(cls) -> tuple[str, ...]:
        return tuple(name for name in field_order(cls) if name != "name")


# --- initializers ------------------------------------------------------------------------------


class _Seeded(KerasFunction):
    seed: Optional[Seed] = None


class GlorotUniform(_Seeded):
    name: Literal["glorot_uniform"]


class GlorotNormal(_Seeded):
    name: Literal["glorot_normal"]


class HeUniform(_Seeded):
    name: Literal["he_uniform"]


class HeNormal(_Seeded):
    name: Literal["he_normal"]


class LecunUniform(_Seeded):
    name: Literal["lecun_uniform"]


class LecunNormal(_Seeded):
    name: Literal["lecun_normal"]


class Zeros(KerasFunction):
    name: Literal["zeros"]


class Ones(KerasFunction):
    name: Literal["ones"]


class Constant(KerasFunction):
    name: Literal["constant"]
    value: float = 0.0


class RandomNormal(_Seeded):
    name: Literal["random_normal", "normal"]
    mean: float = 0.0
    stddev: PositiveFloat = 0.05


class TruncatedNormal(_Seeded):
    name: Literal["truncated_normal"]
    mean: float = 0.0
    stddev: PositiveFloat = 0.05


class RandomUniform(_Seeded):
    name: Literal["random_uniform", "uniform"]
    minval: float = -0.05
    maxval: float = 0.05


class Orthogonal(_Seeded):
    name: Literal["orthogonal"]
    gain: float = 1.0


class Identity(KerasFunction):
    name: Literal["identity"]
    gain: float = 1.0


class VarianceScaling(_Seeded):
    name: Literal["variance_scaling"]
    scale: PositiveFloat = 1.0
    mode: Literal["fan_in", "fan_out", "fan_avg"] = "fan_in"
    distribution: Literal["truncated_normal", "untruncated_normal", "uniform"] = "truncated_normal"


INITIALIZERS = (
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Zeros, Ones, Constant,
    RandomNormal, TruncatedNormal, RandomUniform, Orthogonal, Identity, VarianceScaling,
)
# Keras's spellings: its class names, and the old names it keeps for compatibility.
INITIALIZER_SPELLINGS = {**class_spellings(*INITIALIZERS), "one": "ones", "zero": "zeros",
                         "IdentityInitializer": "identity", "OrthogonalInitializer": "orthogonal"}
Initializer = by_name("Initializer", *INITIALIZERS, spellings=INITIALIZER_SPELLINGS)
CONSTANT_INITIALIZERS = {"zeros", "ones", "constant"}


# --- regularizers ------------------------------------------------------------------------------


class L1(KerasFunction):
    name: Literal["l1"]
    l1: NonNegativeFloat = 0.01


class L2(KerasFunction):
    name: Literal["l2"]
    l2: NonNegativeFloat = 0.01


class L1L2(KerasFunction):
    name: Literal["l1_l2"]
    l1: NonNegativeFloat = 0.0
    l2: NonNegativeFloat = 0.0


class OrthogonalRegularizer(KerasFunction):
    name: Literal["orthogonal_regularizer"]
    factor: NonNegativeFloat = 0.01
    mode: Literal["rows", "columns"] = "rows"


REGULARIZERS = (L1, L2, L1L2, OrthogonalRegularizer)
Regularizer = by_name("Regularizer", *REGULARIZERS, spellings={**class_spellings(*REGULARIZERS), "l1l2": "l1_l2"})


# --- constraints -------------------------------------------------------------------------------


class MaxNorm(KerasFunction):
    name: Literal["max_norm"]
    max_value: PositiveFloat = 2.0
    axis: int = 0


class MinMaxNorm(KerasFunction):
    name: Literal["min_max_norm"]
    min_value: NonNegativeFloat = 0.0
    max_value: PositiveFloat = 1.0
    rate: float = 1.0
    axis: int = 0


class NonNeg(KerasFunction):
    name: Literal["non_neg"]


class UnitNorm(KerasFunction):
    name: Literal["unit_norm"]
    axis: int = 0


CONSTRAINTS = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
Constraint = by_name("Constraint", *CONSTRAINTS, spellings=class_spellings(*CONSTRAINTS))
