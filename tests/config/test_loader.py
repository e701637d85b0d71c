"""The YAML loader: safe (no tag runs code), strict (duplicates), YAML 1.2 numbers, hostile input."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest

import nnconf
from nnconf import codes
from nnconf.config import loader
from nnconf.config.loader import (MAX_DEPTH, MAX_FILE_BYTES, MAX_NUMBER, MAX_VALUES, load_bytes, load_file,
                                  load_text)
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


# --- 6. hostile files: one clear error in nnconf's words, with bounded work, never an exception -----
#
# No test here times anything: a machine's load says nothing about nnconf. Work is bounded by counts
# instead (parser events taken, nodes converted), which the `work` fixture checks and caps, so that a
# regression fails here at once instead of hanging or exhausting memory.


class TooMuchWork(BaseException):
    """Raised by the counters of the `work` fixture; a BaseException, so nothing in nnconf catches it."""


# Composing a node takes one or two parser events (a collection's start and end), and once the value
# budget is spent each remaining item of the lists being converted costs one more (returning at once).
WORK_BOUNDS = {"events": 2 * MAX_VALUES + 10, "conversions": 2 * MAX_VALUES + 10}


@pytest.fixture
def work(monkeypatch) -> dict[str, int]:
    """How much work the loader does: parser events it takes, and nodes it converts to values."""
    counts = dict.fromkeys(WORK_BOUNDS, 0)

    def counted(kind: str, method):
        def counting(self, *args, **kwargs):
            counts[kind] += 1
            if counts[kind] > WORK_BOUNDS[kind]:
                raise TooMuchWork(f"more than {WORK_BOUNDS[kind]} {kind}")
            return method(self, *args, **kwargs)
        return counting

    parser = loader._ComposingLoader
    monkeypatch.setattr(parser, "get_event", counted("events", parser.get_event))
    monkeypatch.setattr(loader._Converter, "convert", counted("conversions", loader._Converter.convert))
    return counts


def _billion_laughs() -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        previous, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(range(256))


NESTED = f"values are nested more than {MAX_DEPTH} levels deep"
TOO_LARGE = f"the file is over {MAX_FILE_BYTES // 1024} KiB"
NOT_UTF8 = "the file is not UTF-8 text"
BAD_CHARACTER = "the file holds a character YAML does not allow"
EMPTY = "the file is empty"
NOT_A_MAPPING = "the top level of a config must be a mapping"
SYNTAX = "YAML syntax error: "

HOSTILE = {
    # name: (bytes, the start of nnconf's own message for it)
    "billion-laughs": (_billion_laughs(), f"the document expands to more than {MAX_VALUES} values"),
    "flow-nesting-10000": (b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", NESTED),
    "flow-nesting-999": (b"a: " + b"[" * 999 + b"]" * 999 + b"\n", NESTED),  # under libyaml's own limit
    "flow-mapping-nesting-10000": (b"a: " + b"{b: " * 10_000 + b"1" + b"}" * 10_000 + b"\n", NESTED),
    "block-sequence-nesting-10000": (b"a:\n  " + b"- " * 10_000 + b"x\n", NESTED),
    "block-mapping-nesting-1000": (b"".join(b" " * i + b"k:\n" for i in range(1000)), NESTED),
    "block-mapping-nesting-10000": (b"".join(b" " * i + b"k:\n" for i in range(10_000)), TOO_LARGE),
    "five-megabytes": (b"name: " + b"x" * (5 * 1024 * 1024) + b"\n", TOO_LARGE),
    "random-bytes": (random.Random(1).randbytes(4096) + b"\x00", NOT_UTF8),
    "png-header": (_png(), NOT_UTF8),
    "utf8-with-nul": (b"task: binary\x00\x00\x00\n", BAD_CHARACTER),
    "utf8-control-characters": (b"task: \x07\x1b[31mbinary\n", BAD_CHARACTER),
    "several-documents": (b"task: binary\n---\ntask: regression\n", "the file holds more than one YAML document"),
    "empty": (b"", EMPTY),
    "comments-only": (b"# yaml-language-server: $schema=nnconf.schema.json\n# nothing here\n", EMPTY),
    "top-level-list": (b"- task: binary\n- loss: mse\n", NOT_A_MAPPING),
    "top-level-scalar": (b"hello world\n", NOT_A_MAPPING),
    "top-level-number": (b"42\n", NOT_A_MAPPING),
    "non-utf8-latin1": (b"name: caf\xe9\ntask: binary\n", NOT_UTF8),
    "utf16": ("task: binary\n".encode("utf-16"), NOT_UTF8),
    "syntax-error": (b"task: [binary\nmodel: {\n", SYNTAX),
    "tab-indentation": (b"model:\n\tlayers: []\n", SYNTAX),
    "undefined-alias": (b"task: *nowhere\n", "the alias *nowhere refers to no anchor"),
    # Under the size limit, but many values: refused at the value limit, not parsed to the end.
    "many-tiny-values": (b"a: [" + b"x, " * 170_000 + b"]\n", f"the document has more than {MAX_VALUES} values"),
    "wide-alias-bomb": (b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: [" + b"*a, " * 100_000 + b"]\n",
                        f"the document has more than {MAX_VALUES} values"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_gives_one_clear_error_with_bounded_work(name, tmp_path, work):
    content, message = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)

    report = nnconf.check(path)  # must not raise

    assert not report.ok and report.config is None
    # Hostile input is one clear message from the reader, not a flood.
    reading = [f for f in report.findings if f.rule == codes.YAML]
    assert len(reading) == 1, describe(report)
    assert reading[0].severity is Severity.ERROR
    assert reading[0].file == str(path)
    assert reading[0].message.startswith(message), describe(report)
    assert all(work[kind] <= WORK_BOUNDS[kind] for kind in WORK_BOUNDS), work


@pytest.mark.parametrize("name", ["many-tiny-values", "wide-alias-bomb"])
def test_a_file_of_too_many_values_is_refused_at_the_value_limit(name, work):
    """170,000 values (or 100,000 aliases) fit in the size limit: the parser is stopped at the value
    limit instead of being run to the end of the file."""
    content, _ = HOSTILE[name]
    assert len(content) < MAX_FILE_BYTES
    finding = load_bytes(content, "wide.yaml").findings[0]
    assert finding.message.startswith(f"the document has more than {MAX_VALUES} values")
    assert work["events"] <= MAX_VALUES + 10, work
    # where it stopped: at about the 20,000th of the 100,000 or more values on the line
    assert finding.column < 4 * MAX_VALUES + 10 < len(content.splitlines()[-1]) / 2, finding.column


def test_flow_nesting_is_refused_at_nnconfs_limit_whatever_the_parser_allows():
    """libyaml refuses a thousand flow levels in words of its own; nnconf refuses the 64th nested list,
    where it starts, in its own."""
    for depth in (MAX_DEPTH - 1, MAX_DEPTH, 999, 1000, 10_000):
        text = "a: " + "[" * depth + "]" * depth + "\n"
        findings = load_text(text).findings
        if depth < MAX_DEPTH:
            assert findings == [], depth
            continue
        assert [(f.message, f.line, f.column) for f in findings] == [(NESTED, 1, 3 + MAX_DEPTH)], depth


def test_hostile_files_through_the_cli_under_cpu_and_memory_limits(tmp_path):
    """Every hostile file at once through `nnconf validate`, in a child process whose CPU time and
    address space are capped (generously: checking them all takes a small part of either): one reading
    finding each, exit 1, no traceback. A hang would be killed by the CPU limit, an explosion by the
    memory limit, on a loaded machine as on an idle one."""
    resource = pytest.importorskip("resource")
    paths = []
    for name, (content, _) in HOSTILE.items():
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_bytes(content)

    def limits():
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    result = subprocess.run([sys.executable, "-m", "nnconf", "validate", *map(str, paths)], cwd=ROOT,
                            capture_output=True, text=True, preexec_fn=limits, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for path, (_, message) in zip(paths, HOSTILE.values()):
        lines = [line for line in result.stdout.splitlines() if line.startswith(f"{path}:") and codes.YAML in line]
        assert len(lines) == 1 and message in lines[0], (path.name, lines)


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


# --- 7. keys are plain names: a null or tagged key is an error, never dropped or re-read --------


@pytest.mark.parametrize(("text", "position"), [
    ("~: 3\n", (1, 1)),
    ("null: x\n", (1, 1)),
    ("Null: x\n", (1, 1)),
    ("? \n: 1\n", (1, 2)),  # an empty key
    ("model:\n  ~: 1\n", (2, 3)),
    ("a: {null: 1}\n", (1, 5)),
])
def test_a_null_key_is_a_located_error(text, position):
    loaded = load_text(text, "keys.yaml")
    assert [(f.rule, f.severity, f.line, f.column) for f in loaded.findings] == \
        [(codes.YAML, Severity.ERROR, *position)], describe(loaded.findings)
    assert loaded.findings[0].message.startswith("a key must be a plain name, found null")


def test_a_null_key_in_a_config_is_reported_not_dropped():
    report = check(MINIMAL.replace("task: binary", "task: binary\n~: 3"))
    assert not report.ok
    assert [(f.rule, f.line) for f in errors(report)] == [(codes.YAML, 2)], describe(report)


def test_a_quoted_null_is_a_name():
    assert load_text("'~': 1\n'null': 2\n").data == {"~": 1, "null": 2}


@pytest.mark.parametrize(("text", "words"), [
    ("!!str foo: 1\n", "the key 'foo' has a tag (!!str)"),
    ("!!int 5: 1\n", "the key '5' has a tag (!!int)"),
    ("!!python/name:os.system : 1\n", "the tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
    ("!custom k: 1\n", "the tag '!custom' is not allowed"),
    ("a:\n  b: 1\n  !!str c: 2\n", "the key 'c' has a tag (!!str)"),
])
def test_a_tag_on_a_key_is_a_located_error(text, words):
    loaded = load_text(text, "keys.yaml")
    assert len(loaded.findings) == 1, describe(loaded.findings)
    finding = loaded.findings[0]
    assert (finding.rule, finding.line, finding.column) == (codes.YAML, text.count("\n"), text.splitlines()[-1].index("!") + 1)
    assert finding.message.startswith(words), finding.message


def test_a_tagged_key_never_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    report = check(MINIMAL + f"!!python/object/apply:os.system ['touch {marker}']: 1\n")
    assert not marker.exists()
    assert [(f.rule, f.line) for f in errors(report)] == [(codes.YAML, 7)], describe(report)


# --- 8. integers of thousands of digits: one located finding, abbreviated ------------------------

HUGE_INTEGERS = {
    "hexadecimal-5000-digits": "0x" + "f" * 5000,
    "decimal-100000-digits": "9" * 100_000,
    "negative-5000-digits": "-" + "1" * 5000,
    "octal-5000-digits": "0o" + "7" * 5000,
    "just-beyond-the-largest-number": str(MAX_NUMBER + 1),
}


@pytest.mark.parametrize("digits", list(HUGE_INTEGERS.values()), ids=list(HUGE_INTEGERS))
def test_an_integer_too_large_for_any_config_value_is_one_located_finding(digits):
    report = check(MINIMAL + f"seed: {digits}\n")
    assert not report.ok
    assert len(report.findings) == 1, describe(report)
    finding = report.findings[0]
    assert (finding.rule, finding.path, finding.line, finding.column) == (codes.YAML, "seed", 7, 7)
    assert finding.message.startswith("integer too large: ")
    assert finding.hint
    # The value is abbreviated: its start, its end and its length, not thousands of digits.
    assert len(finding.format()) < 300, finding.format()
    assert f"({len(digits.lstrip('-').removeprefix('0x').removeprefix('0o'))} digits)" in finding.message


def test_the_largest_number_is_an_integer_and_still_checked_by_the_schema():
    assert load_text(f"v: {MAX_NUMBER}\nw: -{MAX_NUMBER}\n").data == {"v": MAX_NUMBER, "w": -MAX_NUMBER}
    report = check(MINIMAL + f"seed: {MAX_NUMBER}\n")
    finding = errors(report)[0]
    assert (finding.rule, finding.path) == (codes.SCHEMA, "seed"), describe(report)
    assert len(finding.message) < 200, finding.message


def test_leading_zeros_do_not_make_an_integer_large():
    assert load_text("v: " + "0" * 5000 + "7\n").data == {"v": 7}


def test_an_integer_too_large_is_exit_1_from_validate_with_no_traceback(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL + "seed: 0x" + "f" * 5000 + "\n")
    result = run_cli("validate", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{path}:7:7: error {codes.YAML} integer too large" in result.stdout
    assert len(result.stdout) < 1000


def test_a_long_value_that_is_no_integer_is_abbreviated():
    finding = load_text("v: !!int " + "x" * 10_000 + "\n").findings[0]
    assert finding.rule == codes.YAML and "(10000 characters)" in finding.message
    assert len(finding.message) < 200
