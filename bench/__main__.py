"""``python -m bench``: measure nnconf against plain Keras and write BENCHMARKS.md.

    python -m bench            # every figure, several repetitions (about ten minutes on 2 cores)
    python -m bench --quick    # fewer repetitions, no levers table (a few minutes)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import figures, machine, report
from bench.measure import ROOT, BenchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, and no table of training options")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write the report")
    parser.add_argument("--only", nargs="+", choices=list(figures.FIGURES), help="measure only these figures")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data, logs, run directories)")
    parser.add_argument("--render", metavar="JSON", help="measure nothing: write the report from a --json file")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        Path(args.output).write_text(report.render(saved["machine"], saved["results"], **saved["run"]))
        print(f"wrote {args.output} from {args.render}")
        return 0

    try:
        import nnconf  # noqa: F401
    except ImportError:
        print("nnconf is not importable: install it first (pip install -e .)", file=sys.stderr)
        return 2
    names = args.only or [name for name in figures.FIGURES if not (args.quick and name == "levers")]
    work = Path(tempfile.mkdtemp(prefix="nnconf-bench-"))
    settings = figures.Settings(quick=args.quick, work=work, say=lambda text: print(text, flush=True))
    described = machine.describe()
    started = time.perf_counter()
    results = {}
    try:
        for name in names:
            print(f"{name}...", flush=True)
            results[name] = figures.FIGURES[name](settings)
    except BenchError as problem:
        print(f"error: {problem}\n(data, logs and run directories are kept in {work})", file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    described["load_after"] = machine.load()
    minutes = (time.perf_counter() - started) / 60
    command = "python -m bench" + (" --quick" if args.quick else "") + (f" --only {' '.join(args.only)}" if args.only else "")
    run = {"quick": args.quick, "command": command, "minutes": minutes}
    Path(args.output).write_text(report.render(described, results, **run))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": described, "results": results, "run": run}, indent=1))
    print(f"wrote {args.output} ({minutes:.1f} minutes)" + (f"; kept {work}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
