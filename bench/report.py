"""BENCHMARKS.md from the measured figures."""

from __future__ import annotations

import math

import yaml

from bench.figures import BUILT, CONFIGS, WIDE_LAYERS, WIDE_TRAINING_FLOPS
from bench.measure import median

MODEL_NAMES = {"mnist_mlp": "MNIST-shaped MLP (784-128-10, batch 128)",
               "small_cnn": "small CNN (2 conv + dense, batch 128)", "deep60": "60-layer MLP (deep60.yaml)",
               "wide_mlp": "wide MLP (784-2048-2048-10, batch 512)"}


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.995 else f"{seconds * 1e3:.0f} ms"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"


def _x(ratio: float) -> str:
    return "n/a" if math.isnan(ratio) else f"{ratio:.2f}x"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _walls(runs: list[dict]) -> float:
    return median(r["wall"] for r in runs)


def render(machine: dict, results: dict, *, quick: bool, command: str, minutes: float) -> str:
    out: list[str] = []
    add = out.append
    add("# Benchmarks\n")
    add(f"nnconf against the plain Keras it replaces, measured side by side in one run of `{command}` "
        f"({minutes:.1f} minutes{', quick mode: fewer repetitions' if quick else ''}). "
        "Every measurement is a fresh process; nnconf and its baseline run alternately, and each figure is the "
        "median of its repetitions. The machines these run on are shared and noisy: read the ratios, not the "
        "absolute times.\n")
    add("| machine | |\n|---|---|")
    for key in ("date", "cpu", "cores", "memory", "os", "python", "tensorflow", "keras", "nnconf"):
        add(f"| {key} | {machine[key]} |")
    add(f"| load average (1/5/15 min) | {machine['load_before']} before, {machine.get('load_after', '?')} after |\n")

    goals: list[str] = []
    add("## Results\n")
    add("| figure | nnconf | baseline | ratio | goal | |")
    add("|---|---|---|---|---|---|")
    start = results.get("startup")
    if start:
        runs = start["runs"]
        lint, tf, summary, empty = (_walls(runs[k]) for k in ("lint", "import tensorflow", "summary", "python"))
        add(f"| cold `nnconf lint configs/` (fresh process) | {_s(lint)} | {_s(tf)} (fresh `python -c \"import "
            f"tensorflow\"`) | {_x(lint / tf)} | <= 0.1x | {_met(lint / tf <= 0.1)} |")
        add(f"| `nnconf summary` of a 60-layer config (fresh process) | {_s(summary)} | {_s(tf)} (same) | "
            f"{_x(summary / tf)} | < 0.3 s | {_met(summary < 0.3)} |")
        goals.append(_startup_why(lint, tf, summary, empty, start))
    build = results.get("build")
    if build:
        for model in BUILT:
            m = build["models"][model]
            ratio = m["ratio"]
            add(f"| `nnconf.build(config)`, {MODEL_NAMES[model]}, later builds | {_ms(m['later']['nnconf'])} | "
                f"{_ms(m['later']['keras'])} (written by hand) | {_x(ratio)} | <= 1.1x | {_met(ratio <= 1.1)} |")
        m = build["models"][BUILT[0]]
        ratio = m["first"]["nnconf"] / m["first"]["keras"]
        add(f"| `nnconf.build(config)`, {MODEL_NAMES[BUILT[0]]}, the first build of a process | "
            f"{_ms(m['first']['nnconf'])} | {_ms(m['first']['keras'])} (written by hand) | {_x(ratio)} | "
            f"<= 1.1x | {_met(ratio <= 1.1)} |")
        goals.append(_build_why(build))
    train = results.get("training")
    if train:
        for model, sides in train.items():
            ratio = sides["nnconf"]["epoch"] / sides["keras"]["epoch"]
            add(f"| `nnconf train` samples/s, {MODEL_NAMES[model]}, {sides['nnconf']['epochs']} epochs | "
                f"{sides['nnconf']['epoch']:,.0f} | {sides['keras']['epoch']:,.0f} (`model.fit(x, y, batch_size=...)`)"
                f" | {_x(ratio)} | >= 1.3x | {_met(ratio >= 1.3)} |")
    flops = results.get("flops")
    if flops:
        fraction = flops["achieved"]["epoch"] / flops["ceiling"]
        add(f"| training FLOP/s, {MODEL_NAMES['wide_mlp']}, `nnconf train` | {flops['achieved']['epoch'] / 1e9:.1f} "
            f"GFLOP/s | {flops['ceiling'] / 1e9:.1f} GFLOP/s (float32 2048x2048 matmul) | {fraction:.0%} | report | "
            f"reported |")
    if start:
        runs = start["runs"]
        add(f"| peak memory, `nnconf lint configs/` | {median(r['peak_mb'] for r in runs['lint']):.0f} MB | "
            f"{median(r['peak_mb'] for r in runs['python']):.0f} MB (`python -c pass`) | "
            f"{_x(median(r['peak_mb'] for r in runs['lint']) / median(r['peak_mb'] for r in runs['python']))} | "
            "report | reported |")
    if train:
        sides = train["mnist_mlp"]
        add(f"| peak memory, `nnconf train`, {MODEL_NAMES['mnist_mlp']} | {sides['nnconf']['peak_mb']:.0f} MB | "
            f"{sides['keras']['peak_mb']:.0f} MB (the hand-written Keras script) | "
            f"{_x(sides['nnconf']['peak_mb'] / sides['keras']['peak_mb'])} | report | reported |")
    add("")
    add("Ratios are nnconf / baseline: below 1 is faster for times, above 1 is faster for samples/s.\n")

    if train:
        goals.append(_training_why(train, results.get("levers")))
    if flops:
        goals.append(_flops_text(flops))
    if start or train:
        goals.append(_memory_text(start, train))
    add("## Goals: met, not met, and why\n")
    add("\n".join(goals))

    if train:
        add(_training_details(train))
    if results.get("levers"):
        add(_levers_table(results["levers"], train))
    if start:
        add(_startup_details(start))
    if build:
        add(_build_details(build))
    add(_method())
    return "\n".join(out).rstrip() + "\n"


# --- the why of each goal ------------------------------------------------------------------------


def _startup_why(lint: float, tf: float, summary: float, empty: float, start: dict) -> str:
    imports = start["imports"]
    heavy = ", ".join(f"`{name}` {seconds * 1e3:.0f} ms" for name, seconds in imports["summary"]["heaviest"][:6])
    tf_free = not imports["lint"]["tensorflow"] and not imports["summary"]["tensorflow"]
    text = [f"- **Start-up.** `nnconf lint configs/` takes {_s(lint)} in a fresh process, {_x(lint / tf)} of a "
            f"fresh `import tensorflow` ({_s(tf)}): the goal (<= 0.1x) is {_met(lint / tf <= 0.1)}. "
            f"`nnconf summary` of the 60-layer config takes {_s(summary)}: the goal (< 0.3 s) is "
            f"{_met(summary < 0.3)}. "
            + ("Neither imports TensorFlow or Keras (checked with `python -X importtime` in this run)." if tf_free
               else "**TensorFlow or Keras is imported on this path** (seen with `python -X importtime`).")]
    parts = start.get("parts")
    if parts:
        text.append(f"  Where the summary's time goes, measured inside one process: importing `nnconf.api` (its "
                    f"config schema classes) {_s(parts['import nnconf'])}, the first check of the config "
                    f"{_s(parts['first check'])} (pydantic completes its validators on first use), the same check "
                    f"again {_s(parts['second check'])}, formatting {_s(parts['format'])}; an empty Python starts in "
                    f"{_s(empty)}.")
    runs = start["runs"]
    if "dependencies" in runs:
        floor = _walls(runs["dependencies"])
        text.append(f"  A fresh process that only imports nnconf's dependencies (pydantic, PyYAML, click) and builds "
                    f"one pydantic model takes {_s(floor)}; nnconf's own share of the summary is the rest, "
                    f"{_s(summary - floor)}: importing its schema classes, reading, validating and inferring the "
                    f"60 layers, and printing.")
    if summary >= 0.3:
        text.append(f"  So the summary's goal is out of reach for any pydantic-based tool on this machine unless its "
                    f"own share is under {_s(max(0.3 - _walls(runs.get('dependencies', runs['python'])), 0))}. "
                    "What nnconf does about it: a config builds the validators of only the layer types, losses, "
                    "optimizers and other named specs it uses (`ChosenBy` in `nnconf/config/base.py`), imports only "
                    f"the layer families it uses, and defers its default sections; heaviest imports under "
                    f"`-X importtime` (which inflates them): {heavy}.")
    return "\n".join(text)


def _build_why(build: dict) -> str:
    models = build["models"]
    later_met = all(models[m]["ratio"] <= 1.1 for m in BUILT)
    first = models[BUILT[0]]
    first_ratio = first["first"]["nnconf"] / first["first"]["keras"]
    once = (first["first"]["nnconf"] - first["later"]["nnconf"]) - (first["first"]["keras"] - first["later"]["keras"])
    parts = [f"{MODEL_NAMES[m]} {_x(models[m]['ratio'])} ({_ms(models[m]['later']['nnconf'])} against "
             f"{_ms(models[m]['later']['keras'])})" for m in BUILT]
    checking = "; ".join(f"{_ms(models[m]['checking'])} for the {MODEL_NAMES[m].split(' (')[0]}" for m in BUILT)
    text = (f"- **Building.** Later builds (TensorFlow and nnconf imported, the process has built before): "
            + "; ".join(parts) + f". Goal (<= 1.1x): {_met(later_met)}. "
            f"`nnconf.build(path)` does more than the hand-written code: it reads the YAML, validates it, infers "
            f"every shape and runs every lint rule, then builds the same Keras layers and compiles. That checking "
            f"takes {checking} (measured alone); the rest is the same Keras building and compiling (nnconf also "
            "seeds Keras's random generators from the config's seed), so a later build's ratio further from 1 "
            "than the checking explains, in either direction, is within this shared machine's noise. "
            f"The first build of a process (the MLP, built first in every process) is another matter: "
            f"{_ms(first['first']['nnconf'])} against {_ms(first['first']['keras'])}, {_x(first_ratio)}, goal "
            f"{_met(first_ratio <= 1.1)}")
    if first_ratio > 1.1:
        text += (f". nnconf's first build carries about {_ms(once)} more one-time work than the hand-written "
                 "code's: pydantic building the validators of the schema parts the config uses on their first use "
                 "(see *Start-up*: the first check of a config) and the first run of the lint rules; a process "
                 "pays it once, and then builds at the later builds' ratio")
    return text + "."


def _lever(levers: dict | None, words: str) -> dict | None:
    for label, row in (levers or {}).get("rows", []):
        if words in label:
            return row
    return None


def _training_why(train: dict, levers: dict | None) -> str:
    lines = ["- **Training throughput.** `nnconf train` with its defaults against the idiomatic "
             "`model.compile(...)` + `model.fit(x, y, batch_size=..., validation_split=0.1)`, samples/s over whole "
             "epochs:"]
    for model, sides in train.items():
        ratio = sides["nnconf"]["epoch"] / sides["keras"]["epoch"]
        lines.append(f"  - {MODEL_NAMES[model]}: {_x(ratio)}, goal (>= 1.3x) {_met(ratio >= 1.3)}; training steps "
                     f"alone {_x(sides['nnconf']['steps'] / sides['keras']['steps'])}{_overlap(sides)}.")
    defaults = train["mnist_mlp"]["nnconf"]["epoch"]

    def versus(words: str) -> str:
        row = _lever(levers, words)
        return f"{_x(row['epoch'] / defaults)} of the defaults' samples/s" if row else "(not measured in a --quick run)"

    mlp = train["mnist_mlp"]
    lines.append(
        "  Why, measured (option figures are single MLP runs from the table of training options below, "
        "relative to the defaults' median; a `--quick` run leaves that table out):\n"
        "  - `jit_compile: auto` (the default) is XLA where every layer supports it, on a GPU only: Keras's rule "
        "leaves it off on a machine without a GPU, and nnconf also for a run placed on a CPU beside a GPU. "
        f"Forcing XLA on this CPU (`jit_compile: true`): {versus('jit_compile true')}. (With a `seed`, nnconf "
        "enables TensorFlow's op determinism and Keras then turns XLA off even on a GPU, so `jit_compile: true` "
        "with a seed is silently not XLA.)\n"
        "  - `steps_per_execution` is the lever that pays on a CPU for small models, whose steps are short "
        "enough that the Python and callback work around each step is a large share; its default is 32. "
        f"Back at 1: {versus('steps_per_execution 1')} on the MLP. Any value is sound: nnconf gives Keras one "
        "epoch per pass, so Keras ends each epoch's last execution early, and histories with "
        "`steps_per_execution` 7 (which does not divide sklearn digits' 41 steps) are identical to those with "
        "1 (`tests/test_fast_defaults.py`). Each epoch's batches are gathered from the training set in an "
        "order keyed by the seed and the epoch, so a killed and resumed run still ends exactly where an "
        "uninterrupted one does.\n"
        f"  - `cache` and `prefetch` are on by default already; with every speed option off: "
        f"{versus('all speed options off')}.\n"
        "  - An nnconf epoch does more than the Keras script's: a checkpoint after every epoch (model and "
        "optimizer state, and `best.keras` when the monitored value improves; "
        f"{_s(mlp['nnconf']['checkpoint_seconds'] or 0)} per epoch on the MLP, included in its figure), the "
        "history files, the TensorBoard callback (on by default), and a check of every step's loss for NaN. "
        "The last two have per-batch hooks, which make Keras convert each step's logs to Python numbers "
        "before the next step starts (it dispatches batch callbacks asynchronously only when no callback has "
        "such hooks), and nnconf turns on op determinism whenever a config has a seed. This benchmark does not "
        "single out one of these above its noise (in-process trials while writing it did not either); "
        "`steps_per_execution` > 1 turns every per-step cost into a per-execution one.")
    if "small_cnn" in train:
        cnn = train["small_cnn"]
        batch_size = yaml.safe_load((CONFIGS / "small_cnn.yaml").read_text())["training"]["batch_size"]
        step_ms = 1e3 * batch_size / cnn["keras"]["steps"]
        lines.append(
            f"  - The small CNN's training step takes {step_ms:.0f} ms in the Keras script, nearly all of it in "
            "the convolutions, which both sides run with the same TensorFlow kernels; the per-step work that "
            "nnconf's defaults remove (Python and callbacks around each step, the input pipeline) is a few "
            "percent of that, so no option that leaves the results unchanged brings it to 1.3x on a CPU. "
            "Options that would change the results (bfloat16 or float16 compute, a larger batch) are the "
            "user's choice, not a default.")
    return "\n".join(lines)


def _overlap(sides: dict) -> str:
    """Where the repetitions of the two sides overlap, the medians' order is noise, and saying so."""
    ranges = {side: (min(sides[side]["all_epoch"]), max(sides[side]["all_epoch"])) for side in ("nnconf", "keras")}
    if ranges["nnconf"][0] > ranges["keras"][1] or ranges["keras"][0] > ranges["nnconf"][1]:
        return ""
    spans = ", ".join(f"{side} {low:,.0f} to {high:,.0f}" for side, (low, high) in ranges.items())
    return f" (the repetitions overlap, {spans} samples/s: this run cannot tell the two sides apart)"


def _flops_text(flops: dict) -> str:
    t = flops["training"]
    return (f"- **FLOP/s.** `nnconf train` on the {MODEL_NAMES['wide_mlp']} runs "
            f"{flops['achieved']['epoch'] / 1e9:.1f} GFLOP/s over whole epochs (validation and checkpoints "
            f"included) and {flops['achieved']['steps'] / 1e9:.1f} GFLOP/s in its training steps alone, "
            f"{flops['achieved']['epoch'] / flops['ceiling']:.0%} and {flops['achieved']['steps'] / flops['ceiling']:.0%} "
            f"of this machine's float32 matmul rate through TensorFlow ({flops['ceiling'] / 1e9:.1f} GFLOP/s, "
            f"median of 2048x2048 products; best {flops['ceiling_best'] / 1e9:.1f}). Counting: "
            f"{flops['flops_per_sample'] / 1e6:.1f} MFLOP per training sample = 3 x the forward matmuls "
            f"(2 x inputs x outputs for each of {', '.join(f'{a}x{b}' for a, b in WIDE_LAYERS)}); the backward "
            f"pass counts as twice the forward one; biases, activations, loss and optimizer are not counted. "
            f"{t['samples']:,} training samples, {t['epochs']} epochs, the first excluded.")


def _memory_text(start: dict | None, train: dict | None) -> str:
    text = "- **Peak memory** (maximum resident set size of the process), reported, no goal."
    if start:
        runs = start["runs"]
        text += (f" `nnconf lint configs/` peaks at {median(r['peak_mb'] for r in runs['lint']):.0f} MB, an empty "
                 f"Python at {median(r['peak_mb'] for r in runs['python']):.0f} MB, a bare `import tensorflow` at "
                 f"{median(r['peak_mb'] for r in runs['import tensorflow']):.0f} MB.")
    if train:
        for model, sides in train.items():
            text += (f" `nnconf train` of the {MODEL_NAMES[model]} peaks at {sides['nnconf']['peak_mb']:.0f} MB "
                     f"against {sides['keras']['peak_mb']:.0f} MB for the Keras script.")
    return text


# --- details -------------------------------------------------------------------------------------


def _training_details(train: dict) -> str:
    rows = ["\n## Training details\n",
            "Samples per second over the epochs after the first (which traces and compiles). *Epoch*: from the "
            "end of one epoch to the end of the next, as a user waits for it: training steps, validation, and "
            "every callback (nnconf's checkpoints, history files and TensorBoard logs). *Steps*: from the start "
            "of an epoch to the start of its validation: the training steps and their input pipeline alone. "
            "*Process*: the whole command, from start to exit (imports, data, building, training, the final "
            "test evaluation and the saved model). *Checkpoint*: the seconds nnconf's checkpoint callback takes "
            "at an epoch's end (included in *epoch*).\n",
            "| model | run | samples/s (epoch) | samples/s (steps) | first epoch | process | CPU time | peak memory "
            "| checkpoint | test accuracy | each repetition (epoch samples/s) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    labels = {"nnconf": "`nnconf train` (defaults)", "keras": "hand-written Keras"}
    for model, sides in train.items():
        for side in ("keras", "nnconf"):
            r = sides[side]
            checkpoint = "" if r["checkpoint_seconds"] is None else _s(r["checkpoint_seconds"])
            rows.append(f"| {MODEL_NAMES[model]} | {labels[side]} | {r['epoch']:,.0f} | {r['steps']:,.0f} | "
                        f"{_s(r['first_epoch_seconds'])} | {_s(r['wall'])} | {_s(r['cpu'])} | {r['peak_mb']:.0f} MB | "
                        f"{checkpoint} | {r['accuracy']:.3f} | {', '.join(f'{v:,.0f}' for v in r['all_epoch'])} |")
    rows.append(f"\nData: generated MNIST-shaped uint8 images (labels follow from the pixels, so the models "
                f"learn); {train['mnist_mlp']['nnconf']['samples']:,} training samples for the MLP, "
                f"{train['small_cnn']['nnconf']['samples']:,} for the CNN, 10% more held out for validation, "
                "the same arrays on both sides. Test accuracies differ a little between the sides because "
                "nnconf shuffles before holding out validation samples and Keras's `validation_split` takes "
                "the last ones.")
    return "\n".join(rows)


def _levers_table(levers: dict, train: dict | None) -> str:
    rows = ["\n## What each training option does here (MLP, one run each: indicative)\n",
            "| setting | samples/s (epoch) | samples/s (steps) | first epoch | epochs |", "|---|---|---|---|---|"]
    if train:
        r = train["mnist_mlp"]["nnconf"]
        rows.append(f"| defaults (from the results, median) | {r['epoch']:,.0f} | {r['steps']:,.0f} | "
                    f"{_s(r['first_epoch_seconds'])} | {r['epochs']} |")
    for label, r in levers["rows"]:
        rows.append(f"| {label} | {r['epoch']:,.0f} | {r['steps']:,.0f} | {_s(r['first_epoch_seconds'])} | "
                    f"{r['epochs']} |")
    return "\n".join(rows)


def _startup_details(start: dict) -> str:
    rows = ["\n## Start-up details\n", "| command (fresh process) | median | each repetition | peak memory |",
            "|---|---|---|---|"]
    names = {"lint": "`nnconf lint configs/`", "summary": "`nnconf summary bench/configs/deep60.yaml`",
             "import tensorflow": "`python -c \"import tensorflow\"`",
             "dependencies": "nnconf's dependencies alone (import pydantic, yaml, click; one pydantic model)",
             "python": "`python -c pass`"}
    for key, label in names.items():
        if key not in start["runs"]:
            continue
        runs = start["runs"][key]
        rows.append(f"| {label} | {_s(_walls(runs))} | {', '.join(_s(r['wall']) for r in runs)} | "
                    f"{median(r['peak_mb'] for r in runs):.0f} MB |")
    for key in ("lint", "summary"):
        imports = start["imports"][key]
        rows.append(f"\nImports of `nnconf {key}` (`python -X importtime`, self time by package): TensorFlow "
                    f"{'**imported**' if imports['tensorflow'] else 'not imported'}; {imports['modules']} modules; "
                    + ", ".join(f"`{name}` {seconds * 1e3:.0f} ms" for name, seconds in imports["heaviest"]) + ".")
    return "\n".join(rows)


def _build_details(build: dict) -> str:
    rows = ["\n## Build details\n",
            "Seconds for `nnconf.build(path)` (read, validate, infer shapes, lint, build, compile) and for the same "
            "model written by hand (build, compile; `bench/models.py`), TensorFlow and nnconf imported before "
            "timing, `keras.backend.clear_session()` before each build. *First*: the first build of a fresh "
            "process, one process per side, alternately (median over processes); the MLP is built first in every "
            "process, so its *first* is the process's first build, and the other models' come after it. *Later*: "
            "in the same processes, "
            "rounds in which both sides build the model one right after the other, in alternating order; the "
            "ratio is the median of the per-round ratios.\n",
            "| model | nnconf first | Keras first | nnconf later | Keras later | ratio (later) | rounds | nnconf's checking alone |",
            "|---|---|---|---|---|---|---|---|"]
    for model in BUILT:
        m = build["models"][model]
        rows.append(f"| {MODEL_NAMES[model]} | {_ms(m['first']['nnconf'])} | {_ms(m['first']['keras'])} | "
                    f"{_ms(m['later']['nnconf'])} | {_ms(m['later']['keras'])} | {_x(m['ratio'])} | {m['rounds']} | "
                    f"{_ms(m['checking'])} |")
    return "\n".join(rows) + "\n"


def _method() -> str:
    return (f"\n## How it is measured\n\n"
            "- `python -m bench` (add `--quick` for fewer repetitions) generates the data, runs every "
            "measurement as a fresh process (`python -m bench.work ...` or the `nnconf` command itself) and writes "
            "this file. Wall time is the parent's clock around the process; peak memory is the process's own "
            "maximum resident set size (`wait4`).\n"
            "- nnconf and the baseline alternate, each repetition starting from a different side; the figure is "
            "the median over repetitions.\n"
            "- `nnconf train` runs through its own command line with its defaults; the only addition is a "
            "callback that notes the time at epoch boundaries (no per-batch hooks). The Keras side is "
            "`bench/work.py keras_train` with the models of `bench/models.py`, the same layers as "
            "`bench/configs/*.yaml`; both sides fit with `verbose=2` (what `nnconf train` uses when its "
            "output is not a terminal).\n"
            f"- FLOP counting: {WIDE_TRAINING_FLOPS / 1e6:.1f} MFLOP per training sample of the wide MLP "
            "(see the FLOP/s paragraph).\n"
            "- This is a benchmark, not a test: nothing here asserts a time.")
