"""``python -m bench.diagnostics``: what ``training.diagnostics`` costs on the benchmark's MLP and CNN.

    python -m bench.diagnostics            # three runs each way per model (about ten minutes on 2 cores)
    python -m bench.diagnostics --quick    # one run each way

Each run is a fresh ``nnconf train`` process (bench.work's, with its epoch timer) of
bench/configs/mnist_mlp.yaml and small_cnn.yaml on the generated MNIST-shaped data, with
diagnostics on (the default) and off (``--set training.diagnostics=false``), alternately. Two figures:

- measured inside each run with diagnostics on: the seconds the monitor spends at each epoch's end
  (measuring the monitoring batch, judging, writing its two JSON files), as a share of the epoch
  (from the end of one epoch to the end of the next, epochs after the first); and what it costs
  once: at the start (its Keras model over every layer, the first look) and at the end (its
  pictures);
- end to end: the median epoch time with diagnostics on against off. On a shared machine this
  difference is noisier than the share measured inside.

Writes BENCHMARKS-diagnostics.md (and, with --json, the raw measurements).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import data, machine
from bench.figures import CONFIGS, TRAINED, _train_samples
from bench.measure import ROOT, BenchError, median, python, run

MODELS = ("mnist_mlp", "small_cnn")
LIMIT = 0.05  # the issue's budget: diagnostics may cost at most 5% of an epoch


# --- inside a measured process -------------------------------------------------------------------


def work(config: str, npz: str, run_dir: str, out: str, sets: list[str]) -> None:
    """``nnconf train`` as bench.work runs it, with the monitor's hooks timed."""
    import nnconf.engine  # noqa: F401 - first, as in nnconf train
    from bench import work as bench_work
    from nnconf.engine import diagnostics, plots

    seconds: dict[str, list[float]] = {"begin": [], "epoch_end": [], "pictures": []}

    def timed(function, key):
        def wrapper(*arguments, **named):
            start = time.perf_counter()
            try:
                return function(*arguments, **named)
            finally:
                seconds[key].append(time.perf_counter() - start)
        return wrapper

    diagnostics.Monitor.on_train_begin = timed(diagnostics.Monitor.on_train_begin, "begin")
    diagnostics.Monitor.on_epoch_end = timed(diagnostics.Monitor.on_epoch_end, "epoch_end")
    for name in ("activation_histograms", "gradient_norms", "fold"):  # drawn only with diagnostics on
        setattr(plots, name, timed(getattr(plots, name), "pictures"))
    arguments = argparse.Namespace(config=config, npz=npz, run_dir=run_dir, set=sets)
    result = bench_work.nnconf_train(arguments)
    Path(out).write_text(json.dumps({**result, "monitor": seconds}))


# --- the parent: alternating fresh processes -----------------------------------------------------


def _train(work_dir: Path, npz: Path, model: str, on: bool, counter: list[int]) -> dict:
    counter[0] += 1
    base = work_dir / f"{counter[0]:03d}-{model}-{'on' if on else 'off'}"
    _, epochs = TRAINED[model]
    sets = [f"training.epochs={epochs}"] + ([] if on else ["training.diagnostics=false"])
    argv = [python(), "-m", "bench.diagnostics", "--worker", "--config", str(CONFIGS / f"{model}.yaml"),
            "--npz", str(npz), "--run-dir", str(base), "--out", str(base.with_suffix(".json"))]
    argv += [part for value in sets for part in ("--set", value)]
    process = run(argv, log=base.with_suffix(".log"), result=base.with_suffix(".json"))
    return {**process.result, "wall": process.wall}


def _epoch_seconds(result: dict) -> list[float]:
    """Seconds of each epoch after the first (the first traces and compiles), end to end."""
    ends = result["epoch_ends"]
    return [later - earlier for earlier, later in zip(ends, ends[1:])]


def measure(work_dir: Path, reps: int, say) -> dict:
    results, counter = {}, [0]
    for model in MODELS:
        npz = data.make(work_dir, TRAINED[model][0])
        runs = {"on": [], "off": []}
        for rep in range(reps):
            for side in (("on", "off") if rep % 2 == 0 else ("off", "on")):
                runs[side].append(_train(work_dir, npz, model, side == "on", counter))
        epoch_on = [s for r in runs["on"] for s in _epoch_seconds(r)]
        epoch_off = [s for r in runs["off"] for s in _epoch_seconds(r)]
        # The monitor's look at an epoch's end, for the epochs after the first (as the epoch times).
        looks = [s for r in runs["on"] for s in r["monitor"]["epoch_end"][1:]]
        results[model] = {
            "epoch_on": median(epoch_on), "epoch_off": median(epoch_off), "look": median(looks),
            "look_max": max(looks), "begin": median(s for r in runs["on"] for s in r["monitor"]["begin"]),
            "pictures": median(sum(r["monitor"]["pictures"]) for r in runs["on"]),
            "share": median(looks) / median(epoch_on), "runs": reps, "epochs": len(runs["on"][0]["epoch_ends"]),
            "samples_per_epoch": _train_samples(TRAINED[model][0]),
            "wall_on": median(r["wall"] for r in runs["on"]), "wall_off": median(r["wall"] for r in runs["off"]),
            "accuracy_on": median(r["metrics"].get("accuracy", float("nan")) for r in runs["on"]),
            "accuracy_off": median(r["metrics"].get("accuracy", float("nan")) for r in runs["off"]),
            "all_epoch_on": epoch_on, "all_epoch_off": epoch_off, "all_looks": looks,
        }
        row = results[model]
        say(f"  {model}: look {row['look'] * 1000:.0f} ms per epoch of {row['epoch_on']:.2f} s "
            f"({row['share']:.1%}); epoch {row['epoch_on']:.2f} s on, {row['epoch_off']:.2f} s off")
    return results


def render(described: dict, results: dict, command: str, minutes: float) -> str:
    lines = [
        "# Diagnostics benchmark\n",
        f"`{command}` ({minutes:.1f} minutes) on {described['cpu']}, {described['cores']} cores; load average "
        f"{described['load_before']} before, {described['load_after']} after. Each model trained in fresh `nnconf train` "
        "processes with `training.diagnostics` on (the default: a 64-sample monitoring batch looked at before the "
        "first step and at each epoch's end) and off, alternately; times are medians over the epochs after the "
        "first. The monitor's share is measured inside the runs (its hooks timed), which a shared machine's noise "
        "touches far less than the end-to-end difference.\n",
        "| model | epoch (samples) | monitor at an epoch's end | share of the epoch | budget | epoch, diagnostics on "
        "| epoch, off | end to end | once at the start | once at the end (pictures) | whole process, on / off |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, row in results.items():
        lines.append(
            f"| {model} | {row['samples_per_epoch']:,} | {row['look'] * 1000:.0f} ms (max {row['look_max'] * 1000:.0f}) "
            f"| {row['share']:.1%} | {'met' if row['share'] <= LIMIT else 'NOT met'} (5%) | {row['epoch_on']:.2f} s "
            f"| {row['epoch_off']:.2f} s | {row['epoch_on'] / row['epoch_off'] - 1:+.1%} | {row['begin']:.2f} s "
            f"| {row['pictures']:.2f} s | {row['wall_on']:.1f} s / {row['wall_off']:.1f} s |")
    spread = "; ".join(f"{model} {min(row['all_epoch_on'] + row['all_epoch_off']):.2f} to "
                       f"{max(row['all_epoch_on'] + row['all_epoch_off']):.2f} s" for model, row in results.items())
    lines.append(f"\nOn this machine the same epoch took ({spread}) whatever the setting, so the end-to-end "
                 "column is noise; the share measured inside is the figure. The start's cost includes tracing the "
                 "monitor's TensorFlow function, the first of the process: part of it is TensorFlow's one-time set-up "
                 "that the first training step would otherwise pay.")
    lines.append("\nTest accuracy, diagnostics on against off (they change nothing about training: equal with "
                 "the same seed): " + ", ".join(f"{model} {row['accuracy_on']:.4f} / {row['accuracy_off']:.4f}"
                                                for model, row in results.items()) + ".\n")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.diagnostics", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run each way per model")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS-diagnostics.md"), help="where to write the report")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--render", metavar="JSON", help="measure nothing: write the report from a --json file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for option in ("--config", "--npz", "--run-dir", "--out"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work(args.config, args.npz, args.run_dir, args.out, args.set)
        return 0
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        Path(args.output).write_text(render(saved["machine"], saved["results"], **saved["run"]))
        print(f"wrote {args.output} from {args.render}")
        return 0
    work_dir = Path(tempfile.mkdtemp(prefix="nnconf-bench-diagnostics-"))
    described = machine.describe()
    described["load_before"] = machine.load()
    started = time.perf_counter()
    try:
        results = measure(work_dir, 1 if args.quick else 3, lambda text: print(text, flush=True))
    except BenchError as problem:
        print(f"error: {problem}\n(logs are kept in {work_dir})", file=sys.stderr)
        return 1
    minutes = (time.perf_counter() - started) / 60
    described["load_after"] = machine.load()
    command = "python -m bench.diagnostics" + (" --quick" if args.quick else "")
    Path(args.output).write_text(render(described, results, command, minutes))
    if args.json:
        run_settings = {"command": command, "minutes": minutes}
        Path(args.json).write_text(json.dumps({"machine": described, "results": results, "run": run_settings},
                                              indent=1))
    shutil.rmtree(work_dir, ignore_errors=True)
    print(f"wrote {args.output} ({minutes:.1f} minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
