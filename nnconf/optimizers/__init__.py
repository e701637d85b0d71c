"""Optimizer classes, named as Keras's: ``Adam(learning_rate=1e-3)``, ``SGD(momentum=0.9)``.

Each is nnconf's spec of the Keras optimizer of the same name, with its arguments and defaults;
made in Python it is checked at once. A learning rate may be a schedule from
``nnconf.optimizers.schedules``. Anywhere an optimizer goes, its name (``"adam"``, or ``"Adam"`` as
Keras reads it, in any case) or a mapping (``{"name": "adam", "learning_rate": 1e-3}``) does too.
"""

from nnconf.config.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, RMSprop
from nnconf.optimizers import schedules

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Lion", "Nadam", "RMSprop", "schedules"]
