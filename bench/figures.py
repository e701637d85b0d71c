"""Each figure of BENCHMARKS.md: nnconf and its baseline, measured alternately in fresh processes."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench import data
from bench.measure import Process, median, nnconf_command, python, run

CONFIGS = Path(__file__).resolve().parent / "configs"

# Forward FLOPs of one sample through the wide MLP's three matmuls (2 * inputs * outputs each);
# training counts the backward pass as twice the forward one (the gradients of the weights and of
# the inputs), so 3x. Biases, activations, the loss and the optimizer's update are left out.
WIDE_LAYERS = [(784, 2048), (2048, 2048), (2048, 10)]
WIDE_FORWARD_FLOPS = sum(2 * n_in * n_out for n_in, n_out in WIDE_LAYERS)
WIDE_TRAINING_FLOPS = 3 * WIDE_FORWARD_FLOPS


@dataclass
class Settings:
    quick: bool
    work: Path  # a temporary folder for data, run directories and logs
    say: Callable[[str], None]
    reps_startup: int = field(init=False)  # repetitions of start-up processes: short, so the noisiest
    reps_train: int = field(init=False)  # repetitions of training processes

    def __post_init__(self) -> None:
        self.reps_startup = 3 if self.quick else 9
        self.reps_train = 1 if self.quick else 3
        self.npz: dict[str, Path] = {}
        self.counter = 0

    def dataset(self, name: str) -> Path:
        if name not in self.npz:
            self.npz[name] = data.make(self.work, name)
        return self.npz[name]

    def fresh(self, stem: str) -> tuple[Path, Path, Path]:
        """A log file, a result file and a run directory no earlier process used."""
        self.counter += 1
        base = self.work / f"{self.counter:03d}-{stem}"
        return base.with_suffix(".log"), base.with_suffix(".json"), base


def _alternating(reps: int, sides: list[str]):
    """(rep, side) pairs, each repetition starting from a different side, so neither side always
    runs first (after the other's caches are warm, or while a neighbour's load is rising)."""
    for rep in range(reps):
        shift = rep % len(sides)
        for side in sides[shift:] + sides[:shift]:
            yield rep, side


# --- start-up: lint, summary, the import of TensorFlow ----------------------------------------------


# What any nnconf command starts with: its dependencies imported and pydantic's first model built
# (with pydantic's plugins off, as the nnconf command has them).
DEPENDENCIES = ("import os\nos.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'\nimport click, yaml, pydantic\n"
                "class First(pydantic.BaseModel):\n    x: int\nFirst(x=1)")


def startup(s: Settings) -> dict:
    """Cold ``nnconf lint configs/``, ``nnconf summary`` of the 60-layer config, a fresh
    ``import tensorflow``, nnconf's dependencies alone and an empty Python, each a fresh process,
    alternately, after one unmeasured run of each (so that every .pyc file exists, as it does after
    a first use)."""
    commands = {
        "lint": [*nnconf_command(), "lint", "configs/"],
        "summary": [*nnconf_command(), "summary", str(CONFIGS / "deep60.yaml")],
        "import tensorflow": [python(), "-c", "import tensorflow"],
        "dependencies": [python(), "-c", DEPENDENCIES],
        "python": [python(), "-c", "pass"],
    }
    for name, command in commands.items():
        log, _, _ = s.fresh(f"warm-{name.replace(' ', '-')}")
        run(command, log=log, ok_codes=(0, 1))
    runs: dict[str, list[Process]] = {name: [] for name in commands}
    for rep, name in _alternating(s.reps_startup, list(commands)):
        log, _, _ = s.fresh(name.replace(" ", "-"))
        runs[name].append(run(commands[name], log=log, ok_codes=(0, 1)))
    s.say("  " + ", ".join(f"{name} {median(p.wall for p in procs):.2f} s" for name, procs in runs.items()))
    parts = []
    for _ in range(3):
        log, out, _ = s.fresh("startup-parts")
        parts.append(run([python(), "-m", "bench.work", "startup-parts", "--config", str(CONFIGS / "deep60.yaml"),
                          "--out", str(out)], log=log, result=out).result)
    return {"runs": {name: [p.__dict__ for p in procs] for name, procs in runs.items()},
            "parts": {part: median(p[part] for p in parts) for part in parts[0]},
            "imports": {name: _imports(s, commands[name]) for name in ("lint", "summary")}}


def _imports(s: Settings, command: list[str]) -> dict:
    """What a command imports (``python -X importtime``): whether TensorFlow is among it, and the
    import time of the heaviest top-level packages (self time summed over their modules)."""
    if Path(command[0]).name == "nnconf":
        command = [python(), "-m", "nnconf", *command[1:]]
    log, _, _ = s.fresh("importtime")
    run([command[0], "-X", "importtime", *command[1:]], log=log, ok_codes=(0, 1))
    by_package: dict[str, float] = {}
    modules = []
    for line in Path(log).read_text(errors="replace").splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        own, name = int(match.group(1)) / 1e6, match.group(4)
        modules.append(name)
        parts = name.split(".")
        package = ".".join(parts[:3]) if parts[0] == "nnconf" else parts[0]
        by_package[package] = by_package.get(package, 0.0) + own
    heaviest = sorted(by_package.items(), key=lambda item: -item[1])[:10]
    return {"tensorflow": any(m.split(".")[0] in ("tensorflow", "keras") for m in modules),
            "total": sum(by_package.values()), "modules": len(modules), "heaviest": heaviest}


# --- building ------------------------------------------------------------------------------------


BUILT = ["mnist_mlp", "small_cnn", "deep60"]


def building(s: Settings) -> dict:
    """``nnconf.build(config)`` against the same models written by hand, TensorFlow already imported:
    the first build of a fresh process (one process per side, alternately), and later builds of both
    sides interleaved in the same processes (the ratio is the median of the paired ratios)."""
    firsts: dict[str, list[dict]] = {"nnconf": [], "keras": []}
    pairs: dict[str, list[list[float]]] = {model: [] for model in BUILT}
    checking: dict[str, list[float]] = {model: [] for model in BUILT}
    for _, side in _alternating(s.reps_train, ["nnconf", "keras"]):
        log, out, _ = s.fresh(f"build-{side}")
        result = run([python(), "-m", "bench.work", "build", "--side", side, "--models", *BUILT,
                      "--reps", "4" if s.quick else "6", "--out", str(out)], log=log, result=out).result
        firsts[side].append(result["first"])
        for model in BUILT:
            pairs[model] += result["pairs"][model]
            checking[model].append(result["checking"][model])
    summary = {}
    for model in BUILT:
        summary[model] = {
            "first": {side: median(r[model] for r in runs) for side, runs in firsts.items()},
            "later": {side: median(p[i] for p in pairs[model]) for i, side in enumerate(("nnconf", "keras"))},
            "ratio": median(n / k for n, k in pairs[model]),
            "rounds": len(pairs[model]),
            "checking": median(checking[model]),
        }
    s.say("  " + ", ".join(f"{m} {v['later']['nnconf'] * 1e3:.0f} ms vs {v['later']['keras'] * 1e3:.0f} ms"
                           for m, v in summary.items()))
    return {"models": summary, "firsts": firsts, "pairs": pairs}


# --- training ------------------------------------------------------------------------------------


TRAINED = {"mnist_mlp": ("mnist", 4), "small_cnn": ("cnn", 3), "wide_mlp": ("wide", 3)}


def _train(s: Settings, side: str, model: str, extra: list[str] | tuple = (), epochs: int | None = None) -> Process:
    dataset, default_epochs = TRAINED[model]
    epochs = epochs or default_epochs
    log, out, run_dir = s.fresh(f"{model}-{side}")
    if side == "keras":
        argv = ["keras-train", "--model", model, "--epochs", str(epochs)]
        run_dir.mkdir()
    else:
        argv = ["nnconf-train", "--config", str(CONFIGS / f"{model}.yaml"), "--set", f"training.epochs={epochs}",
                *extra]
    process = run([python(), "-m", "bench.work", *argv, "--npz", str(s.dataset(dataset)), "--run-dir", str(run_dir),
                   "--out", str(out)], log=log, result=out)
    process.result["throughput"] = _throughput(process.result, _train_samples(dataset))
    return process


def _train_samples(dataset: str) -> int:
    train, _ = data.SIZES[dataset]
    return train - int(round(train * 0.1))  # validation_split 0.1: nnconf and Keras keep the same count


def _throughput(result: dict, samples: int) -> dict:
    """Samples per second over the epochs after the first (the first one traces and compiles):
    ``epoch`` from the end of one epoch to the end of the next (training steps, validation and every
    callback, such as nnconf's checkpoints and TensorBoard logs), ``steps`` from the start of an
    epoch to the start of its validation (the training steps and their input pipeline alone)."""
    ends, begins, tests = result["epoch_ends"], result["epoch_begins"], result["test_begins"]
    later = len(ends) - 1
    steps = sum(tests[e] - begins[e] for e in range(1, len(ends))) if len(tests) >= len(ends) else float("nan")
    return {"epoch": samples * later / (ends[-1] - ends[0]), "steps": samples * later / steps,
            "first_epoch_seconds": ends[0] - result["train_begin"], "samples": samples, "epochs": len(ends)}


def _summarise(processes: list[Process]) -> dict:
    return {
        "epoch": median(p.result["throughput"]["epoch"] for p in processes),
        "steps": median(p.result["throughput"]["steps"] for p in processes),
        "first_epoch_seconds": median(p.result["throughput"]["first_epoch_seconds"] for p in processes),
        "wall": median(p.wall for p in processes),
        "cpu": median(p.cpu for p in processes),
        "peak_mb": median(p.peak_mb for p in processes),
        "accuracy": median(p.result["metrics"].get("accuracy", float("nan")) for p in processes),
        "checkpoint_seconds": median(statistics.mean(p.result["checkpoint_seconds"][1:] or [0])
                                     for p in processes) if "checkpoint_seconds" in processes[0].result else None,
        "all_epoch": [p.result["throughput"]["epoch"] for p in processes],
        "epochs": processes[0].result["throughput"]["epochs"],
        "samples": processes[0].result["throughput"]["samples"],
    }


def training(s: Settings) -> dict:
    """``nnconf train`` (its defaults) against the hand-written ``model.fit`` script, alternately."""
    results = {}
    for model in ("mnist_mlp", "small_cnn"):
        sides = {"nnconf": [], "keras": []}
        for _, side in _alternating(s.reps_train, list(sides)):
            sides[side].append(_train(s, side, model))
        results[model] = {side: _summarise(procs) for side, procs in sides.items()}
        s.say(f"  {model}: " + ", ".join(f"{side} {r['epoch']:.0f} samples/s" for side, r in results[model].items()))
    return results


LEVERS = [
    ("all speed options off (jit_compile false, steps_per_execution 1, cache false, prefetch false)",
     ["--set", "training.jit_compile=false", "--set", "training.steps_per_execution=1",
      "--set", "training.cache=false", "--set", "training.prefetch=false"]),
    ("defaults, steps_per_execution 1 (the default is 32)", ["--set", "training.steps_per_execution=1"]),
    ("defaults, jit_compile true, seed null (with a seed, nnconf enables op determinism and Keras then "
     "turns XLA off)", ["--set", "training.jit_compile=true", "--set", "seed=null"]),
]


def levers(s: Settings) -> dict:
    """One run of the MLP per setting, to show what each option does on this machine (indicative:
    a single repetition each)."""
    rows = []
    for label, extra in LEVERS:
        process = _train(s, "nnconf", "mnist_mlp", extra, epochs=3 if any("jit_compile=true" in part for part in extra) else None)
        rows.append((label, _summarise([process])))
        s.say(f"  {rows[-1][1]['epoch']:.0f} samples/s: {label}")
    return {"rows": rows}


# --- FLOP/s --------------------------------------------------------------------------------------


def flops(s: Settings) -> dict:
    """Training FLOP/s of ``nnconf train`` on the wide MLP against the machine's own float32 matmul
    FLOP/s through TensorFlow (2 n^3 per n x n product)."""
    matmuls = []
    log, out, _ = s.fresh("matmul")
    matmuls.append(run([python(), "-m", "bench.work", "matmul", "--size", "2048", "--reps", "10",
                        "--out", str(out)], log=log, result=out).result)
    ceiling = median(m["flops_median"] for m in matmuls)
    trained = [_train(s, "nnconf", "wide_mlp") for _ in range(1 if s.quick else 2)]
    summary = _summarise(trained)
    achieved = {kind: summary[kind] * WIDE_TRAINING_FLOPS for kind in ("epoch", "steps")}
    s.say(f"  matmul {ceiling / 1e9:.1f} GFLOP/s, nnconf train {achieved['steps'] / 1e9:.1f} GFLOP/s (steps)")
    return {"ceiling": ceiling, "ceiling_best": max(m["flops_best"] for m in matmuls), "achieved": achieved,
            "training": summary, "flops_per_sample": WIDE_TRAINING_FLOPS}


FIGURES = {"startup": startup, "build": building, "training": training, "flops": flops, "levers": levers}
