"""Weight constraints, named as Keras's: ``MaxNorm(3.0)``, ``NonNeg()``.

Each is nnconf's spec of the Keras class of the same name, checked when made. Anywhere one goes, its
name (``"max_norm"``, or Keras's ``"MaxNorm"``) or a mapping (``{"name": ..., ...}``) does too.
"""

from nnconf.config.functions import MaxNorm, MinMaxNorm, NonNeg, UnitNorm

__all__ = ['MaxNorm', 'MinMaxNorm', 'NonNeg', 'UnitNorm']
