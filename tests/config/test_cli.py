"""The command line, run as a user runs it: ``python -m nnconf ...`` in a subprocess."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import nnconf
from nnconf import codes
from nnconf.cli import cli

from tests.config.helpers import CONFIGS, MINIMAL, SHIPPED, run_cli

BAD = """\
task: binary
model:
  input_shape: [4]
  layers:
    - {type: Dense, unitz: 1}
loss: binary_crossentropi
"""
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning) (?P<rule>NN\d{3}) ")


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


def assert_one_line_usage_error(result):
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- validate --------------------------------------------------------------------------------


def test_validate_shipped_configs_exits_0():
    result = run_cli("validate", "configs")
    assert result.returncode == 0, result.stdout + result.stderr
    for path in SHIPPED:
        assert f"{path.relative_to(CONFIGS.parent)}: ok" in result.stdout
    assert f"{len(SHIPPED)} files checked, 0 invalid" in result.stdout


def test_validate_bad_file_exits_1_with_located_lines(bad_file):
    result = run_cli("validate", str(bad_file))
    assert result.returncode == 1, result.stdout + result.stderr
    located = [LOCATED.match(line) for line in result.stdout.splitlines()]
    located = [(m["file"], int(m["line"]), int(m["column"]), m["rule"]) for m in located if m]
    assert located == [
        (str(bad_file), 5, 7, codes.SCHEMA),  # missing units, at the layer
        (str(bad_file), 5, 21, codes.SCHEMA),  # unknown key unitz
        (str(bad_file), 6, 7, codes.SCHEMA),  # unknown loss
    ], result.stdout
    assert "hint: did you mean 'units'?" in result.stdout
    assert "hint: did you mean 'binary_crossentropy'?" in result.stdout
    assert "1 file checked, 1 invalid (3 errors, 0 warnings)" in result.stdout


def test_validate_mixed_files_exits_1_and_reports_each(bad_file):
    result = run_cli("validate", str(CONFIGS / "mnist.yaml"), str(bad_file))
    assert result.returncode == 1
    assert "configs/mnist.yaml: ok" in result.stdout
    assert "2 files checked, 1 invalid" in result.stdout


def test_validate_quiet_prints_only_problems(bad_file):
    ok = run_cli("validate", "--quiet", "configs")
    assert (ok.returncode, ok.stdout) == (0, "")
    bad = run_cli("validate", "-q", str(bad_file), str(CONFIGS / "mnist.yaml"))
    assert bad.returncode == 1 and ": ok" not in bad.stdout and LOCATED.match(bad.stdout)


def test_validate_hostile_file_exits_1_without_a_traceback(tmp_path):
    path = tmp_path / "junk.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{path}:1: error {codes.YAML}" in result.stdout


def test_validate_with_override(bad_file):
    ok = run_cli("validate", str(CONFIGS / "mnist.yaml"), "--set", "model.layers[1].units=256")
    assert ok.returncode == 0, ok.stdout
    bad = run_cli("validate", str(CONFIGS / "mnist.yaml"), "--set", "model.layers[1].units=0")
    assert bad.returncode == 1
    assert f"--set model.layers[1].units=0: error {codes.SCHEMA}" in bad.stdout
    malformed = run_cli("validate", str(CONFIGS / "mnist.yaml"), "--set", "foo")
    line = assert_one_line_usage_error(malformed)  # a malformed --set is a wrong command line
    assert "foo" in line and "key.path=value" in line


def test_validate_missing_file_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "absent.yaml"
    line = assert_one_line_usage_error(run_cli("validate", str(missing)))
    assert str(missing) in line and "no such file" in line


def test_validate_unknown_flag_exits_2_with_one_line():
    line = assert_one_line_usage_error(run_cli("validate", "--bogus", "configs"))
    assert "--bogus" in line


def test_unknown_command_exits_2_with_one_line():
    line = assert_one_line_usage_error(run_cli("frobnicate"))
    assert "frobnicate" in line


def test_validate_without_paths_exits_2():
    result = run_cli("validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_validate_searches_a_directory_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "top.yaml").write_text(MINIMAL)
    (tmp_path / "a" / "middle.yml").write_text(MINIMAL)
    (tmp_path / "a" / "b" / "deep.yaml").write_text(BAD)
    (tmp_path / "a" / "notes.txt").write_text(BAD)  # not a config: ignored
    (tmp_path / "a" / "b" / "data.json").write_text("{}")
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1, result.stdout
    assert "3 files checked, 1 invalid" in result.stdout
    assert f"{tmp_path / 'top.yaml'}: ok" in result.stdout
    assert f"{tmp_path / 'a' / 'middle.yml'}: ok" in result.stdout
    assert f"{tmp_path / 'a' / 'b' / 'deep.yaml'}:5:21: error" in result.stdout
    assert "notes.txt" not in result.stdout and "data.json" not in result.stdout


def test_validate_empty_directory_exits_2(tmp_path):
    assert_one_line_usage_error(run_cli("validate", str(tmp_path)))


def test_validate_accepts_a_glob():
    result = run_cli("validate", "configs/*.yaml")
    assert result.returncode == 0
    assert f"{len(SHIPPED)} files checked, 0 invalid" in result.stdout


# --- help and version --------------------------------------------------------------------------


def test_top_level_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0 and result.stderr == ""
    for command in ("validate", "schema", "config"):
        assert command in result.stdout


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    printed = " ".join(result.stdout.split())  # click rewraps the text; nnconf's words are what count
    summary = " ".join(cli.commands[command].help.split("\n\n")[0].split())
    assert summary in printed
    options = [name for param in cli.commands[command].params for name in param.opts if name.startswith("--")]
    assert all(name in printed for name in options)
    assert "Traceback" not in result.stderr


def test_the_core_commands_exist():
    assert {"validate", "schema", "config"} <= set(cli.commands)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    result = run_cli(flag)
    assert result.returncode == 0
    assert result.stdout.strip() == f"nnconf, version {nnconf.__version__}"


# --- schema ----------------------------------------------------------------------------------


def test_schema_prints_the_json_schema():
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(nnconf.json_schema()))
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_writes_a_file(tmp_path):
    output = tmp_path / "nnconf.schema.json"
    result = run_cli("schema", "-o", str(output))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(output.read_text())["title"] == "nnconf model configuration"


# --- config ----------------------------------------------------------------------------------


def test_config_prints_resolved_yaml_with_defaults_and_override():
    result = run_cli("config", "--full", "configs/mnist.yaml", "--set", "model.layers[1].units=256",
                     "--set", "optimizer.learning_rate=3e-4")
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    dense = resolved["model"]["layers"][1]
    assert dense["type"] == "Dense" and dense["units"] == 256
    assert dense["kernel_initializer"] == {"name": "glorot_uniform", "seed": None}  # a default, filled in
    assert dense["use_bias"] is True
    assert resolved["optimizer"]["learning_rate"] == 0.0003
    assert resolved["optimizer"]["beta_1"] == 0.9
    # What it prints is itself a valid config that means the same.
    assert nnconf.loads(result.stdout) == nnconf.load("configs/mnist.yaml",
                                                      ["model.layers[1].units=256", "optimizer.learning_rate=3e-4"])


def test_config_of_a_bad_file_exits_1_with_findings_on_stderr(bad_file):
    result = run_cli("config", str(bad_file))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{bad_file}:5:21: error {codes.SCHEMA}" in result.stderr


def test_config_with_a_bad_override_exits_1():
    result = run_cli("config", "configs/mnist.yaml", "--set", "model.layers[9].units=1")
    assert result.returncode == 1
    assert f"--set model.layers[9].units=1: error {codes.OVERRIDE}" in result.stderr


def test_config_of_a_missing_file_exits_2(tmp_path):
    assert_one_line_usage_error(run_cli("config", str(tmp_path / "absent.yaml")))


def test_config_of_a_directory_exits_2():
    assert_one_line_usage_error(run_cli("config", "configs"))


@pytest.mark.parametrize("command", ["validate", "lint", "summary", "config", "build", "train"])
def test_a_file_name_too_long_exits_2_with_one_line(command):
    name = "n" * 300 + ".yaml"  # longer than any file system's limit for one name (255 bytes)
    line = assert_one_line_usage_error(run_cli(command, name))
    assert "the file name is too long" in line
