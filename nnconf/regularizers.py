"""Regularizers, named as Keras's: ``L2(1e-4)``, ``L1L2(l1=1e-5, l2=1e-4)``.

Each is nnconf's spec of the Keras class of the same name, checked when made. Anywhere one goes, its
name (``"l2"``, or Keras's ``"L2"``) or a mapping (``{"name": ..., ...}``) does too.
"""

from nnconf.config.functions import L1, L1L2, L2, OrthogonalRegularizer

__all__ = ['L1', 'L1L2', 'L2', 'OrthogonalRegularizer']
