"""Training runs: from a linted config and its data to a run directory that can be trusted,
reproduced and resumed."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nnconf.analysis.shapes import Inference
from nnconf.analysis.pipeline import Report, check, lint_report, linted
from nnconf.config.model import Config
from nnconf.engine import data as datasets
from nnconf.engine.build import build_model
from nnconf.engine.checkpoints import CheckpointStore, NoCheckpoint
from nnconf.engine.devices import resolve_device, use_mixed_precision, xla_for_device
from nnconf.engine.distribute import Distributed, DistributionError, build_before_fit, make_strategy, \
    one_step_per_execution, scaled_learning_rate, shard_by_data
from nnconf.engine.files import save_model, write_atomically
from nnconf.engine.runs import RUNS_ROOT, create_run_dir, description, read_json, write_json
from nnconf.findings import ConfigError, Finding, has_errors

Say = Callable[[str], None]
_MAXIMISED = ("acc", "auc", "precision", "recall", "f1", "r2")


class TrainingError(Exception):
    """Training cannot start or go on; the message says why and what to do."""


@dataclass
class Run:
    """A training run: where it is, what it trained, and how it went."""

    directory: Path
    config: Config
    model: keras.Model
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    status: str = "finished"
    findings: list[Finding] = field(default_factory=list)  # the config's, the data's and training's own


def _quiet(_: str) -> None:
    return None


# --- starting and resuming ---------------------------------------------------------------------


def train(config: Config | str | Path, overrides: tuple[str, ...] | list[str] = (), *, run_dir: str | Path | None = None,
          runs_root: Path = RUNS_ROOT, say: Say = _quiet, progress: int = 0, argv: list[str] | None = None) -> Run:
    """Trains a config (a Config, or a YAML file) into a new run directory.

    Under ``training.distribution.strategy: multi_worker`` every worker runs this with the same
    ``run_dir``: the chief creates and writes it, the other workers keep their (identical) files
    in a temporary folder that is removed when they end.
    """
    report = linted(config, overrides)
    for warning in report.findings:
        say(warning.format())
    base_dir = Path(report.file).parent if report.file else Path.cwd()
    config = _with_absolute_data_path(report.config, base_dir)
    name = config.name or (Path(report.file).stem if report.file else "model")
    if config.training.distribution.strategy == "multi_worker" and run_dir is None:
        raise TrainingError("multi_worker training needs --run-dir (run_dir), the same on every worker, so that all "
                            "of them agree on the run directory the chief writes and resumes from")
    session = _Session(config, report, base_dir, say)
    session.load_data()
    directory = Path(run_dir) if session.distributed.multi_worker else None
    if session.distributed.chief:
        directory = create_run_dir(name, run_dir, runs_root)
    say(f"run directory: {directory}")
    with session.lost_workers(directory), session.output(directory) as out:
        write_atomically(out / "config.yaml", config.to_yaml())
        write_json(out / "description.json", {
            **description(seed=config.seed, device=session.device, argv=argv),
            "distribution": session.describe_distribution()})
        write_json(out / "preprocessing.json", session.prepared.preprocessing)
        model = session.new_model()
        return session.fit(directory, out, model, first_epoch=0, history={}, progress=progress)


def _with_absolute_data_path(config: Config, base_dir: Path) -> Config:
    """The run keeps its config; a data path relative to the config's folder must still work from there."""
    path = getattr(config.data, "path", None)
    if path is None or Path(path).is_absolute():
        return config
    data = config.data.model_copy(update={"path": str((base_dir / path).resolve())})
    return config.model_copy(update={"data": data})


def resume(directory: str | Path, *, say: Say = _quiet, progress: int = 0) -> Run:
    """Continues a stopped run in its own directory, from its last intact checkpoint."""
    directory = Path(directory)
    state = _read_state(directory)
    if state["status"] == "finished":
        raise TrainingError(f"{directory} finished already; start a new run to train again")
    report = lint_report(check(directory / "config.yaml"))
    if report.config is None or has_errors(report.findings):
        raise ConfigError(report.findings)
    session = _Session(report.config, report, directory, say)
    session.load_data()
    with session.lost_workers(directory), session.output(directory, resuming=True) as out:
        try:
            with session.loading():  # every worker of a multi-worker run loads the chief's checkpoint
                model, checkpoint = CheckpointStore(directory / "checkpoints").latest(_load_checkpoint, say)
        except NoCheckpoint as problem:
            raise TrainingError(f"{problem}, so the run cannot be resumed; start a new run") from None
        say(f"resuming {directory} after epoch {checkpoint['epoch']} of {report.config.training.epochs}")
        return session.fit(directory, out, model, first_epoch=checkpoint["epoch"], history=checkpoint["history"],
                           best=checkpoint["best"], stopper=checkpoint["early_stopping"], progress=progress)


def _read_state(directory: Path) -> dict:
    if not (directory / "config.yaml").is_file():
        raise TrainingError(f"{directory} is not a run directory (it has no config.yaml)")
    try:
        state = read_json(directory / "state.json")
        _ = state["status"]
    except (OSError, ValueError, KeyError, TypeError):
        # The checkpoints carry what resuming needs; state.json only says how the run ended.
        return {"status": "interrupted"}
    return state


def _load_checkpoint(path: Path) -> keras.Model:
    import nnconf.engine.layers  # noqa: F401 - registers nnconf's activations for loading
    from nnconf.engine.archives import KerasFileError, check_run_model

    try:
        check_run_model(path)  # its sizes, depth and contents, before Keras reads it
        return keras.saving.load_model(path, safe_mode=True)
    except KerasFileError as problem:
        raise TrainingError(f"{path} cannot be loaded: {problem}") from None
    except Exception as error:  # a file cut short by a crash, or none at all
        raise TrainingError(f"{path} cannot be loaded ({type(error).__name__})") from None


# --- one training session ----------------------------------------------------------------------


class _Session:
    def __init__(self, config: Config, report: Report, base_dir: Path, say: Say, *, distribute: bool = True):
        if config.data is None:
            raise TrainingError("the config has no data: section, so there is nothing to train on "
                                "(see configs/digits.yaml)")
        self.config, self.report, self.base_dir, self.say = config, report, base_dir, say
        self.findings: list[Finding] = list(report.findings)  # every finding of the run, for Run.findings
        self.inference: Inference = report.inference
        self.device = resolve_device(config.training.device)
        # The strategy comes before anything TensorFlow runs: a multi-worker one must.
        distribution = config.training.distribution if distribute else config.training.distribution.model_copy(
            update={"strategy": "default", "devices": None})
        try:
            self.distributed: Distributed = make_strategy(distribution, self.device)
            strategy_line = self.distributed.summary(config.training.batch_size)
        except DistributionError as problem:
            raise TrainingError(str(problem)) from None
        self.say(f"device: {self.device}")
        if distribute:
            self.say(strategy_line)
        if config.seed is not None:
            keras.utils.set_random_seed(config.seed)
            tf.config.experimental.enable_op_determinism()

    def load_data(self, preprocessing: dict | None = None) -> None:
        prepared = datasets.load_data(self.config, self.inference, base_dir=self.base_dir, source=self.report.source,
                                      preprocessing=preprocessing)
        with_data = lint_report(self.report, data=prepared.facts)
        fresh = [f for f in with_data.findings if f not in self.report.findings]
        if has_errors(fresh):
            raise ConfigError(fresh)
        self.findings += fresh
        for finding in fresh:
            self.say(finding.format())
        self.prepared = datasets.encode_labels(self.config, prepared)
        self.say(f"data: {self.prepared.facts.samples} training samples, "
                 f"{_count(self.prepared.x_val)} validation, {_count(self.prepared.x_test)} test")

    def scope(self):
        """Where models are built, loaded, trained and evaluated: the strategy's scope, or (with the
        default strategy) the resolved device."""
        if self.distributed.distributing:
            return self.distributed.strategy.scope()
        return tf.device(self.device)

    def loading(self):
        """Where a checkpoint is loaded to resume: a strategy's scope (so its variables are distributed)."""
        return self.distributed.strategy.scope() if self.distributed.distributing else contextlib.nullcontext()

    def describe_distribution(self) -> dict:
        distributed, batch_size = self.distributed, self.config.training.batch_size
        return {"strategy": distributed.name, "replicas": distributed.replicas, "workers": distributed.workers,
                "global_batch_size": batch_size, "per_replica_batch_size": distributed.per_replica(batch_size)}

    @contextlib.contextmanager
    def lost_workers(self, directory: Path) -> Iterator[None]:
        """A multi-worker run whose peer stopped (killed, crashed, refused its run directory) ends with
        a TensorFlow error in whatever collective operation came next; say what to do instead."""
        try:
            yield
        except tf.errors.OpError as error:
            if not self.distributed.multi_worker:
                raise
            raise TrainingError(f"training stopped: {type(error).__name__} from TensorFlow, most likely because "
                                "another worker stopped (see its output); to continue from the last checkpoint, "
                                f"restart every worker with: nnconf train --resume {directory} (with the same "
                                "--cluster or TF_CONFIG)") from None

    @contextlib.contextmanager
    def output(self, directory: Path, *, resuming: bool = False) -> Iterator[Path]:
        """Where this process writes the run's files: the run directory itself, or for a multi-worker
        worker that is not the chief, a temporary folder removed at the end. Such a worker must still
        save whenever the chief does: under MultiWorkerMirroredStrategy saving a model is collective."""
        if self.distributed.chief:
            yield directory
            return
        out = Path(tempfile.mkdtemp(prefix=f"nnconf-worker{self.distributed.worker_index}-"))
        try:
            (out / "checkpoints").mkdir()
            best = directory / "checkpoints" / "best.keras"
            if resuming and best.exists():  # restoring the best weights at the end must agree with the chief
                shutil.copy2(best, out / "checkpoints" / "best.keras")
            yield out
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def new_model(self) -> keras.Model:
        mixed = use_mixed_precision(self.config.training.mixed_precision, self.device)
        config, scaled = scaled_learning_rate(xla_for_device(self.config, self.device), self.distributed.replicas)
        config, one_step = one_step_per_execution(config, self.distributed.replicas)
        for line in (scaled, one_step):
            if line:
                self.say(line)
        with self.scope():
            return build_model(config, self.inference, float32_outputs=mixed)

    def fit(self, directory: Path, out: Path, model: keras.Model, *, first_epoch: int, history: dict, progress: int,
            best: float | None = None, stopper: dict | None = None) -> Run:
        """Trains ``model`` from ``first_epoch``; the run is ``directory``, and this process writes into ``out``
        (the same directory, but for multi-worker workers other than the chief)."""
        training = self.config.training
        checkpoints = _Checkpoints(out, self.config, history, best, stopper, first_epoch)
        if first_epoch == 0:
            checkpoints.save_start(model)
        train_data, epoch_key = self._epochs(first_epoch)
        # First, so that nothing of an epoch runs before its order is keyed.
        callbacks: list[keras.callbacks.Callback] = [epoch_key, checkpoints]
        if training.early_stopping:
            callbacks.append(checkpoints.early_stopping)
        if training.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out / "tensorboard")))
        if self.distributed.multi_worker:
            with self.scope():
                build_before_fit(model, train_data.element_spec)
        try:
            with _Interruptions(model, checkpoints, self.say), self.scope():
                model.fit(train_data, epochs=training.epochs, initial_epoch=first_epoch, steps_per_epoch=None, shuffle=False,
                          validation_data=self._batches(self.prepared.x_val, self.prepared.y_val),
                          callbacks=callbacks, verbose=progress)
        except KeyboardInterrupt:  # the second Ctrl-C: the last completed epoch is still resumable
            checkpoints.write_state("interrupted")
            raise
        except BaseException:
            checkpoints.write_state("failed")
            raise
        return self._finish(directory, out, model, checkpoints)

    def _epochs(self, first_epoch: int) -> tuple[Any, "_EpochKey"]:
        """One epoch of batches per pass, and the callback that keys each epoch's order.

        Keras ends each pass with its data, so an execution of several steps never takes the next
        epoch's batches. Each epoch's order is a shuffle of the sample indices keyed by (seed, epoch)
        alone, so a resumed run sees exactly the batches an uninterrupted one would.
        """
        training, prepared = self.config.training, self.prepared
        samples = _count(prepared.x_train)
        seed = self.config.seed if self.config.seed is not None else 0
        # On the host, where tf.data runs its functions (it cannot read a variable on a GPU), and outside
        # any strategy's scope, which would make the key a distributed variable.
        with tf.device("/CPU:0"):
            x, y = (tf.nest.map_structure(tf.convert_to_tensor, _single(arrays))
                    for arrays in (prepared.x_train, prepared.y_train))
            epoch = tf.Variable(first_epoch, dtype=tf.int64, trainable=False)

        def order(_):
            key = tf.stack([tf.constant(seed, tf.int64), epoch.read_value()])
            return tf.random.experimental.stateless_shuffle(tf.range(samples, dtype=tf.int64), seed=key)

        def gather(indices):
            return tf.nest.map_structure(lambda array: tf.gather(array, indices), (x, y))

        # A sequential map: one gather per batch is cheap, and prefetching overlaps it with training.
        dataset = (tf.data.Dataset.from_tensors(0).map(order).unbatch().batch(training.batch_size).map(gather)
                   .apply(tf.data.experimental.assert_cardinality(math.ceil(samples / training.batch_size))))
        if training.prefetch:
            dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return self._sharded(dataset), _EpochKey(epoch)

    def _batches(self, x, y):
        if x is None:
            return None
        training = self.config.training
        return self._sharded(datasets.make_dataset(x, y, batch_size=training.batch_size, shuffle=False, seed=None,
                                                   cache=training.cache, prefetch=training.prefetch))

    def _sharded(self, dataset):
        """Under a strategy every batch is the global batch, split over the replicas (and workers)."""
        return shard_by_data(dataset) if self.distributed.distributing else dataset

    def _finish(self, directory: Path, out: Path, model: keras.Model, checkpoints: "_Checkpoints") -> Run:
        status = checkpoints.status
        run = Run(directory, self.config, model, checkpoints.history, status=status, findings=self.findings)
        if status == "diverged":
            checkpoints.write_state(status)
            raise TrainingError(f"the loss became {checkpoints.bad_loss} in epoch {checkpoints.bad_epoch + 1}; "
                                f"training stopped. The last good checkpoint (epoch {checkpoints.epochs_done}) is in "
                                f"{directory / 'checkpoints'}: lower the learning rate, or check the data for "
                                "extreme values")
        if status == "interrupted":
            checkpoints.write_state(status)
            self.say(f"stopped after epoch {checkpoints.epochs_done}; continue with: "
                     f"nnconf train --resume {directory}")
            return run
        training = self.config.training
        if training.early_stopping and training.early_stopping.restore_best_weights and checkpoints.best_path.exists():
            model.set_weights(_load_checkpoint(checkpoints.best_path).get_weights())
        save_model(model, out / "model.keras")
        run.metrics = self.final_metrics(model)
        write_json(out / "metrics.json", run.metrics)
        if self.distributed.chief:
            _plot(checkpoints.history, out / "training.png")
        checkpoints.write_state("finished")
        return run

    def final_metrics(self, model: keras.Model) -> dict:
        """The model's metrics on the test split (or, without one, the validation split)."""
        prepared = self.prepared
        split, x, y = ("test", prepared.x_test, prepared.y_test) if prepared.x_test is not None else \
            ("validation", prepared.x_val, prepared.y_val)
        if x is None:
            return {"split": None}
        with self.scope():
            results = model.evaluate(self._batches(x, y), verbose=0, return_dict=True)
        return {"split": split, "samples": _count(x), **{k: float(v) for k, v in results.items()}}


def _count(arrays: dict | None) -> int:
    return len(next(iter(arrays.values()))) if arrays else 0


def _single(arrays: dict) -> Any:
    """Keras matches a one-input (or one-output) model to a plain tensor, several to a dict by name."""
    return next(iter(arrays.values())) if len(arrays) == 1 else arrays


class _EpochKey(keras.callbacks.Callback):
    """Sets the epoch the training data is shuffled for, before Keras draws that epoch's batches."""

    def __init__(self, epoch: tf.Variable):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.assign(epoch)


# --- checkpoints, history and state ------------------------------------------------------------


class _Checkpoints(keras.callbacks.Callback):
    """After every completed epoch with a finite loss: history, the last (and best) checkpoint and
    the state resuming needs, each written atomically."""

    def __init__(self, directory: Path, config: Config, history: dict, best: float | None, stopper: dict | None,
                 first_epoch: int):
        super().__init__()
        self.directory, self.config = directory, config
        self.history = {k: list(v) for k, v in history.items()}
        self.best, self.epochs_done = best, first_epoch
        self.status, self.bad_loss, self.bad_epoch = "running", None, None
        self.interrupted = False
        self.best_path = directory / "checkpoints" / "best.keras"
        self.store = CheckpointStore(directory / "checkpoints")
        stopping = config.training.early_stopping
        self.early_stopping = _ResumableEarlyStopping(stopping, stopper) if stopping else None

    def save_start(self, model: keras.Model) -> None:
        """Epoch 0 is a checkpoint too, so a run stopped in its first epoch can still be resumed."""
        self._save(model)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.bad_loss, self.status = float(loss), "diverged"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if self.status == "diverged" or not all(math.isfinite(v) for v in logs.values()):
            self.status, self.bad_epoch = "diverged", epoch
            self.bad_loss = self.bad_loss if self.bad_loss is not None else logs.get("loss")
            self.model.stop_training = True
            return
        if self.interrupted:  # the epoch was cut short: it does not count, and resumes from its start
            return
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_done = epoch + 1
        self._write_history()
        checkpoints = self.config.training.checkpoints
        monitored = _monitored(checkpoints.monitor, logs)
        if checkpoints.best and monitored is not None and _better(checkpoints.monitor, monitored[1], self.best):
            self.best = monitored[1]
            save_model(self.model, self.best_path)
        self._save(self.model)

    def _save(self, model: keras.Model) -> None:
        stopper = self.early_stopping.state() if self.early_stopping else None
        self.store.save(model, self.epochs_done, {"history": self.history, "best": self.best,
                                                  "early_stopping": stopper})
        self.write_state("running")

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.status == "running":
            self.status = "interrupted" if self.interrupted else "finished"

    def write_state(self, status: str) -> None:
        """How the run stands, for people and tools; resuming reads the checkpoints themselves."""
        self.status = status
        write_json(self.directory / "state.json", {
            "status": status, "epochs_done": self.epochs_done, "epochs": self.config.training.epochs,
            "best": self.best, "history": self.history,
        })

    def _write_history(self) -> None:
        write_json(self.directory / "history.json", self.history)
        columns = list(self.history)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["epoch", *columns])
        for epoch in range(self.epochs_done):
            writer.writerow([epoch + 1, *(self.history[c][epoch] if epoch < len(self.history[c]) else "" for c in columns)])
        write_atomically(self.directory / "history.csv", text.getvalue())


def _monitored(name: str, logs: dict) -> tuple[str, float] | None:
    """The monitored value; without a validation split, ``val_x`` falls back to ``x``."""
    for key in (name, name.removeprefix("val_")):
        if key in logs:
            return key, logs[key]
    return None


def _better(name: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value > best if any(word in name for word in _MAXIMISED) else value < best


class _ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's EarlyStopping, whose patience count survives a resume."""

    def __init__(self, settings, state: dict | None):
        super().__init__(monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta,
                         restore_best_weights=False)
        self._resumed = state or {}

    def on_train_begin(self, logs=None) -> None:
        super().on_train_begin(logs)
        if self._resumed:
            self.wait, self.best = self._resumed["wait"], self._resumed["best"]

    def get_monitor_value(self, logs):
        found = _monitored(self.monitor, logs or {})
        return None if found is None else found[1]

    def state(self) -> dict:
        best = self.best if self.best is not None and math.isfinite(float(self.best)) else None
        return {"wait": int(self.wait), "best": best}


class _Interruptions:
    """The first Ctrl-C stops after the steps under way (one call into TensorFlow) and keeps the run
    resumable; a second quits at once."""

    def __init__(self, model: keras.Model, checkpoints: _Checkpoints, say: Say):
        self.model, self.checkpoints, self.say = model, checkpoints, say
        self.previous = None

    def __enter__(self) -> "_Interruptions":
        try:
            self.previous = signal.signal(signal.SIGINT, self._stop)
        except ValueError:  # not the main thread: leave signals alone
            self.previous = None
        return self

    def _stop(self, signum, frame) -> None:
        self.checkpoints.interrupted = True
        self.model.stop_training = True
        self.say("\nstopping after the steps under way (Ctrl-C again to quit at once)")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _plot(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    if not names:
        return
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names):
        epochs = range(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], label="training")
        if f"val_{name}" in history:
            axis.plot(range(1, len(history[f"val_{name}"]) + 1), history[f"val_{name}"], label="validation")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend()
    figure.tight_layout()
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    temporary.replace(path)


# --- using a finished run ----------------------------------------------------------------------


def load_run(directory: str | Path) -> Run:
    directory = Path(directory)
    state = _read_state(directory)
    report = check(directory / "config.yaml")
    if report.config is None:
        raise ConfigError(report.findings)
    model_path = directory / "model.keras"
    if not model_path.exists():
        raise TrainingError(f"{directory} has no trained model yet (status: {state['status']})")
    metrics = read_json(directory / "metrics.json") if (directory / "metrics.json").exists() else {}
    return Run(directory, report.config, _load_checkpoint(model_path), state.get("history", {}), metrics,
               state["status"])


def evaluate(directory: str | Path, overrides: tuple[str, ...] = (), *, say: Say = _quiet) -> dict:
    """The run's model on the test split of its data (or of the data the overrides name), prepared
    with the statistics of the run's own training data."""
    run = load_run(directory)
    report = check(run.directory / "config.yaml", overrides)
    if not report.ok:
        raise ConfigError(report.findings)
    session = _Session(report.config, report, run.directory, say, distribute=False)  # one device is plenty
    session.load_data(read_json(run.directory / "preprocessing.json"))
    metrics = session.final_metrics(run.model)
    if metrics["split"] is None:
        raise TrainingError("the data has no test or validation split to evaluate on (set data.test_split)")
    return metrics


def predict(directory: str | Path, inputs: Path) -> dict[str, np.ndarray]:
    """Predictions of the run's model for the inputs in an .npz file, prepared like its training data."""
    run = load_run(directory)
    inference = check(run.directory / "config.yaml").inference
    preprocessing = read_json(run.directory / "preprocessing.json")
    x = datasets.prepare_inputs(datasets.load_npz_inputs(inputs), preprocessing, inference)
    predictions = run.model.predict(_single(x), verbose=0)
    names = run.config.output_names()
    if len(names) == 1:
        return {"y": np.asarray(predictions)}
    if isinstance(predictions, dict):
        return {name: np.asarray(predictions[name]) for name in names}
    return {name: np.asarray(value) for name, value in zip(names, predictions)}

