"""The ``nnconf`` command line: a thin layer over the Python API.

Exit codes: 0 when all is well, 1 when a config has errors, 2 for a wrong command line.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

import click

from nnconf import __version__, api
from nnconf.findings import Finding, Severity

SET_HELP = "Override a config value, e.g. --set optimizer.learning_rate=3e-4 (repeatable)."


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="nnconf")
def cli() -> None:
    """nnconf: validate, lint, build and train Keras models described in YAML."""


def config_files(arguments: tuple[str, ...]) -> list[Path]:
    """Files named, found under directories (*.yaml, *.yml, recursively), or matched by globs."""
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.exists():
            files.append(path)
        elif any(c in argument for c in "*?["):
            matched = sorted(Path(p) for p in glob.glob(argument, recursive=True) if Path(p).is_file())
            if not matched:
                raise click.UsageError(f"{argument}: no file matches")
            files.extend(matched)
        else:
            raise click.UsageError(f"{argument}: no such file or directory")
    return files


def print_findings(findings: list[Finding], stream=None) -> None:
    for finding in findings:
        click.echo(finding.format(), file=stream)


def tally(findings: list[Finding]) -> str:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def checked_config(file: str, overrides: tuple[str, ...]) -> api.Report:
    """The report of one config; its errors are printed and end the command with exit 1."""
    if Path(file).is_dir():
        raise click.UsageError(f"{file}: is a directory; this command takes one config file")
    if not Path(file).exists():
        raise click.UsageError(f"{file}: no such file")
    report = api.check(file, overrides)
    if not report.ok:
        print_findings(report.findings, sys.stderr)
        raise SystemExit(1)
    print_findings(report.findings, sys.stderr)
    return report


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
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


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of nnconf configs (for editors and CI)."""
    text = json.dumps(api.json_schema(), indent=2) + "\n"
    if output:
        Path(output).write_text(text)
    else:
        click.echo(text, nl=False)


@cli.command("config")
@click.argument("file")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def config_command(file: str, overrides: tuple[str, ...]) -> None:
    """Print FILE fully resolved, with every default filled in, as YAML."""
    report = checked_config(file, overrides)
    click.echo(report.config.to_yaml(), nl=False)


@cli.command()
@click.argument("file")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def summary(file: str, overrides: tuple[str, ...]) -> None:
    """Print each layer's output shape and parameter count, without importing TensorFlow."""
    from nnconf.analysis.summary import format_summary

    report = checked_config(file, overrides)
    click.echo(format_summary(report.config, report.inference), nl=False)


@cli.command()
@click.argument("file")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Save the untrained model (.keras).")
def build(file: str, overrides: tuple[str, ...], output: str | None) -> None:
    """Build and compile the Keras model, print Keras's summary, and optionally save it."""
    if output and not output.endswith(".keras"):
        raise click.UsageError(f"--output {output}: the file name must end in .keras")
    report = checked_config(file, overrides)
    model = api.build(report.config)
    model.summary(print_fn=lambda text, **_: click.echo(text))
    if output:
        from nnconf.engine.files import save_model

        save_model(model, output)
        click.echo(f"saved {output}")


@cli.command("import")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the config here instead of stdout.")
def import_command(model_file: str, output: str | None) -> None:
    """Turn a saved Keras model (.keras) into an nnconf config."""
    from nnconf.engine.importer import UnsupportedModel, load_keras_model

    try:
        config = api.from_keras(load_keras_model(model_file))
    except UnsupportedModel as problem:
        click.echo(f"{model_file}: error: {problem}", err=True)
        raise SystemExit(1) from None
    text = "# yaml-language-server: $schema=nnconf.schema.json\n" + config.to_yaml()
    if output:
        from nnconf.engine.files import write_atomically

        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


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
