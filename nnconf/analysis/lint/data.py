"""NN5xx: rules that judge the model against its training data (and the training settings)."""

from __future__ import annotations
