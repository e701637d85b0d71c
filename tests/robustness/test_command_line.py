"""The command line given wrong arguments: one clear line, exit 2, never a traceback or a hang.

Every command that takes a file (validate, lint, summary, config, build, import) is run as a user
runs it (``python -m nnconf ...`` in a subprocess) with a missing file, a directory where a file is
expected, an unreadable file, an unknown flag and malformed ``--set`` expressions; and, beyond those,
with a named pipe (through validate and summary, which stand for the two ways files are taken:
``config_files`` and ``checked_config``), an endless device and a non-UTF-8 ``--set`` byte.

The cases are independent, so their subprocesses run side by side (one per CPU), started by the first
test. Cases that fail today are listed in ``KNOWN_FAILURES`` with the reason, which marks them
``xfail(strict=True)``.

Nothing here is timed: a loaded machine must not fail a test. A command that would spin is stopped by
a CPU-time limit (RLIMIT_CPU) and one that would read forever by an address-space limit (RLIMIT_AS),
both far above what an answer takes. A command that would block on a named pipe uses no CPU, so the
pipe gets a writer, which stays blocked unless the command opens the pipe: then it hands over a valid
config, and the command's answer (exit 0 instead of a one-line refusal) fails the test at once.

Unreadable files: root reads anything, so as root the command runs under ``setpriv`` without the
capabilities that bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH); where that is
not possible, those cases are skipped.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import resource
except ImportError:  # not on Windows
    resource = None

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "configs" / "mnist.yaml"

FILE_COMMANDS = ["validate", "lint", "summary", "config", "build", "import"]
SINGLE_FILE_COMMANDS = ["summary", "config", "build", "import"]  # a directory is no file to them
SET_COMMANDS = ["validate", "lint", "summary", "config", "build"]  # the ones that take --set
BAD_SETS = ["foo", "a..b=1", "=1"]

CPU_SECONDS = 300  # CPU-time limit of every command (build imports TensorFlow: a few CPU seconds)
MEMORY = 2**30  # address-space limit for the cases that may read forever

WITHOUT_FILE_PERMISSION_BYPASS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@dataclass
class Case:
    argv: list  # str, or bytes for a non-UTF-8 argument; "{name}" is replaced by the scratch file's path
    mentions: str | None = None  # what the one line must name
    limit_memory: bool = False
    unreadable: bool = False
    pipe: bool = False  # "{pipe}" is a named pipe of its own


# Cases that fail today, by case id: the reason, shown as xfail(strict=True) (empty: none fails).
# Fixed so far: a malformed --set was an NN003 finding of the config (exit 1, several lines); an
# unreadable file was an NN001 finding (exit 1); a named pipe hung (read_bytes blocked); /dev/zero was
# read until MemoryError (a traceback); a non-UTF-8 --set byte escaped as UnicodeEncodeError.
KNOWN_FAILURES: dict[str, str] = {}


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for command in FILE_COMMANDS:
        name = "model.keras" if command == "import" else "config.yaml"
        cases[f"{command}-missing-file"] = Case([command, "{missing}/" + name], mentions=name)
        cases[f"{command}-unknown-flag"] = Case([command, "--no-such-flag", "{ok}"], mentions="--no-such-flag")
        cases[f"{command}-unreadable-file"] = Case(
            [command, "{unreadable_keras}" if command == "import" else "{unreadable}"], mentions="unreadable",
            unreadable=True)
    for command in SINGLE_FILE_COMMANDS:
        cases[f"{command}-directory"] = Case([command, "{directory}"], mentions="folder")
    # validate and lint search directories: one without configs is a usage error
    cases["validate-directory-without-configs"] = Case(["validate", "{directory}"], mentions="folder")
    for command in SET_COMMANDS:
        for expression in BAD_SETS:
            cases[f"{command}-set-{expression}"] = Case([command, "--set", expression, "{ok}"], mentions=expression)
    for command in ("validate", "summary"):  # the two ways in: config_files() and checked_config()
        cases[f"{command}-named-pipe"] = Case([command, "{pipe}"], mentions="pipe", pipe=True)
    cases["validate-endless-device"] = Case(["validate", "/dev/zero"], mentions="/dev/zero", limit_memory=True)
    cases["validate-set-non-utf8-byte"] = Case(["validate", "--set", b"name=caf\xe9", "{ok}"], mentions="name")
    return cases


CASES = _cases()


@dataclass
class Outcome:
    returncode: int  # negative: killed by that signal (SIGXCPU: the CPU limit)
    stdout: str
    stderr: str


def _limits(limit_memory: bool):
    def apply() -> None:
        if resource is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
            if limit_memory:
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    return apply


class _PipeWriter:
    """A writer for a named pipe: it blocks until someone opens the pipe to read, then writes a valid
    config. ``close`` opens the read end itself where nobody did, so the writer always ends."""

    def __init__(self, pipe: Path):
        self.pipe = pipe
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        try:
            with open(self.pipe, "wb") as stream:  # blocks until the pipe is opened to read
                stream.write(SEED.read_bytes())
        except BrokenPipeError:  # the reader closed it first
            pass

    def close(self) -> None:
        reader = os.open(self.pipe, os.O_RDONLY | os.O_NONBLOCK)
        try:
            self.thread.join()
        finally:
            os.close(reader)


def _run(argv: list, limit_memory: bool, prefix: list, pipe: Path | None) -> Outcome:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", TF_CPP_MIN_LOG_LEVEL="3")
    command = prefix + [sys.executable, "-m", "nnconf", *argv]
    writer = _PipeWriter(pipe) if pipe is not None else None
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, env=env, stdin=subprocess.DEVNULL,
                              preexec_fn=_limits(limit_memory))
    finally:
        if writer is not None:
            writer.close()
    return Outcome(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    files = {"missing": folder / "missing", "ok": folder / "ok.yaml", "directory": folder / "folder",
             "unreadable": folder / "unreadable.yaml", "unreadable_keras": folder / "unreadable.keras"}
    shutil.copy(SEED, files["ok"])
    files["directory"].mkdir()
    for key in ("unreadable", "unreadable_keras"):
        shutil.copy(SEED, files[key])
        files[key].chmod(0)
    yield files
    for key in ("unreadable", "unreadable_keras"):
        files[key].chmod(stat.S_IRUSR | stat.S_IWUSR)


def _unreadable_prefix(path: Path) -> list | None:
    """How to run a command that cannot read ``path``: as is, or (as root) without the capabilities
    that let root read anything; None where neither works."""
    if not hasattr(os, "geteuid"):
        return None
    if os.geteuid() != 0:
        try:
            path.read_bytes()
        except PermissionError:
            return []
        return None  # the file system ignores permissions
    if shutil.which("setpriv") is None:
        return None
    probe = subprocess.run(WITHOUT_FILE_PERMISSION_BYPASS + [sys.executable, "-c", f"open({str(path)!r}).read()"],
                           capture_output=True, text=True)
    return WITHOUT_FILE_PERMISSION_BYPASS if "PermissionError" in probe.stderr else None


@pytest.fixture(scope="module")
def outcomes(scratch) -> dict[str, Future | str]:
    """Starts every case; each test waits for its own outcome. A str is the reason to skip."""
    unreadable_prefix = _unreadable_prefix(scratch["unreadable"])
    working = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    futures: dict[str, Future | str] = {}
    for case_id, case in CASES.items():
        if case.unreadable and unreadable_prefix is None:
            futures[case_id] = ("no unreadable file here: root without setpriv (or without the right to drop "
                                "capabilities), or a file system that ignores permissions")
            continue
        if case.pipe and not hasattr(os, "mkfifo") or "/dev/zero" in case.argv and (
                resource is None or not Path("/dev/zero").exists()) or (
                os.name != "posix" and any(isinstance(arg, bytes) for arg in case.argv)):
            futures[case_id] = "not available on this platform"
            continue
        pipe = None
        if case.pipe:
            pipe = scratch["directory"].parent / f"{case_id}.yaml"
            os.mkfifo(pipe)
        names = {key: str(value) for key, value in scratch.items()} | {"pipe": str(pipe)}
        argv = [arg.format(**names) if isinstance(arg, str) else arg for arg in case.argv]
        prefix = unreadable_prefix if case.unreadable else []
        futures[case_id] = working.submit(_run, argv, case.limit_memory, prefix, pipe)
    yield futures
    working.shutdown(wait=True)


def assert_one_clear_line(outcome: Outcome, mentions: str | None) -> None:
    printed = outcome.stdout + outcome.stderr
    assert outcome.returncode >= 0, f"killed by signal {-outcome.returncode} (past its CPU or memory limit)"
    assert "Traceback" not in printed, printed
    lines = [line for line in printed.splitlines() if line.strip()]
    assert len(lines) == 1, f"{len(lines)} lines:\n{printed}"
    assert outcome.returncode == 2, f"exit {outcome.returncode}: {printed}"
    if mentions:
        assert mentions in lines[0], lines[0]


def _marks(case_id: str) -> list:
    reason = KNOWN_FAILURES.get(case_id)
    return [pytest.mark.xfail(strict=True, reason="BUG: " + reason)] if reason else []


@pytest.mark.parametrize("case_id", [pytest.param(case_id, marks=_marks(case_id)) for case_id in CASES])
def test_a_wrong_command_line_is_one_clear_line_and_exit_2(outcomes, case_id):
    outcome = outcomes[case_id]
    if isinstance(outcome, str):
        pytest.skip(outcome)
    assert_one_clear_line(outcome.result(), CASES[case_id].mentions)
