"""Preprocessing layers."""

from __future__ import annotations

LAYERS = ()
