"""Training from a folder of images: ``nnconf train`` against the hand-written script it replaces.

    python -m bench.images                 # both figures, 3 repetitions of the speed one
    python -m bench.images --reps 1        # quicker
    python -m bench.images --json out.json # also the raw measurements

Speed: samples per second of ``nnconf train`` (``data.source: images``) and of a script that reads
the same folder with ``keras.utils.image_dataset_from_directory`` and calls ``model.fit``, the same
model, batch size and seed, on 6,000 generated 8x8 digit images, alternately in fresh processes.
Memory: the peak resident memory of each training process on 2,000 and on 20,000 generated 64x64
images (one epoch): a streaming source must not need materially more for ten times the images.
Throughput is taken over the epochs after the first (which traces and compiles), as in bench.figures.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import _throughput
from bench.measure import median, python, run

SEED, BATCH_SIZE, VALIDATION = 7, 32, 0.1

CONFIG = """\
name: bench-images
task: multiclass
seed: {seed}
model:
  input_shape: [{size}, {size}, 1]
  layers:
    - {{type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}}
    - {{type: MaxPooling2D, pool_size: {pool}}}
    - {{type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}}
    - {{type: GlobalAveragePooling2D}}
    - {{type: Dense, units: 10}}
loss: {{name: sparse_categorical_crossentropy, from_logits: true}}
metrics: [accuracy]
data: {{source: images, path: {folder}, scale: 255, test_split: 0, validation_split: {validation}}}
training: {{epochs: {epochs}, batch_size: {batch}, tensorboard: false}}
"""


def _pool(size: int) -> int:
    return 2 if size <= 16 else 4


def keras_model(size: int):
    """The model of CONFIG, written by hand."""
    import keras

    return keras.Sequential([
        keras.Input(shape=(size, size, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(_pool(size)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10),
    ])


# --- inside each measured process ------------------------------------------------------------------


def child_nnconf(args) -> dict:
    """``nnconf train CONFIG`` as a user runs it, with only an epoch timer added to Keras's callbacks."""
    import nnconf.engine  # noqa: F401 - first, as in nnconf train
    import keras

    from bench.work import _timer, _timing

    timer = _timer()
    fit = keras.Model.fit

    def timed_fit(self, *positional, callbacks=None, **named):
        return fit(self, *positional, callbacks=[*(callbacks or []), timer], **named)

    keras.Model.fit = timed_fit
    from nnconf.cli import main

    config = Path(args.run_dir).with_suffix(".yaml")
    config.write_text(CONFIG.format(seed=SEED, size=args.size, pool=_pool(args.size), folder=args.folder,
                                    validation=VALIDATION, epochs=args.epochs, batch=BATCH_SIZE))
    sys.argv = ["nnconf", "train", str(config), "--run-dir", args.run_dir]
    try:
        main()
    except SystemExit as done:
        if done.code not in (0, None):
            raise
    finished = time.perf_counter()
    return {**_timing(timer, finished), "metrics": json.loads((Path(args.run_dir) / "metrics.json").read_text())}


def child_keras(args) -> dict:
    """The hand-written script: image_dataset_from_directory for both splits, scaling, fit, evaluate, save."""
    import keras
    import tensorflow as tf

    from bench.work import _timer, _timing

    keras.utils.set_random_seed(SEED)
    train, validation = keras.utils.image_dataset_from_directory(
        args.folder, label_mode="int", color_mode="grayscale", image_size=(args.size, args.size),
        batch_size=BATCH_SIZE, seed=SEED, validation_split=VALIDATION, subset="both")
    train, validation = (part.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE)
                         for part in (train, validation))
    model = keras_model(args.size)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    timer = _timer()
    model.fit(train, validation_data=validation, epochs=args.epochs, callbacks=[timer], verbose=2)
    metrics = model.evaluate(validation, verbose=0, return_dict=True)
    Path(args.run_dir).mkdir()
    model.save(Path(args.run_dir) / "model.keras")
    finished = time.perf_counter()
    return {**_timing(timer, finished), "metrics": {k: float(v) for k, v in metrics.items()}}


# --- the parent ------------------------------------------------------------------------------------


class _Work:
    def __init__(self, folder: Path):
        self.folder, self.counter = folder, 0

    def measure(self, side: str, images: Path, size: int, epochs: int):
        self.counter += 1
        base = self.folder / f"{self.counter:03d}-{side}"
        argv = [python(), "-m", "bench.images", "child", side, "--folder", str(images), "--size", str(size),
                "--epochs", str(epochs), "--run-dir", str(base), "--out", str(base.with_suffix(".json"))]
        return run(argv, log=base.with_suffix(".log"), result=base.with_suffix(".json"))


def _images(folder: Path, count: int, size: int) -> Path:
    from nnconf.engine.data.samples import generate

    return generate("digits", folder / f"digits-{count}-{size}px", count=count, size=size)


def speed(work: _Work, reps: int, say) -> dict:
    count, size, epochs = 6_000, 8, 4
    images = _images(work.folder, count, size)
    samples = count - int(math.floor(count * VALIDATION))  # both sides keep 5,400 for training
    sides: dict[str, list] = {"nnconf": [], "keras": []}
    for rep in range(reps):
        for side in (["nnconf", "keras"] if rep % 2 == 0 else ["keras", "nnconf"]):
            process = work.measure(side, images, size, epochs)
            process.result["throughput"] = _throughput(process.result, samples)
            sides[side].append(process)
            say(f"  {side}: {process.result['throughput']['steps']:.0f} samples/s (steps), "
                f"{process.result['throughput']['epoch']:.0f} (whole epochs)")
    return {side: {"steps": median(p.result["throughput"]["steps"] for p in procs),
                   "epoch": median(p.result["throughput"]["epoch"] for p in procs),
                   "all_steps": [p.result["throughput"]["steps"] for p in procs],
                   "accuracy": median(p.result["metrics"]["accuracy"] for p in procs),
                   "wall": median(p.wall for p in procs)} for side, procs in sides.items()} | {
        "images": count, "size": size, "epochs": epochs, "samples": samples}


def memory(work: _Work, say) -> dict:
    size, results = 64, {}
    for count in (2_000, 20_000):
        images = _images(work.folder, count, size)
        for side in ("nnconf", "keras"):
            process = work.measure(side, images, size, epochs=1)
            results.setdefault(side, {})[count] = {"peak_mb": process.peak_mb, "wall": process.wall}
            say(f"  {side}, {count} images of {size}x{size}: peak {process.peak_mb:.0f} MiB, {process.wall:.0f} s")
    return {"size": size, **results}


def report(speed_result: dict, memory_result: dict) -> str:
    s = speed_result
    ratio = s["nnconf"]["steps"] / s["keras"]["steps"]
    lines = [
        f"Image folder, {s['images']:,} generated {s['size']}x{s['size']} PNG digits, {s['samples']:,} training "
        f"samples, batch {BATCH_SIZE}, {s['epochs']} epochs; samples/s over epochs 2 and later (median):",
        "",
        "| side | samples/s, training steps | samples/s, whole epochs | accuracy |",
        "|---|---|---|---|",
    ]
    for side, name in (("nnconf", "nnconf train (data.source: images)"),
                       ("keras", "image_dataset_from_directory + fit")):
        lines.append(f"| {name} | {s[side]['steps']:.0f} | {s[side]['epoch']:.0f} | {s[side]['accuracy']:.3f} |")
    lines += ["", f"nnconf / hand-written, training steps: {ratio:.2f}x", "",
              f"Peak resident memory, one epoch on generated {memory_result['size']}x{memory_result['size']} images:",
              "", "| side | 2,000 images | 20,000 images | growth |", "|---|---|---|---|"]
    for side in ("nnconf", "keras"):
        small, large = memory_result[side][2_000]["peak_mb"], memory_result[side][20_000]["peak_mb"]
        lines.append(f"| {side} | {small:.0f} MiB | {large:.0f} MiB | {large - small:+.0f} MiB |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        parser = argparse.ArgumentParser(prog="python -m bench.images child")
        parser.add_argument("side", choices=["nnconf", "keras"])
        for option in ("--folder", "--run-dir", "--out"):
            parser.add_argument(option, required=True)
        parser.add_argument("--size", type=int, required=True)
        parser.add_argument("--epochs", type=int, required=True)
        args = parser.parse_args(argv[1:])
        result = (child_nnconf if args.side == "nnconf" else child_keras)(args)
        Path(args.out).write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.images", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each side of the speed figure")
    parser.add_argument("--only", choices=["speed", "memory"], help="measure one figure")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (images, logs, runs)")
    args = parser.parse_args(argv)
    work = _Work(Path(tempfile.mkdtemp(prefix="nnconf-bench-images-")))
    say = lambda text: print(text, flush=True)  # noqa: E731
    results = {}
    if args.only in (None, "speed"):
        say("speed...")
        results["speed"] = speed(work, args.reps, say)
    if args.only in (None, "memory"):
        say("memory...")
        results["memory"] = memory(work, say)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if len(results) == 2:
        print(report(results["speed"], results["memory"]))
    if not args.keep:
        shutil.rmtree(work.folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
