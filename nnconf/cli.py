"""The ``nnconf`` command line: a thin layer over the Python API.

Exit codes: 0 when all is well, 1 when a config has errors, 2 for a wrong command line.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import re
import stat
import sys
import warnings
from pathlib import Path

import click

# The command line is its own process: pydantic's search of every installed package for plugins
# would only slow its start (library users keep their plugins: this is set for the CLI alone).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from nnconf import __version__, api  # noqa: E402
from nnconf.config.suggest import did_you_mean  # noqa: E402
from nnconf.findings import Finding, Severity  # noqa: E402
from nnconf.formats import FORMATS, counts, render, text_lines  # noqa: E402

SET_HELP = "Override a config value, e.g. --set optimizer.learning_rate=3e-4 (repeatable)."


def _parsed_overrides(ctx, param, expressions: tuple[str, ...]) -> tuple[str, ...]:
    """A malformed --set is a wrong command line (exit 2); a value the schema refuses is a finding."""
    from nnconf.config.overrides import OverrideError, parse_override
    from nnconf.config.source import shown_expression

    for expression in expressions:
        try:
            parse_override(expression)
        except OverrideError as problem:
            hint = f" ({problem.finding.hint})" if problem.finding.hint else ""
            shown = shown_expression(expression)  # non-UTF-8 bytes escaped, a long expression abbreviated
            raise click.BadParameter(f"{shown}: {problem.finding.message}{hint}") from None
    return expressions


def set_option(help: str = SET_HELP):
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help,
                        callback=_parsed_overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="nnconf")
def cli() -> None:
    """nnconf: validate, lint, build and train Keras models described in YAML."""


def config_files(arguments: tuple[str, ...]) -> list[Path]:
    """Files named, found under directories (*.yaml, *.yml, recursively), or matched by globs."""
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if _is_dir(path):
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.exists():
            files.append(readable_file(argument))
        elif any(c in argument for c in "*?["):
            matched = sorted(Path(p) for p in glob.glob(argument, recursive=True) if Path(p).is_file())
            if not matched:
                raise click.UsageError(f"{argument}: no file matches")
            files.extend(matched)
        else:
            raise click.UsageError(f"{argument}: no such file or directory")
    return files


def print_findings(findings: list[Finding], stream=None) -> None:
    for line in text_lines(findings):
        click.echo(line, file=stream)


def tally(findings: list[Finding]) -> str:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def readable_file(name: str) -> Path:
    """``name`` as a regular file this process can read; anything else is a wrong command line."""
    path = Path(name)
    if _is_dir(path):
        raise click.UsageError(f"{name}: is a directory; this command takes one config file")
    if not path.exists():
        raise click.UsageError(f"{name}: no such file")
    if not path.is_file():  # a pipe would block and a device never end
        raise click.UsageError(f"{name}: not a regular file")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise click.UsageError(f"{name}: cannot read it ({error.strerror or error})") from None
    return path


def _is_dir(path: Path) -> bool:
    """``path.is_dir()``, with a name the system refuses outright (e.g. too long) a wrong command line."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        reason = "the file name is too long" if error.errno == errno.ENAMETOOLONG else error.strerror or str(error)
        raise click.UsageError(f"{path}: {reason}") from None


def output_options(help: str, *, required: bool = False):
    """``-o FILE`` and ``--force``: a command writes a new file, or replaces a regular one when forced."""
    def add(command):
        command = click.option("--force", is_flag=True, help="Replace the output file if it exists.")(command)
        return click.option("--output", "-o", required=required, type=click.Path(), metavar="FILE", help=help)(command)
    return add


def check_output(output: str | None, force: bool) -> None:
    """Refuses, as a wrong command line and before any work, an output path the command must not or
    cannot write."""
    from nnconf.outputs import OutputError, checked_output

    if output is not None:
        try:
            checked_output(output, force=force)
        except OutputError as problem:
            raise click.UsageError(str(problem)) from None


def write_output(output: str, write, force: bool) -> None:
    """``write(path)`` writes the output atomically; a path that went bad meanwhile, or a failed write,
    is one line and exit 1."""
    from nnconf.outputs import OutputError, write_output as write_checked

    try:
        write_checked(output, write, force=force)
    except OutputError as problem:
        click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None


def checked_config(file: str, overrides: tuple[str, ...], *, lint: bool = False) -> api.Report:
    """The report of one config (linted if asked); errors are printed and end the command with exit 1."""
    readable_file(file)
    report = api.check(file, overrides)
    if lint:
        report = api.lint_report(report)
    if not report.ok:
        print_findings(report.findings, sys.stderr)
        raise SystemExit(1)
    print_findings(report.findings, sys.stderr)
    return report


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@set_option()
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def validate(paths: tuple[str, ...], overrides: tuple[str, ...], quiet: bool) -> None:
    """Check configs against the schema and their shapes, reporting every problem at once.

    PATHS are config files, directories (searched for *.yaml and *.yml) or globs.
    """
    files = config_files(paths)
    if not files:
        raise click.UsageError("no config files found in " + ", ".join(paths))
    invalid = 0
    everything: list[Finding] = []
    for file in files:
        report = api.check(file, overrides)
        everything += report.findings
        print_findings(report.findings)
        invalid += not report.ok
        if report.ok and not quiet:
            click.echo(f"{file}: ok")
    if not quiet or invalid:
        click.echo(f"{len(files)} file{'s' * (len(files) != 1)} checked, {invalid} invalid ({tally(everything)})")
    raise SystemExit(1 if invalid else 0)


def rule_codes(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Codes or prefixes, comma-separated or repeated: --select NN1,NN201 --ignore NN005."""
    result = tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())
    for code in result:
        if not re.fullmatch(r"NN\d{0,3}", code):
            raise click.BadParameter(f"{code!r} is not a rule code or prefix (e.g. NN101, NN1)")
    return result


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for programs, github for workflow annotations, sarif for code scanning.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--select", multiple=True, callback=rule_codes, metavar="CODES",
              help="Only these rules (codes or prefixes, e.g. NN1,NN201); also turns on opt-in rules.")
@click.option("--ignore", multiple=True, callback=rule_codes, metavar="CODES", help="Skip these rules.")
@click.option("--fix", is_flag=True,
              help="Apply the fixes that are certain, in place, keeping comments and layout; then lint what remains.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the changes --fix would make as a diff, and write nothing (exit 1 if there are any).")
@set_option()
def lint(paths: tuple[str, ...], fmt: str, strict: bool, select: tuple[str, ...], ignore: tuple[str, ...],
         fix: bool, show_diff: bool, overrides: tuple[str, ...]) -> None:
    """Find model-configuration mistakes: every schema, shape and lint problem of each file at once.

    PATHS are config files, directories (searched for *.yaml and *.yml) or globs.
    Exit 0 when clean, 1 on any error (or warning, with --strict), 2 on a wrong command line.
    """
    files = config_files(paths)
    if not files:
        raise click.UsageError("no config files found in " + ", ".join(paths))
    if (fix or show_diff) and overrides:
        raise click.UsageError("--fix and --diff edit the files as written; they do not combine with --set")
    if show_diff:
        raise SystemExit(1 if _fix_files(files, select, ignore, write=False) else 0)
    if fix:
        _fix_files(files, select, ignore, write=True)
    findings: list[Finding] = []
    for file in files:
        findings += api.lint(file, overrides, select=select, ignore=ignore).findings
    click.echo(render(fmt, findings, len(files)), nl=False)
    tally = counts(findings)
    raise SystemExit(1 if tally["errors"] or (strict and tally["warnings"]) else 0)


def _fix_files(files: list[Path], select: tuple[str, ...], ignore: tuple[str, ...], *, write: bool) -> bool:
    """Fixes each file (or, without ``write``, prints the diff); says what was fixed and what is only
    offered, on stderr. Whether anything changed."""
    from nnconf.analysis.fixes import FixError, diff, fix_file

    changed = False
    for file in files:
        try:
            outcome = fix_file(file, write=write, select=select, ignore=ignore)
        except (FixError, OSError) as problem:
            raise click.ClickException(f"{file}: cannot fix it: {problem}") from None
        if not write and outcome.changed:
            click.echo(diff(outcome, str(file)), nl=False)
        verb = "fixed" if write else "would fix"
        for finding, fix in outcome.applied:  # located by config path: each fix moves the text after it
            click.echo(f"{file}: {verb} {finding.rule} [{finding.path}]: {fix.title}", err=True)
        for finding, fix, reason in outcome.refused:
            click.echo(f"{file}: cannot fix {finding.rule} [{finding.path}] ({fix.title}): {reason}", err=True)
        for finding, fix in outcome.offered:
            click.echo(f"{finding.location}: {finding.rule} [{finding.path}] has a fix that may change what the "
                       f"model does, not applied: {fix.title}", err=True)
        changed |= outcome.changed
    return changed


@cli.command()
def rules() -> None:
    """List the lint rules: code, severity, name and what each finds."""
    from nnconf.analysis.lint import REGISTRY

    from nnconf.analysis import diagnostics

    for code, rule in sorted(REGISTRY.items()):
        opt_in = "" if rule.enabled_by_default else "  (opt-in: --select " + code + ")"
        click.echo(f"{code}  {rule.severity.value:<7}  {rule.name:<38}  {rule.summary()}{opt_in}")
    for code, diagnostic in sorted(diagnostics.REGISTRY.items()):
        click.echo(f"{code}  {diagnostic.severity.value:<7}  {diagnostic.name:<38}  {diagnostic.summary()}  "
                   "(while training)")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print one rule's documentation, with a failing and a fixed example."""
    from nnconf.analysis import diagnostics
    from nnconf.analysis.lint import REGISTRY, explanation

    text = explanation(code) or diagnostics.explanation(code)
    if text is None:
        hint = did_you_mean(code.upper(), [*REGISTRY, *diagnostics.REGISTRY]) or "see 'nnconf rules'"
        raise click.UsageError(f"no rule {code.upper()}; {hint}")
    click.echo(text, nl=False)


@cli.command()
@output_options("Write to this file.")
def schema(output: str | None, force: bool) -> None:
    """Print the JSON Schema of nnconf configs (for editors and CI)."""
    check_output(output, force)
    text = json.dumps(api.json_schema(), indent=2) + "\n"
    if output:
        from nnconf.engine.files import write_atomically

        write_output(output, lambda path: write_atomically(path, text), force)
    else:
        click.echo(text, nl=False)


@cli.command("config")
@click.argument("file")
@set_option()
@click.option("--full", is_flag=True, help="Write every value, defaults included.")
def config_command(file: str, overrides: tuple[str, ...], full: bool) -> None:
    """Print FILE resolved as YAML: the values that differ from the defaults, or with --full every one."""
    report = checked_config(file, overrides)
    click.echo(report.config.to_yaml(compact=not full), nl=False)


@cli.command()
@click.argument("file")
@set_option()
def summary(file: str, overrides: tuple[str, ...]) -> None:
    """Print each layer's output shape and parameter count, without importing TensorFlow."""
    from nnconf.analysis.summary import format_summary

    report = checked_config(file, overrides)
    click.echo(format_summary(report.config, report.inference), nl=False)


@cli.command()
@click.option("--stdio", is_flag=True, help="Talk over stdin and stdout (the default, and the only way).")
def lsp(stdio: bool) -> None:
    """Start the language server for editors: lint findings, shapes on hover, completion and fixes."""
    try:
        from nnconf.lsp.server import main as serve
    except ImportError as missing:
        if missing.name and missing.name.split(".")[0] in ("pygls", "lsprotocol"):
            raise click.ClickException("the language server needs pygls: pip install 'nnconf[lsp]'") from None
        raise
    serve()


@cli.command()
@click.option("--data", "source", required=True, metavar="SOURCE",
              help="sklearn.iris, keras.mnist, ... (a dataset by name), npz:PATH or csv:PATH.")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass", "multilabel"]),
              help="What the model predicts; by default what the labels suggest.")
@click.option("--label", metavar="COLUMN", help="csv:PATH only: the label column (default: the last).")
@click.option("--name", help="The model's name (default: from the data source).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the config (default: NAME.yaml; - for stdout). An existing file is kept.")
def init(source: str, task: str | None, label: str | None, name: str | None, output: str | None) -> None:
    """Write a starting config for a task and a data source, one that lints clean and trains.

    For example: nnconf init --task multiclass --data sklearn.iris
    """
    from nnconf.config.base import MODEL_NAME
    from nnconf.init import InitError, default_name, describe_source, starting_config

    name = name or default_name(source)
    if not re.match(MODEL_NAME, name):
        raise click.UsageError(f"--name {name!r}: use letters, digits, '_', '-' and '.'")
    output = output or f"{name}.yaml"
    if output != "-":
        if Path(output).exists() or Path(output).is_symlink():
            raise click.UsageError(f"{output} exists; nnconf init never replaces a file (choose another with -o)")
        writable_output(output)
    config_dir = Path(output).parent if output != "-" else Path(".")
    command = f" --data {source}" + (f" --task {task}" if task else "") + (f" --label {label}" if label else "")
    try:
        text = starting_config(describe_source(source, label=label, config_dir=config_dir), task=task, name=name,
                               command=command)
    except InitError as problem:
        raise click.UsageError(str(problem)) from None
    if output == "-":
        click.echo(text, nl=False)
        return
    from nnconf.engine.files import write_atomically

    write_atomically(output, text)
    click.echo(f"wrote {output}; next: nnconf summary {output}, then nnconf train {output}")


GRAPH_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}


@cli.command()
@click.argument("file")
@set_option()
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="model.dot (DOT text), model.svg or model.png (drawn by Graphviz); DOT on stdout without it.")
def graph(file: str, overrides: tuple[str, ...], output: str | None) -> None:
    """Draw the model's graph: each layer's type, output shape and parameter count, without TensorFlow."""
    from nnconf.analysis.graph import GraphvizError, render, to_dot

    fmt = GRAPH_FORMATS.get(Path(output).suffix.lower()) if output else "dot"
    if fmt is None:
        raise click.UsageError(f"--output {output}: the name must end in .dot, .gv, .svg or .png")
    if output:
        writable_output(output)
    report = checked_config(file, overrides)
    dot = to_dot(report.config, report.inference)
    if not output:
        click.echo(dot, nl=False)
        return
    try:
        data = dot.encode() if fmt == "dot" else render(dot, fmt)
    except GraphvizError as problem:
        raise click.ClickException(str(problem)) from None
    from nnconf.engine.files import write_bytes_atomically

    write_bytes_atomically(output, data)
    click.echo(f"wrote {output}")


def writable_output(name: str) -> Path:
    """``name`` as a place to write a file: new, or a regular file that is replaced; nothing else."""
    path = Path(name)
    if path.exists() and not path.is_file() or path.is_symlink() and not path.exists():
        raise click.UsageError(f"{name}: exists and is not a regular file; choose another name")
    if not path.parent.is_dir():
        raise click.UsageError(f"{name}: no such folder {str(path.parent)!r}")
    return path


@cli.command()
@click.argument("file")
@set_option()
@output_options("Save the untrained model (.keras).")
def build(file: str, overrides: tuple[str, ...], output: str | None, force: bool) -> None:
    """Build and compile the Keras model, print Keras's summary, and optionally save it."""
    if output and not output.endswith(".keras"):
        raise click.UsageError(f"--output {output}: the file name must end in .keras")
    check_output(output, force)
    report = checked_config(file, overrides, lint=True)  # linted once, here, before TensorFlow starts
    from nnconf.engine.build import build_model

    with _training_errors():  # pretrained weights that cannot be found
        model = build_model(report.config, report.inference, source=report.source)
    model.summary(print_fn=lambda text, **_: click.echo(text))
    if output:
        from nnconf.engine.files import save_model

        write_output(output, lambda path: save_model(model, path), force)
        click.echo(f"saved {output}")


@cli.command("import")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@output_options("Write the config here instead of stdout.")
def import_command(model_file: str, output: str | None, force: bool) -> None:
    """Turn a saved Keras model (.keras) into an nnconf config."""
    check_output(output, force)
    from nnconf.engine.importer import ImportNotice, UnsupportedModel, load_keras_model

    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", ImportNotice)
            config = api.from_keras(load_keras_model(model_file))
    except UnsupportedModel as problem:
        click.echo(f"{model_file}: error: {problem}", err=True)
        raise SystemExit(1) from None
    for notice in notices:
        if issubclass(notice.category, ImportNotice):
            click.echo(f"{model_file}: warning: {notice.message}", err=True)
    text = "# yaml-language-server: $schema=nnconf.schema.json\n" + config.to_yaml(compact=True)
    if output:
        from nnconf.engine.files import write_atomically

        write_output(output, lambda path: write_atomically(path, text), force)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("file", required=False)
@set_option()
@click.option("--run-dir", type=click.Path(file_okay=False), help="Where to keep the run (default runs/<name>/<time>).")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), metavar="RUN_DIR",
              help="Continue a stopped run in its own directory, from its last completed epoch.")
@click.option("--cluster", metavar="HOST:PORT,HOST:PORT",
              help="Multi-worker training: every worker's address, the same list on every machine "
                   "(written to TF_CONFIG; worker 0 is the chief).")
@click.option("--worker-index", type=click.IntRange(min=0), metavar="N",
              help="With --cluster: which of its workers this process is.")
def train(file: str | None, overrides: tuple[str, ...], run_dir: str | None, resume_dir: str | None,
          cluster: str | None, worker_index: int | None) -> None:
    """Train FILE's model on its data into a new run directory, or --resume a stopped run.

    With training.distribution.strategy: multi_worker, start one such process per machine, each
    with the same --run-dir (or --resume RUN_DIR) and the cluster in TF_CONFIG or --cluster.
    """
    if bool(file) == bool(resume_dir):
        raise click.UsageError("give a config FILE to train, or --resume RUN_DIR (not both)")
    if resume_dir and (overrides or run_dir):
        raise click.UsageError("--resume continues a run as it was: --set and --run-dir do not apply")
    if (cluster is None) != (worker_index is None):
        raise click.UsageError("--cluster and --worker-index go together")
    if file:
        report = checked_config(file, overrides, lint=True)  # linted once, here, before TensorFlow starts
        if report.config.data is None:
            print_findings([_no_data_finding(report)], sys.stderr)
            raise SystemExit(1)
        strategy = report.config.training.distribution.strategy
        if cluster is not None and strategy != "multi_worker":
            raise click.UsageError(f"--cluster is for multi-worker training, but the config's strategy is {strategy} "
                                   "(set training.distribution.strategy: multi_worker)")
        if strategy == "multi_worker" and not run_dir:
            raise click.UsageError("multi-worker training needs --run-dir, the same on every worker: the chief "
                                   "writes it, and every worker resumes from it")
    if cluster is not None:
        from nnconf.engine.distribute import cluster_config

        try:
            os.environ["TF_CONFIG"] = cluster_config(cluster, worker_index)  # before TensorFlow is imported
        except ValueError as problem:
            raise click.UsageError(str(problem)) from None
    from nnconf.engine import train as training

    progress = 1 if sys.stdout.isatty() else 2
    with _training_errors():
        if resume_dir:
            run = training.resume(resume_dir, say=click.echo, progress=progress)
        else:
            run = training.train(report, run_dir=run_dir, say=click.echo, progress=progress,
                                 argv=["nnconf", *sys.argv[1:]])
    if run.status == "finished":
        click.echo(_metrics_line(run.metrics))
        click.echo(f"run finished: {run.directory}")
    else:
        raise SystemExit(1 if run.status == "stopped" else 130)  # stopped by a diagnostic, or interrupted


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def diagnose(run_dir: str) -> None:
    """Print a run's training findings (NN6xx) again, with the evidence behind each.

    Exit 0 when none is an error, 1 otherwise or when the run has no diagnostics.
    """
    from nnconf.analysis.diagnostics.report import NoDiagnostics, describe, read_run

    try:
        findings, evidence = read_run(Path(run_dir))
    except NoDiagnostics as problem:
        click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(describe(findings, evidence), nl=False)
    raise SystemExit(1 if counts(findings)["errors"] else 0)


@cli.group()
def plot() -> None:
    """Draw pictures as PNG files."""


@plot.command("activations")
@click.argument("names", nargs=-1)
@output_options("The PNG file to write.", required=True)
@click.option("--range", "bounds", nargs=2, type=float, default=(-6.0, 6.0), show_default=True, metavar="LOW HIGH",
              help="The inputs drawn.")
def plot_activations(names: tuple[str, ...], output: str, force: bool, bounds: tuple[float, float]) -> None:
    """Draw activation functions and their derivatives (NAMES, e.g. relu gelu; a few common ones by default)."""
    from nnconf.engine import plots

    chosen = [name.lower() for name in names] or list(plots.DEFAULT_ACTIVATIONS)
    for name in chosen:
        if name not in plots.ACTIVATIONS:
            hint = did_you_mean(name, list(plots.ACTIVATIONS)) or f"one of {', '.join(plots.ACTIVATIONS)}"
            raise click.UsageError(f"no activation {name!r}; {hint}")
    if not bounds[0] < bounds[1]:
        raise click.UsageError(f"--range {bounds[0]:g} {bounds[1]:g}: LOW must be below HIGH")
    if not output.lower().endswith(".png"):
        raise click.UsageError(f"--output {output}: the file name must end in .png")
    check_output(output, force)
    write_output(output, lambda path: plots.activation_functions(chosen, path, low=bounds[0], high=bounds[1]), force)
    click.echo(f"wrote {output}: {', '.join(chosen)}")


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@set_option("Override the run's config, e.g. --set data.path=new.npz.")
def evaluate(run_dir: str, overrides: tuple[str, ...]) -> None:
    """Evaluate a run's trained model on the test split of its data (or other data, with --set data...)."""
    from nnconf.engine import train as training

    with _training_errors():
        metrics = training.evaluate(run_dir, overrides)
    click.echo(_metrics_line(metrics))


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(exists=True))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@output_options("Where to write the predictions: FILE.csv or FILE.npz (without it, CSV on standard output).")
@click.option("--as", "kind", type=click.Choice(["probabilities", "classes", "logits"]), default="probabilities",
              show_default=True, help="What to write for each class: probabilities (and the likeliest class), the "
                                      "class alone, or logits.")
def predict(run_dir: str, inputs: tuple[str, ...], output: str | None, force: bool, kind: str) -> None:
    """Predict with a run's trained model (or a model saved by nnconf build -o) for INPUTS: image or text
    files or folders of them, a CSV table, or an .npz file (array x, or one per model input). Each is read
    and prepared as the run's training data was; one row per input, named by its file where it has one."""
    check_output(output, force)
    from nnconf.engine.files import write_atomically, write_bytes_atomically
    from nnconf.engine.predict import PredictError, predict as predict_inputs

    with _training_errors():
        try:
            predictions = predict_inputs(run_dir, list(inputs), kind=kind)
        except PredictError as problem:
            click.echo(f"error: {problem}", err=True)
            raise SystemExit(1) from None
    if output is None:
        click.echo(predictions.to_csv(), nl=False)
        return
    if output.lower().endswith(".npz"):
        content = predictions.to_npz()
        write_output(output, lambda path: write_bytes_atomically(path, content), force)
    else:
        content = predictions.to_csv()
        write_output(output, lambda path: write_atomically(path, content), force)
    click.echo(f"wrote {output}: {len(predictions.names)} inputs, {kind}")


def _study_name(ctx, param, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}", value):
        raise click.BadParameter(f"{value!r}: a study name is letters, digits, '_', '.' and '-' (no spaces or slashes)")
    return value


@cli.command()
@click.argument("file")
@set_option()
@click.option("--storage", metavar="URL",
              help="The study's database, e.g. postgresql://user:password@host/db (default: a SQLite file in the "
                   "sweep's folder).")
@click.option("--study", "study_name", metavar="NAME", callback=_study_name,
              help="The study's name in the storage (default: the config's name).")
@click.option("--sweep-dir", type=click.Path(file_okay=False),
              help="Where the trials, best.yaml and the pictures go (default runs/<name>/sweeps/<study>).")
@click.option("--heartbeat", type=click.IntRange(min=1), default=30, show_default=True, metavar="SECONDS",
              help="How often a running trial shows it is alive; one silent three times as long is marked failed.")
def sweep(file: str, overrides: tuple[str, ...], storage: str | None, study_name: str | None, sweep_dir: str | None,
          heartbeat: int) -> None:
    """Search FILE's search.space with Optuna: each trial a run directory; then the best config and pictures.

    Processes that run this with the same --storage and --study, on one machine or many, share the
    study's trials; run it again after it stopped and it continues the study.
    """
    report = checked_config(file, overrides)  # usage and config errors before TensorFlow starts
    if report.config.search is None:
        from nnconf.config.search import NO_SEARCH

        click.echo(f"error: {file} {NO_SEARCH}", err=True)
        raise SystemExit(1)
    try:
        from nnconf.engine import sweep as sweeping
    except ImportError as missing:
        if (missing.name or "").partition(".")[0] not in ("optuna", "sqlalchemy"):
            raise
        click.echo(f"error: nnconf sweep needs Optuna ({missing.name} is missing): pip install 'nnconf[sweep]'",
                   err=True)
        raise SystemExit(1) from None
    with _training_errors():
        try:
            result = sweeping.sweep(file, overrides, storage=storage, study_name=study_name, sweep_dir=sweep_dir,
                                    heartbeat=heartbeat, say=click.echo, argv=["nnconf", *sys.argv[1:]])
        except sweeping.SweepError as problem:
            click.echo(f"error: {problem}", err=True)
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            click.echo("sweep stopped; run the same command again to continue the study", err=True)
            raise SystemExit(130) from None
    _print_sweep(result)


def _print_sweep(result) -> None:
    counts = ", ".join(f"{number} {state}" for state, number in result.trials.items() if number)
    click.echo(f"study {result.study} in {result.storage}: {counts or 'no trials'}")
    if result.best is None:
        click.echo("no trial completed, so there is no best one yet")
        return
    best = result.best
    click.echo(f"best: trial {best['number']}, {result.metric} {best['value']:.6g} ({best['run_dir']})")
    for key, value in best["params"].items():
        click.echo(f"  {key}: {json.dumps(value)}")
    click.echo(f"best config: {result.best_config or 'not written: the file no longer takes the best values'}")
    click.echo("pictures: " + ", ".join(str(path) for path in result.pictures))


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--sort", "sort_by", metavar="COLUMN", help="Sort by this column; -COLUMN sorts in descending order.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--compare", nargs=2, metavar="RUN_A RUN_B", type=click.Path(file_okay=False),
              help="Show the config difference and the metric difference of two runs.")
def runs(directory: str | None, sort_by: str | None, fmt: str, compare: tuple[str, str] | None) -> None:
    """A table of the runs under DIRECTORY (default: runs): name, start, status, epochs, the config
    values that differ between them, and final metrics. Or, with --compare, two runs side by side."""
    from nnconf.engine import runs_table

    try:
        if compare:
            if directory or sort_by:
                raise click.UsageError("--compare takes two runs: DIRECTORY and --sort do not apply")
            comparison = runs_table.compare(*(runs_table.read_run(Path(run)) for run in compare))
            click.echo(json.dumps(comparison, indent=2) if fmt == "json" else runs_table.render_comparison(comparison),
                       nl=fmt == "json")
            return
        root = Path(directory or "runs")
        found = [runs_table.read_run(path) for path in runs_table.find_runs(root)]
        columns, rows = runs_table.table(found, root)
        if sort_by:
            rows = runs_table.sort_rows(rows, columns, sort_by)
    except runs_table.RunsError as problem:
        raise click.UsageError(str(problem)) from None
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(f"no runs under {root}")
    else:
        click.echo(runs_table.render_table(columns, rows), nl=False)


def _no_data_finding(report: api.Report) -> Finding:
    from nnconf import codes

    file, line, column = report.source.locate(("data",))
    return Finding(codes.DATA, "the config has no data: section, so there is nothing to train on", path="data",
                   hint="add e.g. data: {source: sklearn.digits} (see configs/digits.yaml), or "
                        "data: {source: npz, path: data.npz}", file=file, line=line, column=column)


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", required=True, type=click.Choice(["saved_model", "tflite", "onnx"]),
              help="saved_model (a folder), tflite or onnx (a file).")
@click.option("--output", "-o", required=True, type=click.Path(), help="Where to write the export.")
def export(run_dir: str, fmt: str, output: str) -> None:
    """Export a trained run's model for serving, checked by loading it back and comparing predictions."""
    from nnconf.engine.export import ExportError, export_run

    with _training_errors():
        try:
            exported = export_run(run_dir, fmt, output)
        except ExportError as problem:
            raise click.ClickException(str(problem)) from None
    click.echo(f"wrote {output} ({fmt}): it predicts as the model does on {exported.samples} samples (largest "
               f"difference {exported.difference:.2g}); give it inputs prepared as in training "
               f"({Path(run_dir) / 'preprocessing.json'})")


def _metrics_line(metrics: dict) -> str:
    split = metrics.get("split")
    if not split:
        return "no test or validation split: no final metrics"
    values = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k not in ("split", "samples"))
    return f"{split} ({metrics.get('samples')} samples): {values}"


@contextlib.contextmanager
def _training_errors():
    """Problems with the config, the data, the device or the run directory: located findings or one
    clear line, and exit 1; never a traceback."""
    from nnconf.engine.data import DataError
    from nnconf.engine.devices import DeviceError
    from nnconf.engine.runs import RunDirError
    from nnconf.engine.train import TrainingError
    from nnconf.findings import ConfigError

    try:
        yield
    except (ConfigError, DataError) as problem:
        print_findings(problem.findings, sys.stderr)
        raise SystemExit(1) from None
    except (TrainingError, DeviceError, RunDirError) as problem:
        click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None


def main() -> None:
    """Entry point: usage errors are one clear line and exit 2, never a traceback."""
    try:
        cli.main(standalone_mode=False, prog_name="nnconf")
    except click.exceptions.Exit as done:
        raise SystemExit(done.exit_code) from None
    except click.Abort:
        click.echo("nnconf: aborted", err=True)
        raise SystemExit(130) from None
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context else "nnconf: "
        click.echo(f"{where}error: {error.format_message()}", err=True)
        raise SystemExit(error.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
