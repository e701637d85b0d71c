"""``nnconf sweep``: a hyperparameter search over a config's ``search.space``, run by Optuna.

Each trial is an ordinary training run in its own run directory (``trial-NNNN`` in the sweep's
folder, with ``trial.json`` linking it to its study and trial number). The study lives in a
database: by default a SQLite file in the sweep's folder, or any database Optuna supports, so
that processes on many machines can work on one study together.

Several processes end with exactly the requested number of trials: a process starts a trial only
while the finished and running trials together fall short of it, and it counts and starts under a
lock the processes share (a file lock for SQLite; an advisory lock on PostgreSQL and MySQL). A
process whose trials are all started waits for the ones still running elsewhere, so that a trial
whose process died (its heartbeat stopped, so it is marked failed) is replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import optuna
import sqlalchemy
from optuna.trial import FrozenTrial, TrialState

from nnconf.analysis.pipeline import Report, check, lint_report
from nnconf.analysis.search import assignment
from nnconf.config.search import NO_SEARCH, Dimension, Search
from nnconf.config.source import override_label
from nnconf.engine.files import write_atomically
from nnconf.engine.runs import RUNS_ROOT, safe_name, write_json
from nnconf.engine.train import TrainingError, train
from nnconf.findings import ConfigError, Finding, has_errors

Say = Callable[[str], None]
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
UNDER_WAY = (TrialState.RUNNING, TrialState.WAITING)

optuna.logging.set_verbosity(optuna.logging.ERROR)  # nnconf says what each trial did, once


class SweepError(Exception):
    """The sweep cannot start or go on; the message says why and what to do."""


@dataclass
class Sweep:
    """A finished (or stopped) sweep: its study, where its files are, and the best trial so far."""

    study: str
    storage: str  # the storage URL, without its password
    metric: str
    directory: Path
    trials: dict[str, int] = field(default_factory=dict)  # by state: complete, pruned, failed, running
    best: dict | None = None  # number, value, params, run_dir
    best_config: Path | None = None  # None where there is no best trial, or its values no longer fit the file
    pictures: list[Path] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


def sweep(file: str | Path, overrides: tuple[str, ...] | list[str] = (), *, storage: str | None = None,
          study_name: str | None = None, sweep_dir: str | Path | None = None, runs_root: Path = RUNS_ROOT,
          heartbeat: int = 30, say: Say = _quiet, argv: list[str] | None = None) -> Sweep:
    """Runs (or joins, or continues) the study of ``file``'s ``search:`` section until it holds
    ``search.trials`` finished trials.

    Args:
        file: the config, with a ``search:`` section.
        overrides: ``--set`` expressions applied to the config before the search's own values.
        storage: an SQLAlchemy database URL (``postgresql://user:password@host/db``); by default a
            SQLite file ``study.db`` in the sweep's folder.
        study_name: the study's name in the storage; by default the config's name.
        sweep_dir: where trials, ``best.yaml`` and the pictures go; by default
            ``runs/<name>/sweeps/<study>``.
        heartbeat: seconds between the signs of life of a running trial; one silent for three of
            them is taken for dead and marked failed.
        say: where progress lines go.
        argv: the command line, for the run directories' descriptions.
    """
    with warnings.catch_warnings():
        # Heartbeats and the pictures are "experimental" in Optuna, and say so at every use.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _sweep(file, overrides, storage, study_name, sweep_dir, runs_root, heartbeat, say, argv)


def _sweep(file: str | Path, overrides: tuple[str, ...] | list[str], storage: str | None, study_name: str | None,
           sweep_dir: str | Path | None, runs_root: Path, heartbeat: int, say: Say, argv: list[str] | None) -> Sweep:
    report = lint_report(check(file, overrides))
    if report.config is None or has_errors(report.findings):
        raise ConfigError(report.findings)
    for finding in report.findings:
        say(finding.format())
    search = report.config.search
    if search is None:
        raise SweepError(f"{file} {NO_SEARCH}")
    name = report.config.name or safe_name(Path(file).stem)
    study_name = study_name or name
    directory = Path(sweep_dir) if sweep_dir is not None else runs_root / name / "sweeps" / safe_name(study_name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SweepError(f"cannot create the sweep folder {directory}: {error.strerror or error}") from None
    url = storage or f"sqlite:///{(directory / 'study.db').resolve()}"
    # Each trial builds new models, whose functions TensorFlow traces anew: warned of from the third on.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with _ClaimLock(url, study_name) as lock:
        with lock.held():  # creating the study's tables (once) is no place for two processes at once
            study = _open_study(url, study_name, search, report.config.training.epochs, heartbeat)
        runner = _Runner(study, search, report, tuple(overrides), directory, url, say, argv)
        wanted = _trials_wanted(search)
        if wanted < search.trials:
            say(f"the grid has {wanted} combinations, so the sweep ends after {wanted} trials, not {search.trials}")
        say(f"study {study_name} in {_shown(url)}: {_count(study, FINISHED)} of {wanted} trials done")
        runner.run(wanted, lock, heartbeat)
    return _summarise(study, runner)


# --- the study -----------------------------------------------------------------------------------


def _open_study(url: str, name: str, search: Search, epochs: int, heartbeat: int) -> optuna.Study:
    backend = sqlalchemy.engine.make_url(url).get_backend_name()
    engine_kwargs = {"connect_args": {"timeout": 60}} if backend == "sqlite" else {"pool_pre_ping": True}
    direction = "maximize" if search.maximize else "minimize"
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat,
                                             grace_period=3 * heartbeat)
        study = optuna.create_study(storage=storage, study_name=name, direction=direction, load_if_exists=True,
                                    sampler=_sampler(search), pruner=_pruner(search, epochs))
    except (ImportError, sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as error:
        raise SweepError(f"cannot open the study {name} in {_shown(url)}: {_reason(error)}") from None
    if study.direction.name.lower() != direction:
        raise SweepError(f"the study {name} in {_shown(url)} is to {study.direction.name.lower()} its objective, and "
                         f"this config's search is to {direction} {search.metric}: name another study (--study)")
    metric = study.user_attrs.get("metric")
    if metric is None:
        study.set_user_attr("metric", search.metric)
    elif metric != search.metric:
        raise SweepError(f"the study {name} in {_shown(url)} optimises {metric}, and this config's search.metric is "
                         f"{search.metric}: name another study (--study)")
    return study


def _sampler(search: Search) -> optuna.samplers.BaseSampler:
    if search.sampler == "grid":
        grid = {key: [_encoded(value) for value in dimension.grid()] for key, dimension in search.space.items()}
        return optuna.samplers.GridSampler(grid, seed=search.seed)
    if search.sampler == "random":
        return optuna.samplers.RandomSampler(seed=search.seed)
    return optuna.samplers.TPESampler(seed=search.seed)


def _pruner(search: Search, epochs: int) -> optuna.pruners.BasePruner:
    if search.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs)
    if search.pruner == "median":
        return optuna.pruners.MedianPruner()
    return optuna.pruners.NopPruner()


def _trials_wanted(search: Search) -> int:
    if search.sampler != "grid":
        return search.trials
    return min(search.trials, math.prod(dimension.grid_size() for dimension in search.space.values()))


def _count(study: optuna.Study, states: tuple[TrialState, ...]) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _shown(url: str) -> str:
    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --- claiming trials ------------------------------------------------------------------------------


class _ClaimLock:
    """Held while a process counts the study's trials and starts one (and while it creates the study),
    so that no two processes count the same free place: a file lock beside a SQLite study, an
    advisory lock on PostgreSQL and MySQL. Other databases have none, and processes starting trials
    at the same moment may together run one more than requested."""

    def __init__(self, url: str, study_name: str):
        try:
            parsed = sqlalchemy.engine.make_url(url)
        except sqlalchemy.exc.ArgumentError:
            raise SweepError(f"--storage {url!r} is not a database URL (e.g. postgresql://user:password@host/db)") \
                from None
        self.url, self.backend, self.database = url, parsed.get_backend_name(), parsed.database
        digest = hashlib.sha256(f"nnconf-sweep:{study_name}".encode()).digest()
        self.key, self.name = int.from_bytes(digest[:8], "big", signed=True), "nnconf-" + digest.hex()[:40]
        self.is_held, self.file, self.engine, self.connection = False, None, None, None

    def __enter__(self) -> "_ClaimLock":
        if self.backend == "sqlite" and self.database:
            self.file = open(f"{self.database}.lock", "a")
        elif self.backend in ("postgresql", "mysql"):
            try:
                self.engine = sqlalchemy.create_engine(self.url, poolclass=sqlalchemy.pool.NullPool)
                self.connection = self.engine.connect()
            except (ImportError, sqlalchemy.exc.SQLAlchemyError) as error:
                raise SweepError(f"cannot reach the database {_shown(self.url)}: {_reason(error)}") from None
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        if self.file is not None:
            self.file.close()
        if self.connection is not None:
            self.connection.close()
            self.engine.dispose()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_EX)
        elif self.connection is not None:
            self._sql({"postgresql": "SELECT pg_advisory_lock(:key)", "mysql": "SELECT GET_LOCK(:name, -1)"})
        self.is_held = True

    def release(self) -> None:
        if not self.is_held:
            return
        self.is_held = False
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        elif self.connection is not None:
            self._sql({"postgresql": "SELECT pg_advisory_unlock(:key)", "mysql": "SELECT RELEASE_LOCK(:name)"})

    def _sql(self, statements: dict[str, str]) -> None:
        self.connection.execute(sqlalchemy.text(statements[self.backend]), {"key": self.key, "name": self.name})
        self.connection.commit()


# --- trials ---------------------------------------------------------------------------------------


class _TrialRefused(Exception):
    """A trial that cannot train: its sampled config has errors, or its training failed."""


class _Runner:
    def __init__(self, study: optuna.Study, search: Search, report: Report, overrides: tuple[str, ...],
                 directory: Path, url: str, say: Say, argv: list[str] | None):
        self.study, self.search, self.report, self.overrides = study, search, report, overrides
        self.directory, self.url, self.say, self.argv = directory, url, say, argv
        self.failed_here = 0
        self.lock: _ClaimLock | None = None

    def run(self, wanted: int, lock: _ClaimLock, heartbeat: int) -> None:
        """Starts trials while the study has room for them, then waits for the ones running elsewhere."""
        self.lock, waiting_said = lock, False
        while True:
            lock.acquire()
            try:
                optuna.storages.fail_stale_trials(self.study)  # a dead process's trial frees its place
                finished, under_way = _count(self.study, FINISHED), _count(self.study, UNDER_WAY)
                if finished >= wanted:
                    return
                if finished + under_way >= wanted:
                    lock.release()
                    if not waiting_said:
                        self.say(f"waiting for {under_way} trial{'s' * (under_way != 1)} running elsewhere")
                        waiting_said = True
                    time.sleep(min(heartbeat, 5))
                    continue
                waiting_said = False
                # The lock is released as soon as the trial exists (see _objective).
                self.study.optimize(self._objective, n_trials=1, catch=(_TrialRefused,))
            finally:
                lock.release()
            if self.failed_here >= wanted:
                raise SweepError(f"{self.failed_here} trials of this process failed; see the reasons above")

    def _objective(self, trial: optuna.Trial) -> float:
        self.lock.release()
        values = {key: _suggest(trial, key, dimension, self.search.sampler == "grid")
                  for key, dimension in self.search.space.items()}
        shown = ", ".join(f"{key}={_format(value)}" for key, value in values.items())
        started = time.perf_counter()
        try:
            outcome = self._train(trial, values)
        except _TrialRefused as problem:
            self.failed_here += 1
            self.say(f"trial {trial.number}: {shown} -> failed: {problem}")
            raise
        seconds = time.perf_counter() - started
        value = outcome["value"]
        if outcome["state"] == "pruned":
            self.say(f"trial {trial.number}: {shown} -> pruned after epoch {outcome['epochs']} "
                     f"({self.search.metric} {value:.4g}, {seconds:.1f} s)")
            raise optuna.TrialPruned()
        self.say(f"trial {trial.number}: {shown} -> {self.search.metric} {value:.4g} "
                 f"({outcome['epochs']} epochs, {seconds:.1f} s)")
        return value

    def _train(self, trial: optuna.Trial, values: dict[str, Any]) -> dict:
        """Trains one trial's config into its run directory; its outcome, as trial.json records it."""
        expressions = [assignment(key, value) for key, value in values.items()]
        report = lint_report(check(self.report.file, [*self.overrides, *expressions, "search=null"]))
        if has_errors(report.findings):
            for finding in self._located(report.findings, expressions):
                self.say(finding.format())
            raise _TrialRefused("its config has the errors above")
        run_dir = _new_run_dir(self.directory, trial.number)
        trial.set_user_attr("run_dir", str(run_dir.resolve()))
        link = {"study": self.study.study_name, "storage": _shown(self.url), "trial": trial.number,
                "metric": self.search.metric, "params": values}
        pruning = _Pruning(trial, self.search.metric, run_dir, link)
        try:
            run = train(report, run_dir=run_dir, callbacks=[pruning], argv=self.argv)
        except (TrainingError, ConfigError) as problem:
            if isinstance(problem, ConfigError):
                for finding in problem.findings:
                    self.say(finding.format())
            pruning.record("failed", None)
            raise _TrialRefused(str(problem) if isinstance(problem, TrainingError) else "see the findings above") \
                from None
        finally:
            keras.backend.clear_session()  # each trial's graphs and names start afresh
        if pruning.missing is not None:
            pruning.record("failed", None)
            raise SweepError(f"search.metric {self.search.metric} is not a metric the run logs; it logs "
                             f"{', '.join(pruning.missing)}")
        if run.status == "interrupted":  # by Ctrl-C: the sweep stops too, and its study keeps the rest
            pruning.record("failed", None)
            raise KeyboardInterrupt
        if run.status != "finished":
            pruning.record("failed", None)
            raise _TrialRefused(f"the run ended {run.status} ({run.directory})")
        value = _best(run.history.get(self.search.metric, []), self.search.maximize)
        state = "pruned" if pruning.pruned else "complete"
        pruning.record(state, value)
        return {"state": state, "value": value, "epochs": len(run.history.get(self.search.metric, []))}

    def _located(self, findings: list[Finding], expressions: list[str]) -> list[Finding]:
        """A sampled value's finding points at its key in search.space, saying which value it was."""
        keys = {override_label(expression): expression for expression in expressions}
        located = []
        for finding in findings:
            expression = keys.get(finding.file or "")
            if expression is None:
                located.append(finding)
                continue
            key = expression.partition("=")[0]
            file, line, column = self.report.source.locate(("search", "space", key), key=True)
            message = f"{key} = {expression.partition('=')[2]}: {finding.message}"
            located.append(Finding(finding.rule, message, finding.path, finding.severity, finding.hint, file, line,
                                   column))
        return located


def _suggest(trial: optuna.Trial, key: str, dimension: Dimension, grid: bool) -> Any:
    if grid:
        return _decoded(dimension, trial.suggest_categorical(key, [_encoded(value) for value in dimension.grid()]))
    low, high = dimension.bounds if dimension.kind != "choice" else (None, None)
    if dimension.kind == "uniform":
        return trial.suggest_float(key, low, high, step=dimension.step)
    if dimension.kind == "log_uniform":
        return trial.suggest_float(key, low, high, log=True)
    if dimension.kind == "int":
        return trial.suggest_int(key, low, high, step=dimension.step or 1)
    if dimension.kind == "log_int":
        return trial.suggest_int(key, low, high, log=True)
    return _decoded(dimension, trial.suggest_categorical(key, [_encoded(value) for value in dimension.choice]))


def _encoded(value: Any) -> Any:
    """Optuna's choices are numbers, strings, booleans or None; a list or mapping travels as its JSON."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _decoded(dimension: Dimension | None, value: Any) -> Any:
    """The list or mapping among a dimension's choices whose JSON text Optuna holds as ``value``."""
    if dimension is None or dimension.kind != "choice" or not isinstance(value, str):
        return value
    return next((choice for choice in dimension.choice
                 if isinstance(choice, (list, dict)) and _encoded(choice) == value), value)


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value)


def _best(values: list[float], maximize: bool) -> float:
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        raise _TrialRefused("no epoch ended with a finite value of the objective")
    return max(finite) if maximize else min(finite)


def _new_run_dir(directory: Path, number: int) -> Path:
    """``trial-NNNN``: a trial's number is its own in the study, so only a study made anew under an old
    name meets an old directory, and then the new one gets a suffix."""
    run_dir = directory / f"trial-{number:04d}"
    suffix = 2
    while run_dir.exists():
        run_dir, suffix = directory / f"trial-{number:04d}-{suffix}", suffix + 1
    return run_dir


class _Pruning(keras.callbacks.Callback):
    """Reports the objective to Optuna at each epoch's end and stops a trial the pruner finds
    hopeless (as early stopping would: the run ends finished, with what it learned so far).
    Writes trial.json, the run's link to its study, when training begins and when it ends."""

    def __init__(self, trial: optuna.Trial, metric: str, run_dir: Path, link: dict):
        super().__init__()
        self.trial, self.metric, self.run_dir, self.link = trial, metric, run_dir, link
        self.pruned, self.missing = False, None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.record("running", None)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.metric not in logs:
            self.missing = sorted(logs)
            self.model.stop_training = True
            return
        value = float(logs[self.metric])
        if not math.isfinite(value):
            return  # the run stops itself, as diverged
        self.trial.report(value, epoch + 1)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True

    def record(self, state: str, value: float | None) -> None:
        if self.run_dir.is_dir():
            write_json(self.run_dir / "trial.json", {**self.link, "state": state, "value": value})


# --- the end of a sweep ---------------------------------------------------------------------------


def _summarise(study: optuna.Study, runner: _Runner) -> Sweep:
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(trial.state == state for trial in trials)
              for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)}
    result = Sweep(study.study_name, _shown(runner.url), runner.search.metric, runner.directory, counts)
    completed = [trial for trial in trials if trial.state == TrialState.COMPLETE]
    if not completed:
        return result
    best = study.best_trial
    params = {key: _decoded(runner.search.space.get(key), value) for key, value in best.params.items()}
    result.best = {"number": best.number, "value": best.value, "params": params,
                   "run_dir": best.user_attrs.get("run_dir")}
    result.best_config = _write_best_config(runner, best, params)
    result.pictures = _pictures(study, runner.directory, runner.search.metric)
    return result


def _write_best_config(runner: _Runner, best: FrozenTrial, params: dict) -> Path | None:
    """The best trial's config as a plain config (None if the file no longer takes its values)."""
    expressions = [assignment(key, value) for key, value in params.items() if key in runner.search.space]
    config = check(runner.report.file, [*runner.overrides, *expressions, "search=null"]).config
    if config is None:
        return None
    path = getattr(config.data, "path", None)
    if path is not None and not Path(path).is_absolute():  # best.yaml lives elsewhere than the file
        config = config.model_copy(update={"data": config.data.model_copy(
            update={"path": str((Path(runner.report.file).parent / path).resolve())})})
    header = (f"# The best trial of the study {runner.study.study_name} so far: trial {best.number}, "
              f"{runner.search.metric} {best.value:.6g}.\n# A plain config: nnconf train {runner.directory / 'best.yaml'}\n")
    target = runner.directory / "best.yaml"
    write_atomically(target, header + config.to_yaml())
    return target


def _pictures(study: optuna.Study, directory: Path, metric: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as plots

    drawn = []
    completed = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    makers = {"history.png": plots.plot_optimization_history, "slices.png": plots.plot_slice}
    if completed > 1:  # importances compare trials: one tells nothing
        makers["importances.png"] = plots.plot_param_importances
    for name, make in makers.items():
        with warnings.catch_warnings():  # a parameter tried at one value only has a flat axis, and that is fine
            warnings.simplefilter("ignore", UserWarning)
            axes = make(study, target_name=metric)
        figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        if hasattr(axes, "flat"):  # one panel per parameter, each wide enough for its axis labels
            figure.set_size_inches(3.5 * axes.size + 1.5, 4)
        temporary = directory / f".{name}.tmp.png"
        figure.savefig(temporary, dpi=100, bbox_inches="tight")
        plt.close(figure)
        temporary.replace(directory / name)
        drawn.append(directory / name)
    return drawn
