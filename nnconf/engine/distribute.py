"""Training on several devices and machines with ``tf.distribute``: TensorFlow's own strategies do
the distributing; this module only picks and configures one from ``training.distribution``.

- ``default``: TensorFlow's default strategy (no distribution; the run is placed on
  ``training.device``), exactly as without a ``distribution`` section.
- ``one_device``: ``tf.distribute.OneDeviceStrategy`` on ``devices[0]`` (or ``training.device``).
- ``mirrored``: ``tf.distribute.MirroredStrategy`` over ``devices``; by default every visible GPU,
  or the CPU where there is none (or where ``training.device`` is ``cpu``). Naming more CPUs than
  the machine has, e.g. ``devices: [/cpu:0, /cpu:1]``, splits its CPU into that many logical
  devices (``tf.config.set_logical_device_configuration``): a way to try mirrored training, or to
  test it, without GPUs. That must happen before TensorFlow starts, so it works in a fresh process
  (``nnconf train`` always is one).
- ``multi_worker``: ``tf.distribute.MultiWorkerMirroredStrategy``; the cluster and this process's
  place in it come from the ``TF_CONFIG`` environment variable (``nnconf train --cluster ...
  --worker-index N`` writes it). Each worker uses all its visible GPUs, or its CPU.

``communication`` is how replicas add up their gradients. For ``multi_worker`` it is
``CommunicationOptions(implementation=AUTO | RING | NCCL)``. For ``mirrored``: ``auto`` keeps
TensorFlow's choice (collective all-reduce: NCCL between physical GPUs, ring otherwise), ``nccl``
is ``tf.distribute.NcclAllReduce`` (GPUs only) and ``ring`` avoids NCCL: TensorFlow's ring
all-reduce on CPUs, ``tf.distribute.HierarchicalCopyAllReduce`` between GPUs.

``training.batch_size`` is the global batch: each step takes ``batch_size`` samples, split evenly
over the replicas. The learning rate is not changed unless ``scale_learning_rate`` asks to
multiply it by the number of replicas. Over several replicas a call into TensorFlow runs one
training step, whatever ``steps_per_execution`` says: Keras 3 cannot run more there.

A multi-worker strategy must exist before TensorFlow runs anything in the process, so a training
session makes its strategy first of all.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from nnconf.config.model import Config
from nnconf.config.training import Distribution

_DEVICE = re.compile(r"^/?(?:device:)?(cpu|gpu):(\d+)$", re.IGNORECASE)


class DistributionError(Exception):
    """The distribution strategy cannot be set up as configured; the message says why and what to do."""


@dataclass
class Distributed:
    """A strategy and what the rest of a run needs to know about it."""

    name: str
    strategy: Any  # tf.distribute.Strategy
    replicas: int
    workers: int = 1
    worker_index: int = 0
    chief: bool = True
    description: str = ""

    @property
    def multi_worker(self) -> bool:
        return self.name == "multi_worker"

    @property
    def distributing(self) -> bool:
        """Whether the model and its training go inside the strategy's scope (every strategy but the default)."""
        return self.name != "default"

    def per_replica(self, batch_size: int) -> int:
        if batch_size % self.replicas:
            raise DistributionError(
                f"training.batch_size is {batch_size}, which cannot be split evenly over {self.replicas} replicas: "
                f"batch_size is the global batch, so use a multiple of {self.replicas} "
                f"(e.g. {batch_size + self.replicas - batch_size % self.replicas})")
        return batch_size // self.replicas

    def summary(self, batch_size: int) -> str:
        """``strategy: mirrored, 2 replicas, 16 samples per replica``, and for several workers, which one this is."""
        replicas = f"{self.replicas} replica{'s' * (self.replicas != 1)}"
        line = f"strategy: {self.name}, {replicas}, {self.per_replica(batch_size)} samples per replica"
        if self.description:
            line += f" ({self.description})"
        if self.multi_worker:
            role = "the chief: it writes the run directory" if self.chief else "its files go to a temporary folder"
            line += f"; worker {self.worker_index} of {self.workers}, {role}"
        return line


def make_strategy(distribution: Distribution, device: str) -> Distributed:
    """The strategy ``training.distribution`` names; ``device`` is the resolved ``training.device``."""
    import tensorflow as tf

    name = distribution.strategy
    if distribution.devices and name in ("default", "multi_worker"):
        where = ("each worker uses all its visible GPUs (or its CPU): limit them per process with "
                 "CUDA_VISIBLE_DEVICES" if name == "multi_worker" else "use training.device for one device")
        raise DistributionError(f"training.distribution.devices applies to one_device and mirrored, not {name}; {where}")
    if name == "default":
        return Distributed(name, tf.distribute.get_strategy(), 1)
    if name == "one_device":
        devices = _devices(distribution.devices) if distribution.devices else [device]
        if len(devices) != 1:
            raise DistributionError(f"one_device takes one device, but training.distribution.devices names "
                                    f"{len(devices)}; use strategy: mirrored for several")
        return Distributed(name, tf.distribute.OneDeviceStrategy(devices[0]), 1, description=devices[0])
    if name == "mirrored":
        return _mirrored(distribution, device)
    return _multi_worker(distribution)


def _devices(names: list[str]) -> list[str]:
    """Canonical device names (``/CPU:1``, ``/GPU:0``), checked against what this machine has;
    more CPUs than there are split the CPU into logical devices."""
    import tensorflow as tf

    devices = []
    for name in names:
        match = _DEVICE.match(name.strip())
        if not match:
            raise DistributionError(f"training.distribution.devices: {name!r} is not a device name; "
                                    "write e.g. /gpu:0 or /cpu:0")
        devices.append(f"/{match.group(1).upper()}:{int(match.group(2))}")
    if len(set(devices)) != len(devices):
        raise DistributionError(f"training.distribution.devices names a device twice: {', '.join(names)}")
    gpus = [int(d.split(":")[1]) for d in devices if d.startswith("/GPU")]
    visible = len(tf.config.list_physical_devices("GPU"))
    if gpus and max(gpus) >= visible:
        seen = f"sees only {visible} GPU{'s' * (visible != 1)}" if visible else "sees no GPU"
        raise DistributionError(f"training.distribution.devices names /GPU:{max(gpus)}, but TensorFlow {seen} "
                                "on this machine")
    cpus = [int(d.split(":")[1]) for d in devices if d.startswith("/CPU")]
    if cpus:
        _split_cpu(max(cpus) + 1)
    return devices


def _split_cpu(count: int) -> None:
    """At least ``count`` CPU devices: the physical CPU split into logical ones where needed."""
    import tensorflow as tf

    physical = tf.config.list_physical_devices("CPU")
    if count <= len(physical):
        return
    if len(physical) != 1:
        raise DistributionError(f"training.distribution.devices names /CPU:{count - 1}, but TensorFlow sees "
                                f"{len(physical)} CPUs")
    configured = tf.config.get_logical_device_configuration(physical[0]) or []
    if len(configured) >= count:
        return
    try:
        tf.config.set_logical_device_configuration(physical[0], [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        raise DistributionError(
            f"cannot split the CPU into {count} logical devices: TensorFlow has already started in this process "
            f"(with {max(len(configured), 1)} CPU device{'s' * (len(configured) > 1)}); train in a new process, "
            "e.g. with nnconf train") from None


def _mirrored(distribution: Distribution, device: str) -> Distributed:
    import tensorflow as tf

    if distribution.devices:
        devices = _devices(distribution.devices)
    elif device.startswith("/CPU") or not tf.config.list_physical_devices("GPU"):
        devices = ["/CPU:0"]
    else:
        devices = [f"/GPU:{i}" for i in range(len(tf.config.list_physical_devices("GPU")))]
    on_gpus = all(d.startswith("/GPU") for d in devices)
    if distribution.communication == "nccl":
        if not on_gpus:
            raise DistributionError("communication: nccl needs GPUs, but the mirrored devices are "
                                    f"{', '.join(devices)}; use communication: auto")
        cross_device_ops = tf.distribute.NcclAllReduce()
    elif distribution.communication == "ring" and on_gpus:
        cross_device_ops = tf.distribute.HierarchicalCopyAllReduce()
    else:
        cross_device_ops = None  # TensorFlow's choice: collective all-reduce (NCCL on GPUs, ring otherwise)
    strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=cross_device_ops)
    return Distributed("mirrored", strategy, strategy.num_replicas_in_sync, description=", ".join(devices))


def _multi_worker(distribution: Distribution) -> Distributed:
    import tensorflow as tf

    check_tf_config(os.environ.get("TF_CONFIG"))  # TensorFlow would fail on a malformed one with a TypeError
    implementation = tf.distribute.experimental.CommunicationImplementation
    options = tf.distribute.experimental.CommunicationOptions(
        implementation={"auto": implementation.AUTO, "ring": implementation.RING,
                        "nccl": implementation.NCCL}[distribution.communication])
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except (RuntimeError, ValueError) as error:
        raise DistributionError(f"cannot start multi-worker training ({error}); the strategy must be made before "
                                "TensorFlow runs anything else in the process: train in a new process, e.g. with "
                                "nnconf train") from None
    _fix_keras_multi_worker_reduce()
    resolver = strategy.cluster_resolver
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    jobs = {job: len(tasks) if isinstance(tasks, (list, dict)) else 1 for job, tasks in spec.items()}
    workers = max(jobs.get("chief", 0) + jobs.get("worker", 0), 1)
    task_type = resolver.task_type if resolver is not None else None
    task_id = resolver.task_id if resolver is not None and resolver.task_id is not None else 0
    chief = is_chief(task_type, task_id, has_chief_job="chief" in jobs)
    index = task_id + (jobs.get("chief", 0) if task_type == "worker" else 0)
    return Distributed("multi_worker", strategy, strategy.num_replicas_in_sync, workers=workers,
                       worker_index=index, chief=chief)


def is_chief(task_type: str | None, task_id: int, *, has_chief_job: bool) -> bool:
    """The one process that writes: the ``chief`` task, or worker 0 in a cluster without one."""
    if task_type is None or task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and not has_chief_job


def _is_address(address: Any) -> bool:
    """Whether ``address`` is a ``HOST:PORT`` string with a port from 1 to 65535."""
    if not isinstance(address, str):
        return False
    host, _, port = address.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def cluster_config(addresses: str, index: int) -> str:
    """The ``TF_CONFIG`` value for ``--cluster HOST:PORT,HOST:PORT --worker-index N``."""
    workers = [address.strip() for address in addresses.split(",") if address.strip()]
    if not workers:
        raise ValueError("--cluster names no worker; write HOST:PORT,HOST:PORT")
    for address in workers:
        if not _is_address(address):
            raise ValueError(f"--cluster: {address!r} is not HOST:PORT")
    if not 0 <= index < len(workers):
        raise ValueError(f"--worker-index {index} is not one of the {len(workers)} workers of --cluster "
                         f"(0 to {len(workers) - 1})")
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


_TF_CONFIG_EXAMPLE = ('e.g. {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, '
                      '"task": {"type": "worker", "index": 0}}')


def check_tf_config(value: str | None) -> None:
    """Refuses a ``TF_CONFIG`` whose structure TensorFlow cannot read: ``cluster`` maps each job to a
    list of ``HOST:PORT`` addresses, and ``task`` names one of its jobs (``type``) and one of that
    job's addresses (``index``). Unset or empty, there is no cluster: one worker alone.

    Raises:
        DistributionError: saying what is wrong, with an example.
    """
    if not value or not value.strip():
        return
    try:
        config = json.loads(value)
    except ValueError:
        raise DistributionError(f"TF_CONFIG is not JSON; {_TF_CONFIG_EXAMPLE}") from None
    if not isinstance(config, dict):
        raise DistributionError(f"TF_CONFIG must be a JSON object; {_TF_CONFIG_EXAMPLE}")
    cluster, task = config.get("cluster", {}), config.get("task")
    if not isinstance(cluster, dict) or not all(
            isinstance(job, str) and isinstance(addresses, list) and addresses and all(map(_is_address, addresses))
            for job, addresses in cluster.items()):
        raise DistributionError(f"TF_CONFIG: cluster must map each job to a list of HOST:PORT addresses, "
                                f"not {_shown(cluster)}; {_TF_CONFIG_EXAMPLE}")
    if not cluster and task is None:
        return
    if not isinstance(task, dict) or task.get("type") not in cluster:
        jobs = ", ".join(map(repr, cluster)) or "none"
        raise DistributionError(f"TF_CONFIG: task must be a mapping whose type is a job of the cluster ({jobs}), "
                                f"not {_shown(task)}; {_TF_CONFIG_EXAMPLE}")
    index, count = task.get("index", 0), len(cluster[task["type"]])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise DistributionError(f"TF_CONFIG: task index {_shown(index)} is not one of the {count} "
                                f"{task['type']!r} addresses (0 to {count - 1})")


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- the learning rate -------------------------------------------------------------------------

_RATE_FIELDS = ("initial_learning_rate", "end_learning_rate", "warmup_target")


def scaled_learning_rate(config: Config, replicas: int) -> tuple[Config, str | None]:
    """The config with its learning rate (or every value of its schedule) multiplied by ``replicas``
    where ``scale_learning_rate`` asks for it, and a line saying so (None where nothing changed)."""
    if not config.training.distribution.scale_learning_rate or replicas == 1:
        return config, None
    rate = config.optimizer.learning_rate
    if isinstance(rate, (int, float)):
        scaled, said = rate * replicas, f"{rate:g} -> {rate * replicas:g}"
    else:
        update = {field: getattr(rate, field) * replicas for field in _RATE_FIELDS
                  if getattr(rate, field, None) is not None}
        if getattr(rate, "values", None) is not None:
            update["values"] = [value * replicas for value in rate.values]
        scaled, said = rate.model_copy(update=update), f"every value of its {rate.name} schedule"
    optimizer = config.optimizer.model_copy(update={"learning_rate": scaled})
    return config.model_copy(update={"optimizer": optimizer}), \
        f"learning rate scaled by {replicas} replicas (scale_learning_rate): {said}"


# --- where Keras 3 and tf.distribute do not meet -----------------------------------------------


def one_step_per_execution(config: Config, replicas: int) -> tuple[Config, str | None]:
    """The config with ``steps_per_execution`` 1 where there are several replicas, and a line saying
    so (None where nothing changed).

    Keras 3 runs several steps per call as a ``tf.while_loop`` with each step inside a ``tf.cond``;
    over several replicas the optimizer's cross-replica update inside that ``tf.cond`` fails with
    "You must feed a value for placeholder tensor" (keras-team/keras#19246).
    """
    steps = config.training.steps_per_execution
    if replicas == 1 or steps == 1:
        return config, None
    training = config.training.model_copy(update={"steps_per_execution": 1})
    return config.model_copy(update={"training": training}), \
        f"steps_per_execution {steps} -> 1: over several replicas Keras runs one training step per call"


def build_before_fit(model: Any, element_spec: Any) -> None:
    """For MultiWorkerMirroredStrategy: builds what a model compiled under the strategy still lacks
    (metric, loss and optimizer state) from the training data's shapes alone, inside
    ``strategy.scope()`` (where fit and evaluate then run), and has Keras leave it at that.

    Keras 3's TensorFlow trainer otherwise builds such a model from a first batch of the training
    data, averaged over the replicas with ``strategy.reduce`` (``_maybe_symbolic_build``); under
    MultiWorkerMirroredStrategy that reduce fails on the batch's (x, y) structure
    (keras-team/keras#20585). Building lazily, while the first step is traced, does not work either:
    variables cannot be created inside a replica's step. So the same build is done here from
    ``element_spec`` (TensorSpecs have the shape and dtype Keras reads), and the model is told no
    strategy: Keras then finds it through ``tf.distribute.get_strategy()``, that is, the scope fit
    runs in.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is None or not hasattr(model, "_distribute_strategy"):  # a Keras that changed: leave it to Keras
        return
    build(data_batch=element_spec)
    model._distribute_strategy = None


def _fix_keras_multi_worker_reduce() -> None:
    """Keras 3 averages each step's metric values across workers with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails for scalars ("Invalid reduction
    dimension 0 for input with 0 dimensions", tensorflow/tensorflow#72388); ``axis=None`` is the
    all-reduce across workers that was meant. Only the multi-worker case changes."""
    try:
        from keras.src import tree
        from keras.src.backend.tensorflow import trainer
    except ImportError:  # a Keras whose internals moved: nothing to fix here
        return
    original = getattr(trainer, "reduce_per_replica", None)
    in_multi_worker_mode = getattr(trainer, "_collective_all_reduce_multi_worker", None)
    if original is None or in_multi_worker_mode is None or getattr(original, "nnconf_fixed", False):
        return

    def reduce_per_replica(values, strategy, reduction="auto"):
        if reduction in ("auto", "mean") and in_multi_worker_mode(strategy):
            return tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica.nnconf_fixed = True
    trainer.reduce_per_replica = reduce_per_replica


def shard_by_data(dataset: Any) -> Any:
    """Each worker takes its own part of every batch: the data are in memory, so there are no files
    to shard by (TensorFlow's AUTO policy would warn, then do the same)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
