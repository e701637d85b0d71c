"""What runs inside each measured process: ``python -m bench.work TASK ... --out result.json``.

The parent (bench.figures) starts every measurement as a fresh process, so that nnconf and plain
Keras never share a warm TensorFlow, and reads the process's wall time and peak memory itself.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def _timer():
    """A callback that only notes when training begins, when each epoch begins, when its validation
    begins (its training steps are done) and when it ends (after validation and after every callback
    before it, such as nnconf's checkpoints). It has no per-batch hooks, so it changes nothing about
    how Keras runs the steps (Keras dispatches batch callbacks asynchronously only when none has them)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.begin, self.epoch_begins, self.test_begins, self.ends = None, [], [], []

        def on_train_begin(self, logs=None):
            self.begin = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_begins.append(time.perf_counter())

        def on_test_begin(self, logs=None):
            self.test_begins.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    return EpochTimer()


def _timing(timer, finished: float) -> dict:
    """Seconds since the process started (as far as Python can tell: the first line of this module)."""
    return {"train_begin": timer.begin - STARTED, "epoch_begins": [t - STARTED for t in timer.epoch_begins],
            "test_begins": [t - STARTED for t in timer.test_begins], "epoch_ends": [t - STARTED for t in timer.ends],
            "process_done": finished - STARTED}


def nnconf_train(args) -> dict:
    """``nnconf train CONFIG`` as a user runs it (its command line, defaults and all), with only an
    epoch timer added to the callbacks Keras is given."""
    import nnconf.engine  # noqa: F401 - first, as in nnconf train: it sets TensorFlow's log level before TensorFlow loads
    import keras

    timer = _timer()
    fit = keras.Model.fit

    def timed_fit(self, *positional, callbacks=None, **named):
        return fit(self, *positional, callbacks=[*(callbacks or []), timer], **named)

    keras.Model.fit = timed_fit
    from nnconf.cli import main
    from nnconf.engine import train as training

    saving: list[float] = []  # seconds nnconf's checkpoint callback spends at each epoch's end
    on_epoch_end = training._Checkpoints.on_epoch_end

    def timed_on_epoch_end(self, epoch, logs=None):
        start = time.perf_counter()
        on_epoch_end(self, epoch, logs)
        saving.append(time.perf_counter() - start)

    training._Checkpoints.on_epoch_end = timed_on_epoch_end

    sys.argv = ["nnconf", "train", args.config, "--set", f"data.path={args.npz}", "--run-dir", args.run_dir,
                *[part for value in args.set for part in ("--set", value)]]
    try:
        main()
    except SystemExit as done:
        if done.code not in (0, None):
            raise
    finished = time.perf_counter()
    metrics = json.loads((Path(args.run_dir) / "metrics.json").read_text())
    return {**_timing(timer, finished), "metrics": metrics, "checkpoint_seconds": saving}


def keras_train(args) -> dict:
    """The hand-written Keras script nnconf train replaces: load the arrays, build, compile, fit with
    ``model.fit(x, y, batch_size=..., validation_split=...)``, evaluate on the test set, save."""
    import numpy as np

    import keras
    from bench import models

    data = np.load(args.npz)
    x, y = data["x_train"], data["y_train"].astype("int64")
    x_test, y_test = data["x_test"], data["y_test"].astype("int64")
    if args.model == "small_cnn":  # the Rescaling layer scales; the images need a channel axis
        x, x_test = (a.reshape(-1, 28, 28, 1).astype("float32") for a in (x, x_test))
    else:
        x, x_test = (a.astype("float32") / 255 for a in (x, x_test))
    keras.utils.set_random_seed(models.SEEDS[args.model])
    model = models.MODELS[args.model]()
    timer = _timer()
    model.fit(x, y, batch_size=models.BATCH_SIZES[args.model], epochs=args.epochs, validation_split=0.1,
              callbacks=[timer], verbose=2)
    metrics = model.evaluate(x_test, y_test, batch_size=models.BATCH_SIZES[args.model], verbose=0, return_dict=True)
    model.save(Path(args.run_dir) / "model.keras")
    finished = time.perf_counter()
    return {**_timing(timer, finished), "metrics": {k: float(v) for k, v in metrics.items()},
            "train_samples": int(math.floor(len(x) * 0.9))}


def build(args) -> dict:
    """Seconds to build and compile each model, TensorFlow and nnconf already imported.

    ``first``: the first build of this process, by ``args.side`` only (what a script that builds one
    model pays). Then, after one untimed build by the other side, ``rounds`` in which both sides build
    each model one right after the other, in alternating order, so that both see the same machine
    load: ``pairs`` holds (nnconf seconds, Keras seconds) per model and round.
    """
    import keras

    import nnconf.api  # imported before timing, as keras is
    import nnconf.engine.build  # noqa: F401
    from bench import models

    configs = Path(__file__).parent / "configs"
    builders = {"nnconf": lambda name: nnconf.api.build(configs / f"{name}.yaml"),
                "keras": lambda name: models.MODELS[name]()}

    def timed(side: str, name: str) -> float:
        keras.backend.clear_session()
        start = time.perf_counter()
        builders[side](name)
        return time.perf_counter() - start

    other = "keras" if args.side == "nnconf" else "nnconf"
    first = {name: timed(args.side, name) for name in args.models}
    for name in args.models:
        timed(other, name)
    pairs: dict[str, list[list[float]]] = {name: [] for name in args.models}
    for round_ in range(args.reps):
        for name in args.models:
            order = ["nnconf", "keras"] if round_ % 2 == 0 else ["keras", "nnconf"]
            seconds = {side: timed(side, name) for side in order}
            pairs[name].append([seconds["nnconf"], seconds["keras"]])
    checking = {}  # the part of nnconf.build that the hand-written code does not do: read, validate, lint
    for name in args.models:
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            nnconf.api.lint_report(nnconf.api.check(configs / f"{name}.yaml"))
            seconds.append(time.perf_counter() - start)
        checking[name] = sorted(seconds)[len(seconds) // 2]
    return {"side": args.side, "first": first, "pairs": pairs, "checking": checking}


def startup_parts(args) -> dict:
    """Where the seconds of ``nnconf summary`` go, in one process: importing nnconf's API (its config
    schema classes), the first check of a config (pydantic completes its validators on first use),
    the same check again, and formatting the summary."""
    marks = {"start": time.perf_counter()}
    import nnconf.api
    from nnconf.analysis.summary import format_summary

    marks["import nnconf"] = time.perf_counter()
    report = nnconf.api.check(args.config)
    marks["first check"] = time.perf_counter()
    nnconf.api.check(args.config)
    marks["second check"] = time.perf_counter()
    format_summary(report.config, report.inference)
    marks["format"] = time.perf_counter()
    names = list(marks)
    return {later: marks[later] - marks[earlier] for earlier, later in zip(names, names[1:])}


def matmul(args) -> dict:
    """The machine's float32 matmul FLOP/s through TensorFlow: a square n x n product, 2 n^3 FLOPs."""
    import statistics

    import tensorflow as tf

    n = args.size
    a = tf.random.uniform((n, n), dtype=tf.float32)
    b = tf.random.uniform((n, n), dtype=tf.float32)
    for _ in range(2):
        tf.matmul(a, b).numpy()
    seconds = []
    for _ in range(args.reps):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        seconds.append(time.perf_counter() - start)
    best, median = min(seconds), statistics.median(seconds)
    return {"size": n, "seconds": seconds, "flops_best": 2 * n ** 3 / best, "flops_median": 2 * n ** 3 / median}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.work")
    parser.add_argument("task", choices=["nnconf-train", "keras-train", "build", "matmul", "startup-parts"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--config")
    parser.add_argument("--model")
    parser.add_argument("--models", nargs="*", default=[])
    parser.add_argument("--side", choices=["nnconf", "keras"])
    parser.add_argument("--npz")
    parser.add_argument("--run-dir")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()
    task = {"nnconf-train": nnconf_train, "keras-train": keras_train, "build": build, "matmul": matmul,
            "startup-parts": startup_parts}[args.task]
    result = task(args)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
