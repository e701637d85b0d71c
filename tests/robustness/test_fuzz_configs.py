"""Property-based robustness of the TensorFlow-free path: check, lint, summary, and build.

Generated configs (valid ones, valid ones mutated, corrupted YAML text, random ``--set`` expressions)
go through ``nnconf.api.check_text`` and ``nnconf.api.lint_text`` (and, for valid ones, the summary
formatter and the resolved-config writer). Whatever goes in:

- no exception escapes, and nothing hangs: a call that spends more than HANG_CPU_SECONDS of CPU time
  (far more than any answer takes) is stopped and fails, whatever the machine's load; nothing is timed
  by the clock (speed is measured in bench/, not asserted here);
- the outcome is ok, or a list of findings where every error has a message and, when it comes from
  the file (not from a ``--set``) and the YAML parsed at all, a line >= 1.

Examples per property: see conftest.py (``NNCONF_FUZZ=long`` runs 5000 each instead of 60).

A crash found here is minimised into a plain regression test at the end of this file, marked
``xfail(strict=True, reason="BUG: ...")`` while it is open, and listed in ``KNOWN_BUGS`` so that the
properties keep testing everything else meanwhile. When a fix makes a regression test pass, strict
xfail fails it: remove its marker and its ``KNOWN_BUGS`` entry then. The regression tests below are
the crashes found so far; all of them are fixed.
"""

from __future__ import annotations

import contextlib
import re
import signal
import tempfile
import threading
import traceback
from pathlib import Path

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import nnconf
from nnconf import api
from nnconf.analysis.summary import format_summary
from nnconf.findings import Finding, Severity
from nnconf.formats import FORMATS, render
from tests.robustness import strategies as gen

HANG_CPU_SECONDS = 10  # of CPU time: the TF-free path takes milliseconds; past this a call counts as a hang
BUILD_EXAMPLES = 5 if settings.default.max_examples <= 100 else 100
RULE = re.compile(r"^NN\d{3}$")

class Hang(Exception):
    """A call that spent more CPU time than any answer takes (see hang_guard)."""


# Crashes already found, minimised into a regression test below and waiting for a fix: (name, exception
# type, file in the traceback where it escapes). The properties note them (hypothesis event) and go on,
# so that one open bug does not hide others. Empty: every crash found so far is fixed. To add one:
#     ("recursive alias -> RecursionError", RecursionError, "nnconf/config/loader.py"),
KNOWN_BUGS: list[tuple[str, type[BaseException], str]] = []

# The same for build: messages of the exceptions Keras raises for configs it refuses (see KERAS_REFUSES).
KNOWN_BUILD_BUGS: list[str] = []


@contextlib.contextmanager
def hang_guard(cpu_seconds: float = HANG_CPU_SECONDS):
    """Turns a call that spends more than ``cpu_seconds`` of this process's CPU time into an exception
    (where SIGPROF is available). CPU time, not the clock: a busy machine slows a call down, but does
    not make it use more CPU."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Hang(f"no answer after {cpu_seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def known_bug(error: BaseException) -> str | None:
    files = [frame.filename.replace("\\", "/") for frame in traceback.extract_tb(error.__traceback__)]
    for name, kind, where in KNOWN_BUGS:
        if isinstance(error, kind) and any(where in file for file in files):
            return name
    return None


def assert_well_formed(report: nnconf.Report) -> None:
    """Ok, or findings that say what and (when from the parsed file) where."""
    assert isinstance(report.findings, list)
    parsed = bool(report.source.values)  # the loader recorded positions: the YAML parsed
    for finding in report.findings:
        assert isinstance(finding, Finding), finding
        assert isinstance(finding.severity, Severity)
        assert RULE.match(finding.rule), finding
        finding.format()  # never raises
        if finding.severity is not Severity.ERROR:
            continue
        assert isinstance(finding.message, str) and finding.message.strip(), finding
        from_file = not (finding.file or "").startswith("--set")
        if parsed and from_file:
            assert isinstance(finding.line, int) and finding.line >= 1, f"no line: {finding.format()}"
    if report.ok:
        assert report.config is not None and report.inference is not None
    else:
        assert any(f.severity is Severity.ERROR for f in report.findings)
    for fmt in FORMATS:
        render(fmt, report.findings, 1)


def check_and_lint(text: str, overrides=(), name: str | None = "fuzz.yaml") -> nnconf.Report | None:
    """Runs the whole TF-free path on ``text``; returns the check report (None for a known bug)."""
    note(f"text:\n{text}\noverrides: {list(overrides)!r}")
    try:
        with hang_guard():
            report = api.check_text(text, overrides, name=name)
            assert_well_formed(report)
            linted = api.lint_text(text, overrides, name=name)
            assert_well_formed(linted)
            assert report.ok or not linted.ok  # lint finds every error check finds
            if report.ok:
                format_summary(report.config, report.inference)
                resolved = report.config.to_yaml()
                again = api.check_text(resolved, name="resolved.yaml")
                assert again.ok, "the resolved config (nnconf config) does not check:\n" + "\n".join(
                    f.format() for f in again.findings) + "\n" + resolved
    except Exception as error:
        bug = known_bug(error)
        if bug is None:
            raise
        event(f"known bug: {bug}")
        return None
    event("ok" if report.ok else "findings")
    return report


# --- properties ------------------------------------------------------------------------------------


@given(gen.texts(gen.valid_configs()))
def test_generated_configs_check_lint_and_summarise(text):
    check_and_lint(text)


@given(gen.mutated_configs(), st.sampled_from([False, None, True]))
def test_mutated_configs_give_findings_not_exceptions(mutated, flow):
    data, mutations = mutated
    note(f"mutations: {mutations}")
    check_and_lint(gen.dump(data, flow))


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="nnconf-fuzz-") as folder:
        yield Path(folder)


@given(gen.corrupted_bytes())
def test_corrupted_yaml_bytes_give_findings_not_exceptions(scratch, corrupted):
    raw, corruptions = corrupted
    note(f"corruptions: {corruptions}\nbytes: {raw!r}")
    path = scratch / "corrupted.yaml"
    path.write_bytes(raw)
    try:
        with hang_guard():
            for call in (api.check, api.lint):
                assert_well_formed(call(path))
    except Exception as error:
        if known_bug(error) is None:
            raise
        event(f"known bug: {known_bug(error)}")
    check_and_lint(raw.decode("utf-8", "replace"))


@given(st.sampled_from(sorted(gen.SEED_TEXTS)), st.lists(gen.override_expressions, min_size=1, max_size=3))
def test_random_overrides_give_findings_not_exceptions(seed, overrides):
    check_and_lint(gen.SEED_TEXTS[seed], overrides)


@given(st.dictionaries(st.sampled_from(["name", "task", "seed", "model", "loss", "loss_weights", "optimizer",
                                        "metrics", "lint"]), gen.JUNK, max_size=9))
def test_junk_in_every_section_gives_findings_not_exceptions(data):
    check_and_lint(gen.dump(data))


@given(st.text(max_size=200))
def test_arbitrary_text_gives_findings_not_exceptions(text):
    check_and_lint(text)


# --- building (imports TensorFlow) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    yield keras
    keras.backend.clear_session()


@pytest.mark.keras_build
@settings(max_examples=BUILD_EXAMPLES)
@given(gen.valid_configs())
def test_lint_clean_configs_build_or_raise_config_error(keras, data):
    text = gen.dump(data)
    note(text)
    report = api.lint_text(text)
    event("lint clean" if report.ok else "lint errors")
    if not report.ok:
        return
    try:
        model = api.build(report.config)
    except nnconf.ConfigError as error:
        assert error.findings
        return
    except Exception as error:
        known = next((message for message in KNOWN_BUILD_BUGS if message in str(error)), None)
        if known is None:
            raise
        event(f"known bug: {known}")
        return
    finally:
        keras.backend.clear_session()
    assert isinstance(model, keras.Model)


# --- sanity of the generators --------------------------------------------------------------------


def test_every_layer_example_as_a_whole_config_is_valid():
    failing = {}
    for layer_type in sorted(gen.EVERY_LAYER):
        report = api.check_text(gen.dump(gen.single_layer_config(layer_type)))
        if not report.ok:
            failing[layer_type] = [f.format() for f in report.findings]
    assert not failing


def test_seed_configs_are_valid_and_survive_a_round_trip_through_the_dumper():
    for name, data in gen.SEED_DATA.items():
        report = api.lint_text(gen.dump(data), name=name)
        assert report.ok, [f.format() for f in report.findings]


# --- regressions: crashes found by the properties, minimised -----------------------------------------

MINIMAL = "task: regression\nmodel: {input_shape: [4], layers: [{type: Dense, units: 1}]}\nloss: mse\n"


def _assert_one_yaml_finding(report: nnconf.Report) -> None:
    assert not report.ok
    assert any(f.rule == "NN001" and f.message for f in report.findings), [f.format() for f in report.findings]


# Regression, fixed bug: a recursive YAML alias escapes as RecursionError from
# loader._Converter.convert (nnconf/config/loader.py)
@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", MINIMAL + "metrics: &m [*m]\n"])
def test_recursive_alias_is_a_yaml_finding(text):
    _assert_one_yaml_finding(api.check_text(text, name="alias.yaml"))


# Regression, fixed bug: a recursive alias in a --set value escapes as
# RecursionError (overrides.parse_override -> loader.load_text)
def test_recursive_alias_in_an_override_is_an_override_finding():
    report = api.check_text(MINIMAL, ["loss=&a [*a]"], name="m.yaml")
    assert not report.ok and any(f.rule == "NN003" for f in report.findings)


# Regression, fixed bug: text with a lone surrogate escapes as UnicodeEncodeError
# from libyaml's CParser (nnconf/config/loader.py _compose_single)
def test_text_with_a_lone_surrogate_is_a_yaml_finding():
    _assert_one_yaml_finding(api.check_text("name: \udc80\n", name="s.yaml"))


# Regression, fixed bug: a --set value with a lone surrogate (a non-UTF-8 command-
# line byte) escapes as UnicodeEncodeError (overrides.parse_override -> loader.load_text)
def test_override_with_a_lone_surrogate_is_an_override_finding():
    report = api.check_text(MINIMAL, ["name=\udcff"], name="m.yaml")
    assert not report.ok and any(f.rule == "NN003" for f in report.findings)


FAILED_UPSTREAM = """\
task: regression
model:
  inputs: {x: [4]}
  layers:
    - {name: a, type: Conv1D, filters: 1, kernel_size: 3, activation: relu, inputs: x}
    - {name: b, type: Dense, units: 2, activation: relu, inputs: a}
    - {name: c, type: Dense, units: 1, inputs: b}
  outputs: c
loss: mse
"""


# Regression, fixed bug: in a functional model, a layer two steps after one whose
# shape failed raises KeyError in analysis/shapes.py _functional (the skipped layer's shape is never
# recorded)
@pytest.mark.parametrize("call", [api.check_text, api.lint_text], ids=["check", "lint"])
def test_a_shape_error_early_in_a_functional_chain_is_one_finding(call):
    report = call(FAILED_UPSTREAM, name="chain.yaml")
    assert [(f.rule, f.path, f.line) for f in report.findings if f.severity is Severity.ERROR] == [
        ("NN004", "model.layers[0]", 5)]


def _cycle(cycle_type: str, head_type: str) -> str:
    return ("task: binary\nmodel:\n  inputs: {x: [4]}\n  layers:\n"
            f"    - {{name: a, type: {cycle_type}, inputs: b}}\n    - {{name: b, type: {cycle_type}, inputs: a}}\n"
            f"    - {{name: out, type: {head_type}, inputs: b}}\n  outputs: out\nloss: binary_crossentropy\n")


# Two-layer cycles of pass-through layers: check reports the cycle (NN004); lint used to loop forever in
# the rules that walk back (or forward) through pass-through layers.
CYCLES = {
    "architecture.py _source (NN201)": _cycle("Dropout, rate: 0.5", "Dense, units: 1, activation: sigmoid"),
    "context.py last_activation (every output rule)": _cycle("Flatten", "Dropout, rate: 0.1"),
    "NN202": _cycle("Activation, activation: linear", "Activation, activation: sigmoid"),
}


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGPROF to stop the hang")
# Regression, fixed bug: lint never returns on a functional cycle through pass-
# through layers (Dropout, Flatten, linear Activation): the walks in analysis/lint/architecture.py _source
# and analysis/lint/context.py last_activation / feeds_output go round the cycle forever
def test_lint_of_a_cycle_through_pass_through_layers_returns_the_cycle_finding():
    for where, text in CYCLES.items():
        assert "cycle" in api.check_text(text).findings[0].message, where  # check itself is fine
        with hang_guard():
            report = api.lint_text(text, name="cycle.yaml")
        assert any("cycle" in f.message for f in report.findings), where


# Configs that checked and linted clean but that Keras refuses: api.build let Keras's ValueError (or
# TensorFlow's InvalidArgumentError) out instead of a ConfigError (fixed bugs, found by the build property). Sizes beyond int64 fail before
# anything is allocated.
def _sequential(*layers: str, extra: str = "") -> str:
    return ("task: regression\nmodel:\n  input_shape: [4]\n  layers:\n" + "".join(f"    - {layer}\n" for layer in layers)
            + "loss: mse\n" + extra)


def _keras_refuses(reason: str, text: str, case_id: str):
    """A config Keras refuses, and why (where a bug is open, add: marks=pytest.mark.xfail(strict=True, ...))."""
    return pytest.param(text, id=case_id)


SIZE = ("sizes beyond int64 pass the schema (PositiveInt / int without an upper bound) and shape inference, "
        "then fail inside TensorFlow")
INITIALIZER_RANK = ("identity and orthogonal initializers need a weight of rank >= 2 (identity: exactly 2); "
                    "nnconf accepts them for 1-D weights (bias, gamma, ...)")
KERAS_REFUSES = [
    _keras_refuses(SIZE, _sequential("{type: Dense, units: 99999999999999999999}"), "units-beyond-int64"),
    _keras_refuses(SIZE, _sequential("{type: Dropout, rate: 0.5, seed: 99999999999999999999}",
                                     "{type: Dense, units: 1}"), "dropout-seed-beyond-int64"),
    _keras_refuses(SIZE, _sequential("{type: Embedding, input_dim: 10000000000, output_dim: 10000000000}",
                                     "{type: Flatten}", "{type: Dense, units: 1}"), "embedding-beyond-int64"),
    _keras_refuses(INITIALIZER_RANK, _sequential("{type: Dense, units: 1, bias_initializer: identity}"),
                   "identity-initializer-on-a-bias"),
    _keras_refuses(INITIALIZER_RANK, _sequential("{type: Dense, units: 1, bias_initializer: orthogonal}"),
                   "orthogonal-initializer-on-a-bias"),
    _keras_refuses("Keras requires gradient_accumulation_steps >= 2; the schema allows 1 (PositiveInt)",
                   _sequential("{type: Dense, units: 1}",
                               extra="optimizer: {name: adam, gradient_accumulation_steps: 1}\n"),
                   "gradient-accumulation-steps-1"),
    _keras_refuses("AdamW's weight_decay is Optional in the schema, but Keras's AdamW requires a float",
                   _sequential("{type: Dense, units: 1}", extra="optimizer: {name: adamw, weight_decay: null}\n"),
                   "adamw-weight-decay-null"),
    _keras_refuses("Dropout's noise_shape is list[Optional[int]] in the schema; Keras requires positive sizes",
                   _sequential("{type: Dropout, rate: 0.5, noise_shape: [null, 0]}", "{type: Dense, units: 1}"),
                   "dropout-noise-shape-zero"),
    _keras_refuses("Lion's beta_1 is Field(ge=0, le=1) in the schema; Keras requires beta_1 > 0",
                   _sequential("{type: Dense, units: 1}", extra="optimizer: {name: lion, beta_1: 0.0}\n"),
                   "lion-beta-1-zero"),
]


@pytest.mark.keras_build
@pytest.mark.parametrize("text", KERAS_REFUSES)
def test_configs_keras_refuses_are_config_errors_not_keras_errors(keras, text):
    report = api.lint_text(text, name="refused.yaml")
    if not report.ok:
        return  # refused before building: fixed
    try:
        api.build(report.config)
    except nnconf.ConfigError:
        pass
    finally:
        keras.backend.clear_session()
