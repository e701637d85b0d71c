"""Shipped configs whose backbones use ImageNet weights need the files Keras downloads into its models
folder. Without a network (as here) they cannot be built, so the tests that build every shipped config
skip those, each saying which file it lacks."""

import os
from pathlib import Path

import pytest

import nnconf
from nnconf.config.layers.applications import Backbone
from nnconf.engine.backbones import keras_models_folder


def missing_weights(path: Path) -> str | None:
    """Why the config at ``path`` cannot be built here (its ImageNet weights are not downloaded), or None."""
    report = nnconf.check(path)
    for layer in report.inference.layers if report.inference else []:
        if isinstance(layer.spec, Backbone) and layer.spec.weights == "imagenet":
            wanted = layer.spec.weights_file(*layer.input_shape[:2])["file"]
            local = os.path.join(keras_models_folder(), wanted)
            if not os.path.exists(local):
                return f"{path.name} needs the ImageNet weights {local}, which Keras downloads (no network here)"
    return None


def buildable(paths: list[Path]) -> list:
    """``paths`` as pytest parameters, those whose weights are missing marked to skip with the reason."""
    return [pytest.param(path, marks=pytest.mark.skip(reason=missing_weights(path))) if missing_weights(path)
            else path for path in paths]
