"""``python -m bench.summary_scaling``: what ``nnconf summary`` costs against the number of layers.

Each measurement is a fresh process (``python -m nnconf summary FILE``), as a user runs it: Python's start,
nnconf's imports (no TensorFlow), reading, checking and inferring the config. Two kinds of configs:

- generated ones, a functional ResNet-like graph (Conv2D, BatchNormalization, Activation, Add) of 100 to
  1,200 layers, each layer one compact line as ``nnconf import`` writes it: the cost should grow linearly
  with the layers, and a least-squares line through the points says how well it does;
- the largest keras.applications models (EfficientNetV2L, NASNetLarge, DenseNet201), imported once with
  Keras (``--applications``; this part needs TensorFlow, the timed summaries do not).

Both wall time (the least of the repetitions: others' load only adds to it) and the CPU time of the
process (user + system) are reported.

    python -m bench.summary_scaling                    # generated configs, 5 repetitions each
    python -m bench.summary_scaling --applications     # and the largest applications
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100, 200, 400, 800, 1200)
APPLICATIONS = ("EfficientNetV2L", "NASNetLarge", "DenseNet201")
GOAL_S = 1.0  # for the largest application, in a fresh process


def generated(layers: int) -> str:
    """A functional config of ``layers`` layers: residual units of Conv2D, BatchNormalization, Activation, Add."""
    lines, previous, made = [], "image", 0
    while made < layers - 2:
        unit = f"u{made}"
        lines += [f"    - {{type: Conv2D, name: {unit}_conv, filters: 16, kernel_size: 3, padding: same, "
                  f"use_bias: false, inputs: {previous}}}",
                  f"    - {{type: BatchNormalization, name: {unit}_bn, inputs: {unit}_conv}}",
                  f"    - {{type: Add, name: {unit}_add, inputs: [{previous}, {unit}_bn]}}",
                  f"    - {{type: Activation, name: {unit}_relu, activation: relu, inputs: {unit}_add}}"]
        previous, made = f"{unit}_relu", made + 4
    lines += [f"    - {{type: GlobalAveragePooling2D, name: pool, inputs: {previous}}}",
              "    - {type: Dense, name: logits, units: 10, inputs: pool}"]
    return ("name: generated\ntask: multiclass\nloss: {name: sparse_categorical_crossentropy, from_logits: true}\n"
            "model:\n  inputs: {image: [32, 32, 16]}\n  outputs: logits\n  layers:\n" + "\n".join(lines) + "\n")


def timed_summary(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``nnconf summary`` in a fresh process."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "nnconf", "summary", str(path)], cwd=ROOT, capture_output=True,
                            text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"nnconf summary {path} failed:\n{result.stdout}{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(path: Path, repeats: int) -> dict:
    runs = [timed_summary(path) for _ in range(repeats)]
    walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
    return {"wall_s": min(walls), "cpu_s": min(cpus), "walls": walls, "cpus": cpus}


def layer_count(path: Path) -> int:
    import nnconf  # no TensorFlow: the config's layers as the summary lists them

    return len(nnconf.check(path).inference.layers)


def straight_line(points: list[tuple[float, float]]) -> dict:
    """Least squares ``y = a + b x`` and how far the points are from it."""
    n = len(points)
    mean_x, mean_y = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    total = sum((y - mean_y) ** 2 for _, y in points)
    return {"intercept_s": intercept, "per_layer_ms": slope * 1000, "r_squared": 1 - residual / total if total else 1.0}


def applications(folder: Path) -> list[Path]:
    """The largest applications' configs, imported with Keras (once; TensorFlow is needed here only)."""
    script = ("import sys, warnings, keras\nfrom nnconf.engine.importer import config_from_keras\n"
              "name, out = sys.argv[1], sys.argv[2]\n"
              "model = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3), classes=10)\n"
              "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
              "    text = config_from_keras(model, task='multiclass', loss='sparse_categorical_crossentropy')"
              ".to_yaml(compact=True)\nopen(out, 'w').write(text)\n")
    paths = []
    for name in APPLICATIONS:
        path = folder / f"{name}.yaml"
        subprocess.run([sys.executable, "-c", script, name, str(path)], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary_scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per config (the least counts)")
    parser.add_argument("--applications", action="store_true", help="also the largest keras.applications models")
    parser.add_argument("--json", help="write the measurements to this file too")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="nnconf-summary-"))
    results: dict = {"generated": [], "applications": [], "load_before": os.getloadavg()[0]}
    print(f"{'config':<22} {'layers':>6} {'wall s':>8} {'cpu s':>8}")
    for size in SIZES:
        path = folder / f"generated_{size}.yaml"
        path.write_text(generated(size))
        found = {"config": path.stem, "layers": layer_count(path), **measure(path, args.repeats)}
        results["generated"].append(found)
        print(f"{found['config']:<22} {found['layers']:>6} {found['wall_s']:>8.3f} {found['cpu_s']:>8.3f}", flush=True)
    for key in ("cpu_s", "wall_s"):
        results[f"line_{key}"] = straight_line([(item["layers"], item[key]) for item in results["generated"]])
    if args.applications:
        for path in applications(folder):
            found = {"config": path.stem, "layers": layer_count(path), **measure(path, args.repeats)}
            results["applications"].append(found)
            print(f"{found['config']:<22} {found['layers']:>6} {found['wall_s']:>8.3f} {found['cpu_s']:>8.3f}",
                  flush=True)
    results["load_after"] = os.getloadavg()[0]
    for key in ("cpu_s", "wall_s"):
        line = results[f"line_{key}"]
        print(f"{key[:-2]} time: {line['intercept_s']:.3f} s + {line['per_layer_ms']:.3f} ms per layer "
              f"(r^2 {line['r_squared']:.4f})")
    largest = max(results["applications"], key=lambda item: item["layers"], default=None)
    if largest:
        verdict = "within" if largest["wall_s"] < GOAL_S else "over"
        print(f"largest application {largest['config']} ({largest['layers']} layers): {largest['wall_s']:.3f} s wall, "
              f"{largest['cpu_s']:.3f} s CPU, {verdict} the {GOAL_S:.0f} s goal")
    print(f"load average {results['load_before']:.1f} before, {results['load_after']:.1f} after")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
