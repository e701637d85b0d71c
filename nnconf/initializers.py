"""Initializers, named as Keras's: ``HeNormal(seed=1)``, ``Constant(0.1)``.

Each is nnconf's spec of the Keras class of the same name, checked when made. Anywhere one goes, its
name (``"he_normal"``, or Keras's ``"HeNormal"``) or a mapping (``{"name": ..., ...}``) does too.
"""

from nnconf.config.functions import Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Zeros

__all__ = ['Constant', 'GlorotNormal', 'GlorotUniform', 'HeNormal', 'HeUniform', 'Identity', 'LecunNormal', 'LecunUniform', 'Ones', 'Orthogonal', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'VarianceScaling', 'Zeros']
