"""``python -m bench.sweep``: what a sweep costs and what pruning saves.

    python -m bench.sweep               # 16 trials with pruning, 16 without, and the overhead of a trial
    python -m bench.sweep --trials 8    # a shorter run

Measures, each as a fresh ``nnconf`` process on the benchmark's MNIST-shaped MLP
(bench/configs/mnist_mlp.yaml and its generated data):

- a 16-trial ``nnconf sweep`` with Optuna's median pruner against the same sweep without pruning
  (two pairs, in alternating order): wall time, trials pruned, epochs trained, and the best
  val_accuracy each reaches. Both use the same sampler seed, so their first ten (TPE's random
  start-up) trials try the same values;
- the overhead of a trial: ``nnconf sweep`` of a one-trial study whose only searched value is the
  config's own learning rate (so its trial trains exactly the config) against ``nnconf train`` of
  the same config and against nnconf's ``train()`` of it timed inside its process, alternately, the
  median of three each.

Writes BENCHMARKS-sweep.md (and, with --json, the raw measurements).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import yaml

from bench import data, machine
from bench.measure import ROOT, BenchError, median, nnconf_command, python, run

CONFIG = ROOT / "bench" / "configs" / "mnist_mlp.yaml"
SPACE = {
    "optimizer.learning_rate": {"log_uniform": [1.0e-4, 1.0e-1]},
    "model.layers[1].units": {"choice": [32, 64, 128, 256]},
    "model.layers[2].rate": {"uniform": [0.0, 0.5]},
}
OWN_VALUES_ONLY = 'search.space={"optimizer.learning_rate": {"choice": [0.001]}}'  # the config's own rate
# nnconf's train() in a fresh process, timed from after the imports to its end: what a trial does
# besides asking Optuna, checking its sampled config and reporting each epoch.
TRAIN_IN_PROCESS = """
import json, sys, time
from nnconf.engine.train import train
config, npz, run_dir, out = sys.argv[1:]
start = time.perf_counter()
train(config, [f"data.path={npz}", "search=null"], run_dir=run_dir)
json.dump({"seconds": time.perf_counter() - start}, open(out, "w"))
"""


def sweep_config(work: Path, trials: int) -> Path:
    """The benchmark's MLP config with a search section."""
    search = {"search": {"metric": "val_accuracy", "trials": trials, "seed": 7, "space": SPACE}}
    path = work / "mnist_mlp_sweep.yaml"
    path.write_text(CONFIG.read_text() + "\n" + yaml.safe_dump(search, sort_keys=False))
    return path


def _sweep(work: Path, config: Path, npz: Path, pruner: str, *extra: str) -> dict:
    sweep_dir = work / f"sweep-{pruner}-{time.monotonic_ns()}"
    process = run([*nnconf_command(), "sweep", str(config), "--set", f"data.path={npz}", "--set",
                   f"search.pruner={pruner}", "--sweep-dir", str(sweep_dir), *extra],
                  log=sweep_dir.with_suffix(".log"), cwd=work)
    study = _study(sweep_dir / "study.db")
    study["wall"] = process.wall
    return study


def _study(database: Path) -> dict:
    """States, values and trial seconds, read from the study's SQLite file (Optuna's own tables)."""
    with sqlite3.connect(database) as connection:
        trials = connection.execute(
            "SELECT t.number, t.state, v.value, "
            "(julianday(t.datetime_complete) - julianday(t.datetime_start)) * 86400, "
            "(SELECT COUNT(*) FROM trial_intermediate_values i WHERE i.trial_id = t.trial_id) "
            "FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id ORDER BY t.number").fetchall()
    values = [value for _, state, value, _, _ in trials if state == "COMPLETE"]
    return {"states": [state for _, state, _, _, _ in trials], "best": max(values) if values else None,
            "trial_seconds": [seconds for _, _, _, seconds, _ in trials],
            "epochs": [epochs for _, _, _, _, epochs in trials]}


def pruning(work: Path, config: Path, npz: Path, say, reps: int) -> dict:
    """Pairs of sweeps, with pruning and without, in alternating order (the machine's load drifts)."""
    results: dict[str, list[dict]] = {"median": [], "none": []}
    for rep in range(reps):
        for pruner in ("median", "none") if rep % 2 == 0 else ("none", "median"):
            r = _sweep(work, config, npz, pruner)
            results[pruner].append(r)
            say(f"  pruner {pruner}: {r['wall']:.0f} s, best val_accuracy {r['best']:.4f}, "
                f"{r['states'].count('PRUNED')} pruned, {sum(r['epochs'])} epochs")
    return results


def overhead(work: Path, config: Path, npz: Path, say, reps: int = 3) -> dict:
    """A one-trial sweep that trains exactly the config, against nnconf train of it and against its
    train() alone, alternately."""
    seconds: dict[str, list[float]] = {"train": [], "sweep": [], "trial": [], "train()": []}
    sides = ("train", "sweep", "train()")
    for rep in range(reps):
        for side in sides[rep % 3:] + sides[:rep % 3]:
            run_dir = work / f"{'train-in-process' if side == 'train()' else side}-{rep}"
            if side == "train":
                process = run([*nnconf_command(), "train", str(config), "--set", f"data.path={npz}", "--set",
                               "search=null", "--run-dir", str(run_dir)], log=run_dir.with_suffix(".log"), cwd=work)
                seconds["train"].append(process.wall)
            elif side == "train()":
                out = run_dir.with_suffix(".json")
                process = run([python(), "-c", TRAIN_IN_PROCESS, str(config), str(npz), str(run_dir), str(out)],
                              log=run_dir.with_suffix(".log"), cwd=work, result=out)
                seconds["train()"].append(process.result["seconds"])
            else:
                study = _sweep(work, config, npz, "none", "--set", "search.trials=1", "--set", OWN_VALUES_ONLY)
                seconds["sweep"].append(study["wall"])
                seconds["trial"].append(study["trial_seconds"][0])
    result = {name: median(values) for name, values in seconds.items()}
    result["all"] = seconds
    say(f"  nnconf train {result['train']:.1f} s (its train() {result['train()']:.1f} s), one-trial nnconf sweep "
        f"{result['sweep']:.1f} s (its trial {result['trial']:.1f} s)")
    return result


def render(described: dict, results: dict, trials: int, minutes: float) -> str:
    pairs, cost = results["pruning"], results["overhead"]
    lines = [
        "# Sweep benchmark\n",
        f"`python -m bench.sweep --trials {trials}` ({minutes:.1f} minutes) on {described['cpu']}, "
        f"{described['cores']} cores; load average {described['load_before']} before, "
        f"{described.get('load_after', '?')} after. {len(pairs['none'])} pair(s) of sweeps, with and without "
        "pruning, in alternating order (each is minutes long); the overhead figures are medians of three "
        "alternating runs. Shared, noisy machine: read the ratios.\n",
        f"## {trials}-trial sweep of the benchmark MLP, with and without pruning\n",
        "| | " + " | ".join(f"median pruner #{n + 1} | no pruning #{n + 1}" for n in range(len(pairs["none"]))) + " |",
        "|---|" + "---|---|" * len(pairs["none"]),
    ]
    both = [run for pair in zip(pairs["median"], pairs["none"]) for run in pair]
    for label, cell in [("wall time (whole `nnconf sweep` process)", lambda r: f"{r['wall']:.0f} s"),
                        ("best val_accuracy", lambda r: f"{r['best']:.4f}"),
                        ("trials pruned", lambda r: str(r["states"].count("PRUNED"))),
                        ("epochs trained (all trials)", lambda r: str(sum(r["epochs"]))),
                        ("mean seconds per trial", lambda r: f"{_mean(r['trial_seconds']):.1f}")]:
        lines.append(f"| {label} | " + " | ".join(cell(run) for run in both) + " |")
    lines += [
        "",
        "## The overhead of a trial\n",
        "| | seconds |", "|---|---|",
        f"| `nnconf train` (whole process) | {cost['train']:.1f} |",
        f"| nnconf's `train()` of the same config, timed inside a fresh process (after its imports) | "
        f"{cost['train()']:.1f} |",
        f"| one-trial `nnconf sweep` of the same config (whole process) | {cost['sweep']:.1f} |",
        f"| its trial (start to end, as the study records it) | {cost['trial']:.1f} |",
        f"| **per trial**: the trial against `train()` | {cost['trial'] - cost['train()']:+.1f} "
        f"({cost['trial'] / cost['train()'] - 1:+.0%}) |",
        f"| **per sweep**: the sweep process against `nnconf train`, the trials' own time aside | "
        f"{(cost['sweep'] - cost['trial']) - (cost['train'] - cost['train()']):+.1f} |\n",
        "The trial trains what `train()` trains; besides, it asks Optuna for its values, validates and lints "
        "its config, reports each epoch to the pruner and writes trial.json. The sweep process besides imports "
        "Optuna, opens the study, and at the end writes best.yaml and draws the three pictures.\n",
    ]
    return "\n".join(lines)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=16, help="trials of each sweep")
    parser.add_argument("--reps", type=int, default=2, help="pairs of sweeps, with pruning and without")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS-sweep.md"), help="where to write the report")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="nnconf-bench-sweep-"))
    described = machine.describe()
    started = time.perf_counter()
    try:
        npz = data.make(work, "mnist")
        config = sweep_config(work, args.trials)
        print("pruning...", flush=True)
        results = {"pruning": pruning(work, config, npz, print, args.reps)}
        print("overhead...", flush=True)
        results["overhead"] = overhead(work, config, npz, print)
        described["load_after"] = machine.load()
    except BenchError as problem:
        print(f"error: {problem}\n(logs are kept in {work})")
        return 1
    minutes = (time.perf_counter() - started) / 60
    Path(args.output).write_text(render(described, results, args.trials, minutes))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": described, "results": results}, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.output} ({minutes:.1f} minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
