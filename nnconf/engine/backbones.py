"""Backbone layers on the Keras side: their pretrained weights found (or downloaded) before anything is
built, the ``keras.applications`` model made as a layer, and fine-tuning started part-way through training."""

from __future__ import annotations

import math
import os
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras

from nnconf import codes
from nnconf.config.layers.applications import Backbone
from nnconf.config.model import Config
from nnconf.config.source import SourceMap, format_path
from nnconf.findings import ConfigError, Finding, Severity

if TYPE_CHECKING:
    from nnconf.analysis.shapes import Inference, LayerShape

# Seconds a weights download may stall before it counts as failed (no network fails fast).
DOWNLOAD_TIMEOUT = 20.0


def keras_models_folder() -> str:
    """The folder keras.utils.get_file keeps downloaded weights in, decided as Keras decides it:
    ``$KERAS_HOME/models`` (``~/.keras/models`` without it), but ``/tmp/.keras/models`` where that
    home cannot be written to (or does not exist yet)."""
    home = os.environ.get("KERAS_HOME")
    if home is None:
        user = os.path.expanduser("~")
        home = os.path.join(user if os.access(user, os.W_OK) else "/tmp", ".keras")
    home = os.path.expanduser(home)
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return os.path.join(home, "models")


def with_absolute_weights(config: Config, base_dir: Path) -> Config:
    """The config with each backbone's weights file as an absolute path: a run keeps its config, and a
    path relative to the config's folder must still work from the run directory."""
    changes = {}
    for index, spec in enumerate(config.model.layers):
        if isinstance(spec, Backbone) and spec.weights not in (None, "imagenet") and not Path(spec.weights).is_absolute():
            changes[f"model.layers[{index}].weights"] = str((base_dir / spec.weights).resolve())
    return config.replace(changes) if changes else config


def pretrained_weights(config: Config, inference: Inference, source: SourceMap | None = None) -> dict[int, str | None]:
    """The local weights file of each backbone, by layer index (None: random initialization). ImageNet
    weights missing from Keras's folder are downloaded as Keras would; where that fails (no network),
    a ConfigError says which file Keras looks for, where, and how to provide it."""
    source = source or SourceMap()
    base_dir = Path(source.file).parent if source.file else Path.cwd()
    findings, files = [], {}
    for layer in inference.layers:
        spec = layer.spec
        if not isinstance(spec, Backbone):
            continue
        try:
            files[layer.index] = _weights_of(spec, layer, base_dir)
        except _Missing as missing:
            path = ("model", "layers", layer.index, "weights")
            file, line, column = source.locate(path)
            findings.append(Finding(codes.WEIGHTS, str(missing), path=format_path(path), severity=Severity.ERROR,
                                    hint=missing.hint, file=file, line=line, column=column))
    if findings:
        raise ConfigError(findings)
    return files


class _Missing(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def _weights_of(spec: Backbone, layer: LayerShape, base_dir: Path) -> str | None:
    if spec.weights is None:
        return None
    if spec.weights != "imagenet":
        path = Path(spec.weights) if Path(spec.weights).is_absolute() else base_dir / spec.weights
        if not path.is_file():
            raise _Missing(f"the weights file {str(path)!r} of layer {layer.name!r} ({spec.model}) does not exist",
                           hint="give the path of a weights file saved from the same application, "
                                "or weights: imagenet")
        return str(path)
    height, width = layer.input_shape[:2]
    wanted = spec.weights_file(height, width)
    return _imagenet_file(spec, wanted)


def _imagenet_file(spec: Backbone, wanted: dict[str, str]) -> str:
    """Keras's own copy of the file (checked against its hash), downloaded first if it is not there yet."""
    local = os.path.join(keras_models_folder(), wanted["file"])
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        return keras.utils.get_file(wanted["file"], wanted["origin"], cache_subdir="models",
                                    file_hash=wanted["hash"])
    except Exception as error:  # no network, a proxy, a broken file: all say the same thing
        reason = " ".join(str(error).split()) or type(error).__name__
        raise _Missing(
            f"the ImageNet weights of {spec.model} are not in {local}, and downloading them failed ({reason[:300]})",
            hint=f"without a network, download {wanted['origin']} elsewhere and put it at {local}, "
                 f"or give its path: weights: /path/to/{wanted['file']}",
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


def make_backbone(spec: Backbone, input_shape: tuple, weights: str | None, name: str) -> keras.Model:
    """The ``keras.applications`` model of a Backbone layer, with its weights loaded, frozen or not.
    ``weights`` is the local file pretrained_weights found; ImageNet weights are still asked for as
    ``imagenet`` (Keras finds its file where pretrained_weights put it): some applications differ with
    them (EfficientNet adds a rescaling)."""
    from nnconf.engine.layers import keras_activation

    arguments: dict[str, Any] = dict(spec.keras_arguments())
    if "classifier_activation" in arguments and arguments["classifier_activation"] is not None:
        arguments["classifier_activation"] = keras_activation(arguments["classifier_activation"])
    application = getattr(keras.applications, spec.model)
    weights = "imagenet" if spec.weights == "imagenet" else weights
    model = application(weights=weights, input_shape=tuple(input_shape), name=name, **arguments)
    model.trainable = spec.trainable
    return model


# --- fine-tuning --------------------------------------------------------------------------------


def fine_tuned(inference: Inference) -> LayerShape | None:
    """The backbone that fine-tunes part-way through training (lint allows one), or None."""
    return next((layer for layer in inference.layers
                 if isinstance(layer.spec, Backbone) and layer.spec.fine_tune is not None), None)


def fine_tune_epoch(inference: Inference) -> int | None:
    """The number of epochs trained before fine-tuning starts, or None for a run that never fine-tunes."""
    layer = fine_tuned(inference)
    return None if layer is None else layer.spec.fine_tune.after_epoch


def fine_tuning_config(config: Config, inference: Inference) -> Config:
    """The config the model is compiled with once fine-tuning starts: its optimizer at fine_tune's learning rate."""
    rate = fine_tuned(inference).spec.fine_tune.learning_rate
    return config if rate is None else config.replace("optimizer.learning_rate", rate)


def unfreeze(model: keras.Model, inference: Inference) -> str:
    """Makes the fine-tuned backbone's last layers trainable, but its BatchNormalization layers (which
    stay in inference mode); says what it did. The model must be compiled again for it to count."""
    layer = fine_tuned(inference)
    settings = layer.spec.fine_tune
    backbone = model.get_layer(layer.name)
    backbone.trainable = True
    inner = backbone.layers
    first = 0 if settings.unfreeze == "all" else max(len(inner) - settings.unfreeze, 0)
    for index, sublayer in enumerate(inner):
        sublayer.trainable = index >= first and not isinstance(sublayer, keras.layers.BatchNormalization)
    trainable = sum(int(math.prod(variable.shape)) for variable in backbone.trainable_weights)
    return (f"fine-tuning from epoch {settings.after_epoch + 1}: the last {len(inner) - first} layers of "
            f"{layer.name!r} ({layer.spec.model}) train too, {trainable:,} of its parameters")
