"""The ``training:`` section: how long, on what, and what is kept of the run."""

from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from nnconf.config.base import DEVICE, NonNegativeFloat, PositiveInt, StrictModel, default_section


class EarlyStopping(StrictModel):
    """Stop when the monitored metric stops improving.

    Args:
        monitor: the metric to watch, e.g. ``val_loss`` or ``val_accuracy``.
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as improvement.
        restore_best_weights: end with the best epoch's weights rather than the last.
    """

    monitor: str = "val_loss"
    patience: PositiveInt = 5
    min_delta: NonNegativeFloat = 0.0
    restore_best_weights: bool = True


class Checkpoints(StrictModel):
    """What is saved during training.

    Args:
        best: keep the model of the best epoch (by ``monitor``) as ``checkpoints/best.keras``.
        last: keep the latest epoch (model and optimizer state) as ``checkpoints/last.keras``;
            resuming starts from it.
        monitor: the metric that decides the best epoch.
    """

    best: bool = True
    last: bool = True
    monitor: str = "val_loss"


class Distribution(StrictModel):
    """How training is spread over devices and machines, through ``tf.distribute``.

    Args:
        strategy: ``default`` (one device), ``one_device``, ``mirrored`` (several devices of one
            machine) or ``multi_worker`` (several machines, from ``TF_CONFIG``).
        devices: for ``one_device`` and ``mirrored``: the devices, e.g. ``[/gpu:0, /gpu:1]``;
            by default every visible GPU (or the CPU). Naming more CPUs than the machine has
            (``[/cpu:0, /cpu:1]``) splits its CPU into that many logical devices.
        communication: how replicas exchange gradients: ``auto`` (TensorFlow chooses), ``ring``
            (no NCCL), or ``nccl`` (NVIDIA GPUs only).
        scale_learning_rate: multiply the learning rate by the number of replicas. Off by default:
            ``batch_size`` is the global batch, and the learning rate is never changed silently.
    """

    strategy: Literal["default", "one_device", "mirrored", "multi_worker"] = "default"
    devices: Optional[list[str]] = None
    communication: Literal["auto", "ring", "nccl"] = "auto"
    scale_learning_rate: bool = False


Device = Annotated[str, Field(pattern=DEVICE)]
# The codes of nnconf.analysis.diagnostics (which tests/test_diagnostics.py checks this against).
DiagnosticCode = Literal["NN601", "NN602", "NN603", "NN604", "NN605", "NN606", "NN607", "NN608"]


class Diagnostics(StrictModel):
    """Watching a run for training faults: the NN6xx findings (``nnconf explain NN601``).

    Args:
        every: when to look: ``epoch`` (at the start and at each epoch's end), or a number of
            training steps (checked when a call into TensorFlow ends, so at least every
            ``steps_per_execution`` steps).
        samples: training samples in the fixed monitoring batch the symptoms are measured on.
        stop_on: ``never``; ``error`` stops the run (resumably) at the first fatal symptom;
            ``warning`` at the first symptom of any kind. Resuming goes on past what was reported.
        ignore: diagnostics not to report, e.g. ``[NN607]``.
    """

    every: Union[Literal["epoch"], PositiveInt] = "epoch"
    samples: PositiveInt = 64
    stop_on: Literal["never", "error", "warning"] = "never"
    ignore: list[DiagnosticCode] = Field(default_factory=list)


class Training(StrictModel):
    """How the model is trained.

    Args:
        epochs: passes over the training data.
        batch_size: samples per step; with several replicas, the global batch across all of them.
        early_stopping: stop when ``monitor`` stops improving; null to always run every epoch.
        checkpoints: what is saved as training goes.
        device: ``auto`` (a GPU when TensorFlow sees one), ``cpu``, ``gpu`` or ``gpu:N``.
        mixed_precision: compute in float16 on GPU (``mixed_float16``), keeping outputs in float32.
        jit_compile: compile steps with XLA: ``auto`` (Keras's choice: where every layer supports
            it, and not on a CPU, where XLA measured slower), or true/false. With a ``seed``, nnconf
            turns on TensorFlow's op determinism and Keras then compiles without XLA, even on a GPU.
        steps_per_execution: training steps run per call into TensorFlow; more is faster for
            small models. Any value is sound (an epoch's last call runs the steps it has left),
            and it changes no result. Over several replicas a call runs one step.
        cache: keep the prepared validation and test batches in memory after their first pass
            (training batches are gathered from the samples in memory anyway).
        prefetch: prepare the next batches while the current one trains.
        distribution: devices and machines to train on.
        tensorboard: write TensorBoard logs into the run directory.
        diagnostics: watch the run for vanishing or exploding gradients, dead or saturated units
            and a loss that fails to learn: ``true`` (the defaults), ``false`` (off), or settings.
    """

    epochs: PositiveInt = 10
    batch_size: PositiveInt = 32
    early_stopping: Optional[EarlyStopping] = None
    checkpoints: Checkpoints = default_section(Checkpoints)
    device: Device = "auto"
    mixed_precision: bool = False
    jit_compile: Union[Literal["auto"], bool] = "auto"
    steps_per_execution: PositiveInt = 32
    cache: bool = True
    prefetch: bool = True
    distribution: Distribution = default_section(Distribution)
    tensorboard: bool = True
    diagnostics: Union[bool, Diagnostics] = True

    @property
    def monitoring(self) -> Optional[Diagnostics]:
        """The diagnostics settings, or None when they are off."""
        if self.diagnostics is True:
            return Diagnostics.model_construct()
        return self.diagnostics or None
