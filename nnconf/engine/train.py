"""Training runs: from a linted config and its data to a run directory that can be trusted,
reproduced and resumed."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nnconf.analysis.shapes import Inference
from nnconf.analysis.pipeline import Report, check, lint_report, linted
from nnconf.config.model import Config
from nnconf.config.source import format_path
from nnconf.engine import data as datasets
from nnconf.engine import diagnostics, plots
from nnconf.engine import backbones
from nnconf.engine.build import build_model, compile_model
from nnconf.engine.checkpoints import CheckpointStore, NoCheckpoint
from nnconf.engine.devices import resolve_device, use_mixed_precision, xla_for_device
from nnconf.engine.distribute import Distributed, DistributionError, build_before_fit, make_strategy, \
    one_step_per_execution, scaled_learning_rate, shard_by_data
from nnconf.engine.files import save_model, write_atomically
from nnconf.engine.runs import RUNS_ROOT, RunLock, create_run_dir, description, read_json, remove_temporaries, \
    safe_name, write_json
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


def train(config: Config | str | Path | Report, overrides: tuple[str, ...] | list[str] = (), *,
          run_dir: str | Path | None = None, runs_root: Path = RUNS_ROOT, say: Say = _quiet, progress: int = 0,
          argv: list[str] | None = None, callbacks: Sequence[keras.callbacks.Callback] = (), data: Any = None) -> Run:
    """Trains a config (a Config, a YAML file, or the Report of one linted already) into a new run directory.
    ``callbacks`` are Keras callbacks run after the run's own (nnconf sweep's pruning is one). ``data``:
    samples from Python instead of the config's source (``data.source: python``; see nnconf.engine.data.given).

    A Report is trained as it is: showing its findings is up to whoever linted it (``nnconf train``
    lints before TensorFlow starts). Under ``training.distribution.strategy: multi_worker`` every
    worker runs this with the same ``run_dir``: the chief creates and writes it, the other workers
    keep their (identical) files in a temporary folder that is removed when they end.
    """
    if isinstance(config, Report):
        report = config
        if report.config is None or has_errors(report.findings):
            raise ConfigError(report.findings)
    else:
        report = linted(config, overrides)
        for warning in report.findings:
            say(warning.format())
    base_dir = Path(report.file).parent if report.file else Path.cwd()
    config = datasets.with_given_data(_with_absolute_data_path(report.config, base_dir), data)
    config = backbones.with_absolute_weights(config, base_dir)
    name = config.name or (safe_name(Path(report.file).stem) if report.file else "model")
    if config.training.distribution.strategy == "multi_worker" and run_dir is None:
        raise TrainingError("multi_worker training needs --run-dir (run_dir), the same on every worker, so that all "
                            "of them agree on the run directory the chief writes and resumes from")
    session = _Session(config, report, base_dir, say)
    session.callbacks = list(callbacks)
    session.load_data(given=data)
    directory, lock = Path(run_dir) if session.distributed.multi_worker else None, None
    if session.distributed.chief:
        lock = create_run_dir(name, run_dir, runs_root)  # held until the run ends: one writer at a time
        directory = lock.directory
    say(f"run directory: {directory}")
    with lock or contextlib.nullcontext(), session.lost_workers(directory), session.output(directory) as out, \
            _write_failures(directory):
        write_atomically(out / "config.yaml", config.to_yaml())  # first: from here on the run can be resumed
        session.write_start_files(out, argv)
        model = session.new_model()
        return session.fit(directory, out, model, first_epoch=0, history={}, progress=progress)


def _with_absolute_data_path(config: Config, base_dir: Path) -> Config:
    """The run keeps its config; a data path relative to the config's folder must still work from there."""
    path = getattr(config.data, "path", None)
    if path is None or Path(path).is_absolute():
        return config
    data = config.data.model_copy(update={"path": str((base_dir / path).resolve())})
    return config.model_copy(update={"data": data})


def resume(directory: str | Path, *, say: Say = _quiet, progress: int = 0, data: Any = None) -> Run:
    """Continues a stopped run in its own directory, from its last intact checkpoint (or, for a run
    stopped before its first one, from the start). A run trained on ``data`` from Python takes it again."""
    directory = Path(directory)
    _read_state(directory)
    report = lint_report(check(directory / "config.yaml"))
    if report.config is None or has_errors(report.findings):
        raise ConfigError(report.findings)
    session = _Session(report.config, report, directory, say)
    lock = RunLock(directory) if session.distributed.chief else None  # before anything is read to go on from
    with lock or contextlib.nullcontext():
        if _read_state(directory)["status"] == "finished":
            raise TrainingError(f"{directory} finished already; start a new run to train again")
        if lock is not None:
            remove_temporaries(directory)  # what writers killed mid-write left: no one else writes here now
        session.load_data(given=data)
        datasets.check_same_data(directory, session.prepared)
        with session.lost_workers(directory), session.output(directory, resuming=True) as out, \
                _write_failures(directory):
            store = CheckpointStore(directory / "checkpoints")
            if store.empty():
                say(f"{directory} has no checkpoint yet: training starts from the first epoch")
                session.write_start_files(out, None, only_missing=True)
                return session.fit(directory, out, session.new_model(), first_epoch=0, history={}, progress=progress)
            try:
                with session.loading():  # every worker of a multi-worker run loads the chief's checkpoint
                    model, checkpoint = store.latest(_load_checkpoint, say)
            except NoCheckpoint as problem:
                raise TrainingError(f"{problem}, so the run cannot be resumed; start a new run") from None
            _refuse_a_changed_config(directory, checkpoint.get("config"), report.config)
            _check_model_fits(model, report.inference, directory / "checkpoints" / f"epoch-{checkpoint['epoch']:04d}.keras")
            say(f"resuming {directory} after epoch {checkpoint['epoch']} of {report.config.training.epochs}")
            return session.fit(directory, out, model, first_epoch=checkpoint["epoch"], history=checkpoint["history"],
                               best=checkpoint["best"], stopper=checkpoint["early_stopping"], progress=progress,
                               fine_tuning=checkpoint.get("fine_tuning", False))


@contextlib.contextmanager
def _write_failures(directory: Path) -> Iterator[None]:
    """A file of the run that cannot be written (a full disk, a quota, a file grown too large) stops
    the run with one message; it resumes from its last complete checkpoint."""
    try:
        yield
    except OSError as error:
        raise TrainingError(f"training stopped: cannot write {error.filename or 'a file of the run'} "
                            f"({error.strerror or error}); once there is room, continue from the last complete "
                            f"checkpoint with: nnconf train --resume {directory}") from None


def _config_data(config: Config) -> dict:
    """The resolved config as JSON data: what a checkpoint records of the run it belongs to."""
    return json.loads(json.dumps(config.model_dump(mode="json")))


def _refuse_a_changed_config(directory: Path, trained: dict | None, config: Config) -> None:
    """A resumed run must go on as it began: its config.yaml must still be the config it trained with."""
    if trained is None:  # a checkpoint from before nnconf recorded it
        return
    changes = _differences(trained, _config_data(config), ())
    if changes:
        shown = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
        raise TrainingError(f"{directory / 'config.yaml'} changed since the run trained with it ({shown}); a resumed "
                            "run goes on exactly as it began: undo the change, or start a new run with the new config")


def _differences(old: Any, new: Any, path: tuple) -> list[str]:
    """``path: old -> new`` for each value that differs between two JSON documents."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(old) + [key for key in new if key not in old]
        return [change for key in keys for change in _differences(old.get(key), new.get(key), (*path, key))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [change for index, (a, b) in enumerate(zip(old, new)) for change in _differences(a, b, (*path, index))]
    return [] if old == new else [f"{format_path(path)}: {_brief(old)} -> {_brief(new)}"]


def _brief(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_model_fits(model: keras.Model, inference: Inference, path: Path) -> None:
    """A model file of a run must hold the model of the run's config: the same input and output
    shapes and the same number of parameters, as shape inference gives them."""
    def shapes(tensors) -> list[tuple]:
        return sorted((tuple(tensor.shape[1:]) for tensor in tensors), key=str)

    expected_inputs = sorted((tuple(shape) for shape in inference.input_shapes.values()), key=str)
    expected_outputs = sorted((tuple(shape) for shape in inference.outputs.values() if shape is not None), key=str)
    problems = []
    if model.count_params() != inference.total_params:
        problems.append(f"{model.count_params():,} parameters where the config has {inference.total_params:,}")
    if shapes(model.inputs) != expected_inputs:
        problems.append(f"inputs of shape {_shown(shapes(model.inputs))} where the config has {_shown(expected_inputs)}")
    if len(expected_outputs) == len(inference.outputs) and shapes(model.outputs) != expected_outputs:
        problems.append(f"outputs of shape {_shown(shapes(model.outputs))} where the config has "
                        f"{_shown(expected_outputs)}")
    if problems:
        raise TrainingError(f"{path} is not the model of its run's config.yaml: it has {'; '.join(problems)} "
                            "(was it replaced, or config.yaml edited?)")


def _shown(shapes: list[tuple]) -> str:
    return ", ".join("[" + ", ".join("None" if d is None else str(d) for d in shape) + "]" for shape in shapes)


def _read_state(directory: Path) -> dict:
    try:
        is_run = (directory / "config.yaml").is_file()
    except OSError as error:  # a name too long, a folder that cannot be read
        raise TrainingError(f"cannot read the run directory {directory}: {error.strerror or error}") from None
    if not is_run:
        raise TrainingError(f"{directory} is not a run directory (it has no config.yaml); a run stopped before "
                            f"writing it holds nothing yet: start it again with nnconf train CONFIG --run-dir {directory}")
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
        self.callbacks: list[keras.callbacks.Callback] = []  # the caller's, after the run's own
        self.monitor: diagnostics.Monitor | None = None  # training.diagnostics, once training starts
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

    def load_data(self, preprocessing: dict | None = None, given: Any = None) -> None:
        prepared = datasets.load_data(self.config, self.inference, base_dir=self.base_dir, source=self.report.source,
                                      preprocessing=preprocessing, given=given)
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

    def write_start_files(self, out: Path, argv: list[str] | None, *, only_missing: bool = False) -> None:
        """description.json and preprocessing.json, as a run writes them when it starts (with
        ``only_missing``: those a run killed before writing them lacks)."""
        files = {"description.json": lambda: {**description(seed=self.config.seed, device=self.device, argv=argv),
                                              "distribution": self.describe_distribution()},
                 "preprocessing.json": lambda: self.prepared.preprocessing}
        for name, content in files.items():
            if not (only_missing and (out / name).is_file()):
                write_json(out / name, content())

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
            model = build_model(config, self.inference, float32_outputs=mixed, source=self.report.source)
            adapted = datasets.adapt(model, self.config, self.inference, self.prepared)  # vocabularies, statistics
        if adapted:
            self.say(f"adapted on the training split: {', '.join(adapted)}")
        return model

    def fit(self, directory: Path, out: Path, model: keras.Model, *, first_epoch: int, history: dict, progress: int,
            best: float | None = None, stopper: dict | None = None, fine_tuning: bool = False) -> Run:
        """Trains ``model`` from ``first_epoch``; the run is ``directory``, and this process writes into ``out``
        (the same directory, but for multi-worker workers other than the chief).

        A backbone with ``fine_tune`` trains frozen up to its ``after_epoch``; the run then goes on exactly
        as one resumed there does: the backbone's last layers unfrozen, the model compiled again.
        ``fine_tuning``: that has happened already (the model was saved so).
        """
        checkpoints = _Checkpoints(out, self.config, history, best, stopper, first_epoch)
        checkpoints.fine_tuning = fine_tuning
        epochs, switch = self.config.training.epochs, backbones.fine_tune_epoch(self.inference)
        until = epochs  # where this part of training ends: the switch to fine-tuning, or the run's end
        try:
            if first_epoch == 0:
                checkpoints.save_start(model)
            if checkpoints.done:  # stopped after its last epoch: only the finishing is left
                checkpoints.status = "finished"
            else:
                if switch is not None and not fine_tuning and first_epoch >= switch:
                    self._start_fine_tuning(model, checkpoints)
                if switch is not None and not checkpoints.fine_tuning:
                    until = min(switch, epochs)
                self._train(model, checkpoints, first_epoch, out, progress, until)
            frozen_part_done = (until < epochs and checkpoints.status == "finished" and not model.stop_training
                                and checkpoints.epochs_done == until)
            if not frozen_part_done:
                return self._finish(directory, out, model, checkpoints)
        except TrainingError:  # it has said how the run stands
            raise
        except KeyboardInterrupt:  # the second Ctrl-C: the last completed epoch is still resumable
            checkpoints.try_write_state("interrupted")
            raise
        except BaseException:
            checkpoints.try_write_state("failed")
            raise
        stopping = checkpoints.early_stopping.state() if checkpoints.early_stopping else None
        return self.fit(directory, out, model, first_epoch=checkpoints.epochs_done, history=checkpoints.history,
                        best=checkpoints.best, stopper=stopping, progress=progress)

    def _start_fine_tuning(self, model: keras.Model, checkpoints: "_Checkpoints") -> None:
        """Unfreezes the fine-tuned backbone's last layers and compiles the model again, with a fresh
        optimizer at fine_tune's learning rate, adapted to the device and replicas as the first one was."""
        config = backbones.fine_tuning_config(self.config, self.inference)
        config, _ = scaled_learning_rate(xla_for_device(config, self.device), self.distributed.replicas)
        config, _ = one_step_per_execution(config, self.distributed.replicas)
        with self.scope():
            self.say(backbones.unfreeze(model, self.inference))
            compile_model(model, config)
        checkpoints.fine_tuning = True

    def _train(self, model: keras.Model, checkpoints: "_Checkpoints", first_epoch: int, out: Path,
               progress: int, until: int) -> None:
        """Trains from ``first_epoch`` to epoch ``until``."""
        training = self.config.training
        train_data, epoch_key = self._epochs(first_epoch)
        # First, so that nothing of an epoch runs before its order is keyed.
        callbacks: list[keras.callbacks.Callback] = [epoch_key, checkpoints]
        if training.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out / "tensorboard")))
        self.monitor = diagnostics.monitor(training.monitoring, self.config, self.inference, self.report.source,
                                           *datasets.readable(self.prepared, training.monitoring, self.config.seed),
                                           out, self.say, first_epoch,
                                           self.distributed.strategy if self.distributed.distributing else None)
        callbacks += [self.monitor] if self.monitor else []
        callbacks += self.callbacks
        if self.distributed.multi_worker:
            with self.scope():
                build_before_fit(model, train_data.element_spec)
        with _Interruptions(model, checkpoints, self.say), self.scope():
            model.fit(train_data, epochs=until, initial_epoch=first_epoch, steps_per_epoch=None, shuffle=False,
                      validation_data=self._batches(self.prepared.x_val, self.prepared.y_val),
                      callbacks=callbacks, verbose=progress)

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

        # Plain TensorFlow ops: AutoGraph has nothing to convert (and would write temporary files to try).
        @tf.autograph.experimental.do_not_convert
        def order(_):
            key = tf.stack([tf.constant(seed, tf.int64), epoch.read_value()])
            return tf.random.experimental.stateless_shuffle(tf.range(samples, dtype=tf.int64), seed=key)

        @tf.autograph.experimental.do_not_convert
        def gather(indices):
            return tf.nest.map_structure(lambda array: tf.gather(array, indices), (x, y))

        # A sequential map: one gather per batch is cheap, and prefetching overlaps it with training.
        dataset = (tf.data.Dataset.from_tensors(0).map(order).unbatch().batch(training.batch_size).map(gather)
                   .apply(datasets.read_batches(prepared.preprocessing, list(prepared.x_train), training.batch_size))
                   .apply(tf.data.experimental.assert_cardinality(math.ceil(samples / training.batch_size))))
        if training.prefetch:
            dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return self._sharded(dataset), _EpochKey(epoch)

    def _batches(self, x, y):
        if x is None:
            return None
        training = self.config.training
        return self._sharded(datasets.make_dataset(x, y, batch_size=training.batch_size, shuffle=False, seed=None,
                                                   cache=training.cache, prefetch=training.prefetch,
                                                   preprocessing=self.prepared.preprocessing))

    def _sharded(self, dataset):
        """Under a strategy every batch is the global batch, split over the replicas (and workers)."""
        return shard_by_data(dataset) if self.distributed.distributing else dataset

    def _finish(self, directory: Path, out: Path, model: keras.Model, checkpoints: "_Checkpoints") -> Run:
        status = checkpoints.status
        if status == "finished" and self.monitor and self.monitor.stopped_by:
            status = checkpoints.status = "stopped"  # by a diagnostic, under training.diagnostics.stop_on
        run = Run(directory, self.config, model, checkpoints.history, status=status,
                  findings=self.findings + (self.monitor.findings if self.monitor else []))
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
        if status == "stopped":
            checkpoints.write_state(status)
            self.say(f"stopped after epoch {checkpoints.epochs_done}: {self.monitor.stopped_by.rule} (training."
                     f"diagnostics.stop_on: {self.config.training.monitoring.stop_on}); to go on regardless: "
                     f"nnconf train --resume {directory}")
            return run
        training = self.config.training
        if training.early_stopping and training.early_stopping.restore_best_weights and checkpoints.best_path.exists():
            model.set_weights(_load_checkpoint(checkpoints.best_path).get_weights())
        save_model(model, out / "model.keras")
        run.metrics = self.final_metrics(model)
        write_json(out / "metrics.json", run.metrics)
        if self.distributed.chief:
            plots.run_pictures(out, self.config, checkpoints.history, run.metrics, self.monitor,
                               maximise=any(word in training.checkpoints.monitor for word in _MAXIMISED))
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
    the state resuming needs, each written atomically.

    Early stopping runs here, before the checkpoint is saved, so that each checkpoint holds its
    patience count as of the end of its own epoch, as everything else that decides the run's course.
    """

    def __init__(self, directory: Path, config: Config, history: dict, best: float | None, stopper: dict | None,
                 first_epoch: int):
        super().__init__()
        self.directory, self.config = directory, config
        self.history = {k: list(v) for k, v in history.items()}
        self.best, self.epochs_done, self.saved_epoch = best, first_epoch, first_epoch
        self.status, self.bad_loss, self.bad_epoch = "running", None, None
        self.interrupted = False
        self.best_path = directory / "checkpoints" / "best.keras"
        self.store = CheckpointStore(directory / "checkpoints")
        stopping = config.training.early_stopping
        self.early_stopping = _ResumableEarlyStopping(stopping, stopper) if stopping else None
        self.done = first_epoch >= config.training.epochs or bool(stopper and stopper.get("stopped"))
        self.fine_tuning = False  # whether a backbone's fine-tuning has started (its model says so too)

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        if self.early_stopping:
            self.early_stopping.set_model(model)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.early_stopping:
            self.early_stopping.on_train_begin(logs)

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
        if self.early_stopping:
            self.early_stopping.on_epoch_end(epoch, logs)
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
                                                  "fine_tuning": self.fine_tuning,
                                                  "early_stopping": stopper, "config": _config_data(self.config)})
        self.saved_epoch = self.epochs_done
        self.write_state("running")

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.status == "running":
            self.status = "interrupted" if self.interrupted else "finished"

    def write_state(self, status: str) -> None:
        """How the run stands, as of its last complete checkpoint, for people and tools; resuming
        reads the checkpoints themselves."""
        self.status = status
        write_json(self.directory / "state.json", {
            "status": status, "epochs_done": self.saved_epoch, "epochs": self.config.training.epochs,
            "best": self.best, "history": {key: values[:self.saved_epoch] for key, values in self.history.items()},
            "fine_tuning": self.fine_tuning,
        })

    def try_write_state(self, status: str) -> None:
        """write_state, as far as it can be: on a full disk, state.json keeps saying what it said."""
        with contextlib.suppress(OSError):
            self.write_state(status)

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
        return {"wait": int(self.wait), "best": best, "stopped": bool(self.stopped_epoch)}


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


# --- using a finished run ----------------------------------------------------------------------


def load_run(directory: str | Path) -> Run:
    """A run with its trained model (checked against the run's config), history and final metrics."""
    directory, report, model, state = _open_run(directory)
    return Run(directory, report.config, model, state.get("history", {}), _read_metrics(directory), state["status"])


def _open_run(directory: str | Path) -> tuple[Path, Report, keras.Model, dict]:
    """A run's directory, config report, trained model and state; a model that is not the config's is refused."""
    directory = Path(directory)
    state = _read_state(directory)
    report = check(directory / "config.yaml")
    if not report.ok:
        raise ConfigError(report.findings)
    model_path = directory / "model.keras"
    if not model_path.is_file():
        raise TrainingError(f"{directory} has no trained model yet (status: {state['status']})")
    model = _load_checkpoint(model_path)
    _check_model_fits(model, report.inference, model_path)
    return directory, report, model, state


def _read_metrics(directory: Path) -> dict:
    path = directory / "metrics.json"
    if not path.exists():
        return {}
    try:
        metrics = read_json(path)
    except (OSError, ValueError) as error:
        metrics = error
    if not isinstance(metrics, dict):
        raise TrainingError(f"{path} is damaged (it is not the JSON mapping the run wrote); "
                            f"nnconf evaluate {directory} computes the metrics again")
    return metrics


_PLAN_KEYS = {"dtype", "reshape", "scale", "mean", "std"} | datasets.READER_KEYS


def _read_preprocessing(directory: Path, inference: Inference) -> dict:
    """The run's preprocessing.json, checked against its config: new inputs are prepared with it."""
    path = directory / "preprocessing.json"
    why = ("it holds the statistics the run's training inputs were prepared with, and new inputs must be "
           "prepared alike: restore it from a copy of the run, or train the run again")
    try:
        plans = read_json(path)
    except FileNotFoundError:
        raise TrainingError(f"{path} is missing; {why}") from None
    except (OSError, ValueError):
        raise TrainingError(f"{path} is damaged (not JSON); {why}") from None
    problem = _preprocessing_problem(plans, inference)
    if problem:
        raise TrainingError(f"{path} does not fit the run's config.yaml ({problem}); {why}")
    return plans


def _preprocessing_problem(plans: Any, inference: Inference) -> str | None:
    if not isinstance(plans, dict) or not isinstance(plans.get("inputs"), dict):
        return "it has no 'inputs' mapping"
    if set(plans["inputs"]) != set(inference.input_shapes):
        return f"it prepares the inputs {sorted(plans['inputs'])}, the model takes {sorted(inference.input_shapes)}"
    for key, plan in plans["inputs"].items():
        if not isinstance(plan, dict) or not set(plan) <= _PLAN_KEYS or plan.get("dtype", "float32") not in (
                "float32", "int32", "string") or not datasets.valid_reader(plan):
            return f"the plan of input {key!r} is not one nnconf writes"
        scale = plan.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale == 0):
            return f"input {key!r} has the scale {scale!r}"
        for name in ("mean", "std"):
            try:
                statistic = None if plan.get(name) is None else np.asarray(plan[name], dtype=np.float64)
            except (TypeError, ValueError):
                return f"the {name} of input {key!r} is not an array of numbers"
            if statistic is not None and not _fits(statistic.shape, inference.input_shapes[key]):
                return (f"the {name} of input {key!r} has the shape {list(statistic.shape)}, the model input "
                        f"{_shown([tuple(inference.input_shapes[key])])}")
        if (plan.get("mean") is None) != (plan.get("std") is None):
            return f"input {key!r} has a mean without a std, or a std without a mean"
    return None


def _check_input_shapes(arrays: dict, preprocessing: dict, inference: Inference, inputs: Path) -> None:
    """Each model input's samples must have its shape (unless the run reshapes them, which says
    itself when it cannot). ``x`` stands for the only input; missing arrays are prepare_inputs's to name."""
    names = list(inference.input_shapes)
    for key in names:
        array = arrays.get(key, arrays.get("x") if len(names) == 1 else None)
        if array is None or preprocessing["inputs"][key].get("reshape") is not None:
            continue
        expected = inference.input_shapes[key]
        if not _fits(np.shape(array)[1:], expected):
            named = "" if len(names) == 1 else f" {key!r}"
            raise TrainingError(f"{inputs}: the samples for the model input{named} have the shape "
                                f"{_shown([np.shape(array)[1:]])}, but the model takes {_shown([tuple(expected)])} "
                                "(one sample's shape; the first axis counts the samples)")


def _fits(shape: tuple, expected) -> bool:
    """Whether one sample's ``shape`` is the model's ``expected`` one (whose None dimensions take any size)."""
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def evaluate(directory: str | Path, overrides: tuple[str, ...] = (), *, say: Say = _quiet) -> dict:
    """The run's model on the test split of its data (or of the data the overrides name), prepared
    with the statistics of the run's own training data."""
    directory, _, model, _ = _open_run(directory)
    report = check(directory / "config.yaml", overrides)
    if not report.ok:
        raise ConfigError(report.findings)
    preprocessing = _read_preprocessing(directory, report.inference)
    session = _Session(report.config, report, directory, say, distribute=False)  # one device is plenty
    session.load_data(preprocessing)
    metrics = session.final_metrics(model)
    if metrics["split"] is None:
        raise TrainingError("the data has no test or validation split to evaluate on (set data.test_split)")
    return metrics


def predict(directory: str | Path, inputs: Path) -> dict[str, np.ndarray]:
    """Predictions of the run's model for the inputs in an .npz file, prepared like its training data."""
    directory, report, model, _ = _open_run(directory)
    inference = report.inference
    arrays = datasets.load_npz_inputs(inputs)
    preprocessing = _read_preprocessing(directory, inference)
    _check_input_shapes(arrays, preprocessing, inference, inputs)
    x = datasets.prepare_inputs(arrays, preprocessing, inference)
    predictions = model.predict(_single(x), verbose=0)
    names = report.config.output_names()
    if len(names) == 1:
        return {"y": np.asarray(predictions)}
    if isinstance(predictions, dict):
        return {name: np.asarray(predictions[name]) for name in names}
    return {name: np.asarray(value) for name, value in zip(names, predictions)}
