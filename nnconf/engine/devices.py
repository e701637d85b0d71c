"""Choosing the device through TensorFlow's own placement: ``auto``, ``cpu``, ``gpu`` or ``gpu:N``."""

from __future__ import annotations

from nnconf.config.model import Config
from nnconf.engine.startup import nvidia_driver_present


class DeviceError(Exception):
    """The requested device is not there; the message says what is."""


def visible_gpus() -> list:
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def resolve_device(requested: str) -> str:
    """The TensorFlow device name to place the run on, e.g. ``/CPU:0`` or ``/GPU:1``."""
    gpus = visible_gpus()
    if requested == "cpu":
        return "/CPU:0"
    if requested == "auto":
        return "/GPU:0" if gpus else "/CPU:0"
    index = int(requested.split(":")[1]) if ":" in requested else 0
    if not gpus:
        driver = "" if nvidia_driver_present() else " (it has no NVIDIA driver)"
        raise DeviceError(f"training.device is {requested}, but TensorFlow sees no GPU on this machine{driver}; "
                          "use device: auto or cpu, or install a GPU build: see the README")
    if index >= len(gpus):
        raise DeviceError(f"training.device is {requested}, but TensorFlow sees only {len(gpus)} GPU"
                          f"{'s' * (len(gpus) != 1)} (gpu:0 to gpu:{len(gpus) - 1})")
    return f"/GPU:{index}"


def xla_for_device(config: Config, device: str) -> Config:
    """The config with ``jit_compile: auto`` turned off where the run is placed on a CPU.

    Keras's ``auto`` leaves XLA off only on machines without a GPU, so ``device: cpu`` on a GPU
    machine would compile for the CPU with XLA, which measured slower there (half the samples/s of
    the benchmark's MLP, a quarter of its CNN's).
    """
    if config.training.jit_compile != "auto" or not device.startswith("/CPU"):
        return config
    return config.model_copy(update={"training": config.training.model_copy(update={"jit_compile": False})})


def use_mixed_precision(requested: bool, device: str) -> bool:
    """``mixed_float16`` pays off on GPUs only; on a CPU it is slower, so it stays off there."""
    import keras

    enabled = requested and device.startswith("/GPU")
    keras.mixed_precision.set_global_policy("mixed_float16" if enabled else "float32")
    return enabled
