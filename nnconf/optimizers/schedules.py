"""Learning-rate schedules, named as Keras's: ``CosineDecay(0.01, decay_steps=1000)``."""

from nnconf.config.optimizers import (
    CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay,
)

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
           "PolynomialDecay"]
