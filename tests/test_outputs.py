"""``-o FILE``: a command writes a new file, or replaces a regular one with ``--force``; it never
replaces a device, FIFO, socket, symbolic link or directory, and a path it cannot write is one line."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from nnconf.outputs import OutputError, checked_output, write_output

from tests.config.helpers import run_cli, run_python

TOO_LONG = "n" * 300  # longer than any file system's limit for one name (255 bytes)


def assert_one_line_refusal(result, *, code: int = 2) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer (or the folder probe) left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- what may be at the path --------------------------------------------------------------------


def test_schema_writes_a_new_file_and_replaces_one_only_with_force(tmp_path):
    output = tmp_path / "schema.json"
    assert run_cli("schema", "-o", str(output)).returncode == 0
    output.write_text("mine")
    line = assert_one_line_refusal(run_cli("schema", "-o", str(output)))
    assert "already exists" in line and "--force" in line
    assert output.read_text() == "mine"
    assert run_cli("schema", "-o", str(output), "--force").returncode == 0
    assert output.read_text().startswith("{")
    assert leftovers(tmp_path) == []


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 7))  # what /dev/full is
    except PermissionError:
        pytest.skip("making a device node needs root")


def _symlink(path: Path) -> None:
    (path.parent / "precious.txt").write_text("keep me")
    path.symlink_to(path.parent / "precious.txt")


def _dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.json")


def _directory(path: Path) -> None:
    path.mkdir()


def _command(name: str, tmp_path: Path, output: Path) -> list[str]:
    """``name``'s command line writing to ``output``; the refusal comes before its inputs are read."""
    dummy = tmp_path / "input.keras"
    dummy.write_text("never read")
    return {
        "schema": ["schema", "-o", str(output)],
        "build": ["build", "configs/digits.yaml", "-o", str(output)],
        "import": ["import", str(dummy), "-o", str(output)],
        "predict": ["predict", str(tmp_path), str(dummy), "-o", str(output)],
    }[name]


COMMANDS = ["schema", "build", "import", "predict"]


@pytest.mark.parametrize("make, kind", [
    (_device, "a character device"),
    (_fifo, "a FIFO"),
    (_socket, "a socket"),
    (_symlink, "a symbolic link"),
    (_dangling_symlink, "a symbolic link"),
    (_directory, "a directory"),
], ids=["device", "fifo", "socket", "symlink", "dangling-symlink", "directory"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_writing_command_refuses_anything_but_a_regular_file_even_with_force(tmp_path, command, make, kind):
    target = tmp_path / "out.keras"
    make(target)
    before = os.lstat(target)
    line = assert_one_line_refusal(run_cli(*_command(command, tmp_path, target), "--force", timeout=60))
    assert f"{target} is {kind}" in line
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # the same thing, untouched
    if (tmp_path / "precious.txt").exists():
        assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert not (tmp_path / "nowhere.json").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_writing_command_needs_force_for_an_existing_file(tmp_path, command):
    existing = tmp_path / "out.keras"
    existing.write_text("mine")
    line = assert_one_line_refusal(run_cli(*_command(command, tmp_path, existing)))
    assert "already exists" in line and "--force" in line
    assert existing.read_text() == "mine"


# --- paths that cannot be written -----------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_folder_is_one_line(tmp_path, command):
    output = tmp_path / "absent" / "out.keras"
    line = assert_one_line_refusal(run_cli(*_command(command, tmp_path, output)))
    assert f"the folder {output.parent} does not exist" in line
    assert not output.parent.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_that_takes_no_files_is_one_line(tmp_path, command):
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    line = assert_one_line_refusal(run_cli(*_command(command, tmp_path, Path("/proc/nnconf-out.keras"))))
    assert "the folder /proc does not take new files" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_name_too_long_is_one_line(tmp_path, command):
    output = tmp_path / f"{TOO_LONG}.keras"
    line = assert_one_line_refusal(run_cli(*_command(command, tmp_path, output)))
    assert "the file name is too long" in line
    assert leftovers(tmp_path) == []


def test_an_existing_proc_file_is_refused_even_with_force():
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs Linux's /proc")
    line = assert_one_line_refusal(run_cli("schema", "-o", "/proc/self/status", "--force"))
    assert "the folder /proc/self does not take new files" in line


# --- the check and the write, in process -----------------------------------------------------------


def test_the_write_checks_again_what_appeared_meanwhile(tmp_path):
    """Something made at the path while the command worked is not replaced either."""
    output = tmp_path / "out.json"
    checked_output(output, force=False)
    _symlink(output)
    written = []
    with pytest.raises(OutputError, match="is a symbolic link"):
        write_output(output, written.append, force=True)
    assert written == [] and output.is_symlink()


def test_a_failed_write_is_an_output_error_naming_the_file(tmp_path):
    def disk_full(path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    with pytest.raises(OutputError, match=r"cannot write .*out\.json"):
        write_output(tmp_path / "out.json", disk_full, force=False)


def test_the_folder_probe_leaves_nothing_behind(tmp_path):
    assert checked_output(tmp_path / "new.json", force=False) == tmp_path / "new.json"
    assert list(tmp_path.iterdir()) == []


def test_schema_output_does_not_import_tensorflow(tmp_path):
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['nnconf', 'schema', '-o', {str(tmp_path / 'schema.json')!r}]\n"
        "try:\n"
        "    runpy.run_module('nnconf', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]" and (tmp_path / "schema.json").is_file()
