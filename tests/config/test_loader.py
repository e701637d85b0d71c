"""The YAML loader: safe (no tag runs code), strict (duplicates), YAML 1.2 numbers, hostile input."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nnconf
from nnconf import codes
from nnconf.config.loader import MAX_FILE_BYTES, load_bytes, load_file, load_text
from nnconf.findings import Severity

from tests.config.helpers import MINIMAL, ROOT, check, dedent, describe, errors, run_cli

# --- 1. safe YAML: tags never construct objects or run code -------------------------------------

PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/object:pathlib.Path {{}}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!python/str hello",
]


@pytest.mark.parametrize("tagged", PYTHON_TAGS, ids=lambda t: t.split()[0])
def test_python_tags_are_error_findings_and_never_run(tagged, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(MINIMAL + "name: " + tagged.format(marker=marker) + "\n")

    report = nnconf.check(path)

    assert not marker.exists(), "a YAML tag ran code"
    assert not report.ok
    tag_findings = [f for f in report.findings if f.rule == codes.YAML and "tag" in f.message]
    assert len(tag_findings) == 1, describe(report)
    finding = tag_findings[0]
    assert finding.severity is Severity.ERROR
    assert "python/" in finding.message
    assert (finding.file, finding.line, finding.column) == (str(path), 7, 7)


def test_python_tag_in_a_nested_value_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    text = MINIMAL.replace("units: 1,", f"units: !!python/object/apply:os.system ['touch {marker}'],")
    report = check(text)
    assert not marker.exists()
    tag_findings = [f for f in report.findings if "tag" in f.message]
    assert [(f.rule, f.line) for f in tag_findings] == [(codes.YAML, 5)], describe(report)
    # The refused value is not complained about a second time as a schema error.
    assert [f for f in report.findings if f.rule == codes.SCHEMA] == [], describe(report)


def test_python_tag_is_not_run_by_the_cli(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n" + MINIMAL)
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert not marker.exists()
    assert f"{path}:1:7: error {codes.YAML}" in result.stdout


@pytest.mark.parametrize("tagged", ["!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!!set {a, b}",
                                    "!!omap [a: 1]", "!custom value", "!<tag:example.com,2000:x> value"])
def test_non_core_tags_are_refused(tagged):
    report = check(MINIMAL + "name: " + tagged + "\n")
    assert [(f.rule, f.line, f.column) for f in report.findings if "tag" in f.message] == [(codes.YAML, 7, 7)], \
        describe(report)
    assert not report.ok


def test_core_tags_are_allowed():
    report = check(MINIMAL + "name: !!str 123\nseed: !!int '5'\n")
    assert report.ok, describe(report)
    assert report.config.name == "123"
    assert report.config.seed == 5


# --- 2. numbers and words as people write them (YAML 1.2 core schema) ----------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("1e-3", 0.001), ("1E3", 1000.0), ("3e-4", 0.0003), ("1.5e+2", 150.0), (".5", 0.5), ("-2.5", -2.5),
    ("10", 10), ("-7", -7), ("0x1f", 31), ("0o17", 15), ("017", 17),
    ("true", True), ("False", False), ("null", None), ("~", None),
])
def test_scalars_follow_yaml_1_2(text, value):
    loaded = load_text(f"v: {text}\n")
    assert loaded.findings == []
    assert loaded.data["v"] == value
    assert type(loaded.data["v"]) is type(value)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yaml_1_1_booleans_stay_strings(word):
    assert load_text(f"v: {word}\n").data == {"v": word}


@pytest.mark.parametrize("text", ["1_000", "0b101", "2001-12-14", "1:30", "12e"])
def test_yaml_1_1_only_number_forms_stay_strings(text):
    assert load_text(f"v: {text}\n").data == {"v": text}


def test_special_floats():
    data = load_text("a: .inf\nb: -.inf\nc: .nan\n").data
    assert data["a"] == math.inf and data["b"] == -math.inf and math.isnan(data["c"])


def test_learning_rate_in_exponent_notation_is_a_float():
    report = check(MINIMAL + "optimizer: {name: adam, learning_rate: 1e-3}\n")
    assert report.ok, describe(report)
    assert report.config.optimizer.learning_rate == 0.001
    assert isinstance(report.config.optimizer.learning_rate, float)


def test_layer_named_on_is_the_string_on():
    report = check(MINIMAL.replace("activation: sigmoid}", "activation: sigmoid, name: on}"))
    assert report.ok, describe(report)
    assert report.config.model.layers[0].name == "on"


@pytest.mark.parametrize("word", ["yes", "no", "on", "off"])
def test_use_bias_yes_is_an_error_not_a_boolean(word):
    report = check(f"""
        task: binary
        model:
          input_shape: [4]
          layers:
            - type: Dense
              units: 1
              use_bias: {word}
        loss: binary_crossentropy
    """)
    assert report.config is None
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.rule, finding.path, finding.line, finding.column) == \
        (codes.SCHEMA, "model.layers[0].use_bias", 7, 17)
    assert repr(word) in finding.message


def test_integer_field_refuses_a_float_written_in_exponent_notation():
    report = check(MINIMAL.replace("units: 1,", "units: 1e2,"))
    assert by_rule_path(report, codes.SCHEMA, "model.layers[0].units")


def by_rule_path(report, rule, path):
    found = [f for f in report.findings if f.rule == rule and f.path == path]
    assert found, describe(report)
    return found[0]


@pytest.mark.parametrize("text", ["'abc'", "abc"])
def test_core_tag_with_wrong_value_is_an_error(text):
    loaded = load_text(f"v: !!int {text}\n")
    assert [(f.rule, f.line, f.column) for f in loaded.findings] == [(codes.YAML, 1, 4)]


# --- 3. duplicate keys are errors at the second occurrence --------------------------------------


def test_duplicate_top_level_key_is_reported_at_its_second_occurrence():
    report = check("""
        task: binary
        model:
          input_shape: [4]
          layers:
            - {type: Dense, units: 1, activation: sigmoid}
        loss: binary_crossentropy
        task: regression
    """)
    assert not report.ok
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.rule, finding.file, finding.line, finding.column) == (codes.YAML, "test.yaml", 7, 1)
    assert "duplicate key 'task'" in finding.message
    assert "line 1" in finding.message
    assert report.config is None  # never silently keeps one of them


def test_duplicate_key_in_a_flow_mapping_is_reported_at_its_second_occurrence():
    report = check(MINIMAL.replace("units: 1,", "units: 1, units: 2,"))
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.line, finding.column) == (5, 31)
    assert "duplicate key 'units'" in finding.message


def test_duplicate_key_in_a_nested_block_mapping_is_reported_at_its_second_occurrence():
    report = check("""
        task: binary
        model:
          input_shape: [4]
          layers:
            - type: Dense
              units: 1
              activation: sigmoid
              activation: relu
        loss: binary_crossentropy
    """)
    finding = errors(report)[0]
    assert len(errors(report)) == 1, describe(report)
    assert (finding.line, finding.column) == (8, 7)
    assert "first defined on line 7" in finding.message


def test_duplicate_keys_are_all_reported():
    report = check("a: 1\nb: 2\na: 3\nb: 4\na: 5\n")
    duplicates = [(f.line, f.column) for f in report.findings if "duplicate" in f.message]
    assert duplicates == [(3, 1), (4, 1), (5, 1)]


def test_loader_findings_carry_their_config_path():
    report = check("""
        task: binary
        model:
          input_shape: [4]
          layers:
            - {type: Dense, units: 1, units: 2, activation: sigmoid}
            - {type: Dense, units: !!python/name:os.system }
        loss: binary_crossentropy
    """)
    paths = sorted(f.path for f in report.findings if f.rule == codes.YAML)
    assert paths == ["model.layers[0].units", "model.layers[1].units"]


# --- 6. hostile files: a clear error within a second, never an exception -------------------------


def _billion_laughs() -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        previous, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(range(256))


HOSTILE = {
    # name: (bytes, a word the finding's message must contain)
    "billion-laughs": (_billion_laughs(), "alias"),
    "flow-nesting-10000": (b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "nested"),
    "flow-mapping-nesting-10000": (b"a: " + b"{b: " * 10_000 + b"1" + b"}" * 10_000 + b"\n", "nested"),
    "block-sequence-nesting-10000": (b"a:\n  " + b"- " * 10_000 + b"x\n", "nested"),
    "block-mapping-nesting-1000": (b"".join(b" " * i + b"k:\n" for i in range(1000)), "nested"),
    "block-mapping-nesting-10000": (b"".join(b" " * i + b"k:\n" for i in range(10_000)), "KiB"),
    "five-megabytes": (b"name: " + b"x" * (5 * 1024 * 1024) + b"\n", "KiB"),
    "random-bytes": (random.Random(1).randbytes(4096) + b"\x00", "UTF-8"),
    "png-header": (_png(), "UTF-8"),
    "utf8-with-nul": (b"task: binary\x00\x00\x00\n", "character"),
    "utf8-control-characters": (b"task: \x07\x1b[31mbinary\n", "character"),
    "several-documents": (b"task: binary\n---\ntask: regression\n", "more than one"),
    "empty": (b"", "empty"),
    "comments-only": (b"# yaml-language-server: $schema=nnconf.schema.json\n# nothing here\n", "empty"),
    "top-level-list": (b"- task: binary\n- loss: mse\n", "mapping"),
    "top-level-scalar": (b"hello world\n", "mapping"),
    "top-level-number": (b"42\n", "mapping"),
    "non-utf8-latin1": (b"name: caf\xe9\ntask: binary\n", "UTF-8"),
    "utf16": ("task: binary\n".encode("utf-16"), "UTF-8"),
    "syntax-error": (b"task: [binary\nmodel: {\n", "syntax"),
    "tab-indentation": (b"model:\n\tlayers: []\n", "syntax"),
    "undefined-alias": (b"task: *nowhere\n", "alias"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_gives_a_clear_error_quickly(name, tmp_path):
    content, word = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)

    start = time.perf_counter()
    report = nnconf.check(path)  # must not raise
    elapsed = time.perf_counter() - start

    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert not report.ok and report.config is None
    # Hostile input is one clear message from the reader, not a flood.
    reading = [f for f in report.findings if f.rule == codes.YAML]
    assert len(reading) == 1, describe(report)
    assert reading[0].severity is Severity.ERROR
    assert reading[0].file == str(path)
    assert word.lower() in reading[0].message.lower(), describe(report)


def test_syntax_error_is_located():
    report = check("task: binary\nmodel: {a: 1\nloss: mse\n")
    finding = errors(report)[0]
    assert finding.rule == codes.YAML
    assert finding.line is not None and finding.column is not None


def test_positions_of_binary_problems():
    nul = load_bytes(b"task: binary\nname: a\x00b\n", "x.yaml").findings[0]
    assert (nul.line, nul.column) == (2, 8)
    latin1 = load_bytes(b"task: binary\nname: caf\xe9\n", "x.yaml").findings[0]
    assert latin1.line == 2
    documents = load_bytes(b"task: binary\n---\ntask: regression\n", "x.yaml").findings[0]
    assert (documents.line, documents.column) == (2, 1)


def test_file_just_over_the_limit_is_refused_without_parsing():
    raw = b"name: " + b"x" * MAX_FILE_BYTES + b"\n"
    findings = load_bytes(raw, "big.yaml").findings
    assert len(findings) == 1 and "KiB" in findings[0].message


def test_utf8_byte_order_mark_is_accepted():
    loaded = load_bytes(b"\xef\xbb\xbf" + MINIMAL.encode(), "bom.yaml")
    assert loaded.findings == [] and loaded.data["task"] == "binary"


def test_missing_file_is_a_finding_not_an_exception(tmp_path):
    loaded = load_file(tmp_path / "absent.yaml")
    assert loaded.data is None
    assert [f.rule for f in loaded.findings] == [codes.YAML]
    assert "cannot read" in loaded.findings[0].message
    report = nnconf.check(tmp_path / "absent.yaml")
    assert not report.ok


def test_merge_keys_fill_in_only_missing_keys():
    loaded = load_text(dedent("""
        base: &base {units: 8, activation: relu}
        layer:
          <<: *base
          units: 16
    """))
    assert loaded.findings == []
    assert loaded.data["layer"] == {"units": 16, "activation": "relu"}


# Files under the size limit that are still costly to parse: PyYAML's pure-Python scanner takes
# ~60 microseconds a value, and the value budget is only counted after composing the whole document.
# These run in a child process killed at the deadline, so a hang costs the suite about a second.

_CHILD = """
import sys, time, nnconf
print("ready", flush=True)
start = time.perf_counter()
report = nnconf.check(sys.argv[1])
elapsed = time.perf_counter() - start
first = [f for f in report.findings if f.severity.value == "error"][:1]
print(f"{elapsed:.3f} {report.ok} {first[0].rule if first else '-'}", flush=True)
"""


def _check_with_deadline(path: Path, seconds: float) -> tuple[float, bool, str]:
    """(elapsed seconds measured in the child, report.ok, first error's rule); fails past the deadline."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"  # importing nnconf is not timed
        try:
            out, err = child.communicate(timeout=seconds + 0.5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"checking {path.name} did not finish within {seconds + 0.5:.1f} s")
        assert child.returncode == 0, err
        elapsed, ok, rule = out.split()
        return float(elapsed), ok == "True", rule
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def test_file_of_many_tiny_values_is_refused_quickly(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_bytes(b"a: [" + b"x, " * 170_000 + b"]\n")
    assert path.stat().st_size < MAX_FILE_BYTES
    elapsed, ok, rule = _check_with_deadline(path, 1.0)
    assert elapsed < 1.0 and not ok and rule == codes.YAML


def test_wide_alias_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_bytes(b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: [" + b"*a, " * 100_000 + b"]\n")
    assert path.stat().st_size < MAX_FILE_BYTES
    elapsed, ok, rule = _check_with_deadline(path, 1.0)
    assert elapsed < 1.0 and not ok and rule == codes.YAML


def test_deadline_helper_passes_a_fast_file(tmp_path):
    """The helper above can pass, so the two expected failures fail for the timing, not the helper."""
    path = tmp_path / "ok.yaml"
    path.write_text(MINIMAL)
    elapsed, ok, rule = _check_with_deadline(path, 1.0)
    assert elapsed < 1.0 and ok and rule == "-"
