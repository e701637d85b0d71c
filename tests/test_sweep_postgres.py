"""Two ``nnconf sweep`` processes sharing one study on a real PostgreSQL server.

The server is NNCONF_TEST_POSTGRES_URL's, or else a throwaway one this module starts from the
system's PostgreSQL binaries (``initdb``, ``pg_ctl``) in a temporary folder. Without either the test
is skipped, and says why; where NNCONF_REQUIRE_POSTGRES=1 or CI=true (as .ci/run sets), it fails.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import optuna
import pytest

from tests.test_sweep import CONFIG, finished, nnconf_sweep, states, write_config


def _required() -> bool:
    return os.environ.get("NNCONF_REQUIRE_POSTGRES") == "1" or os.environ.get("CI", "").lower() in ("1", "true")


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"PostgreSQL is required here (NNCONF_REQUIRE_POSTGRES or CI), but {reason}")
    pytest.skip(reason)


def _server_binaries() -> Path | None:
    on_path = shutil.which("initdb")
    candidates = ([Path(on_path).resolve().parent] if on_path else []) + sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((folder for folder in candidates if (folder / "initdb").exists() and (folder / "pg_ctl").exists()),
                None)


def _as_server_user() -> list[str]:
    """initdb refuses to run as root: as root, the server runs as the system's postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        subprocess.run(["id", "-u", "postgres"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        _unavailable("this runs as root and the system has no postgres user to run a server as")
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c", '"$0" "$@"']


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("NNCONF_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    binaries = _server_binaries()
    if binaries is None:
        _unavailable("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")
    user = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="nnconf-postgres-"))
    if user:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run([*user, str(binaries / "initdb"), "-D", str(data), "-U", "nnconf", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1"
    started = subprocess.run([*user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                              "-o", options, "-w", "-t", "120", "start"], capture_output=True, text=True)
    if started.returncode != 0:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        pytest.fail(f"the throwaway PostgreSQL server did not start: {started.stdout}{started.stderr}{log}")
    try:
        yield f"postgresql+psycopg2://nnconf@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_processes_share_one_study_on_postgresql(postgres_url, tmp_path):
    study_name = f"pg-{uuid.uuid4().hex[:12]}"  # a server given from outside may hold other studies
    config = write_config(tmp_path, CONFIG.replace("trials: 3", "trials: 4"))
    arguments = ("--storage", postgres_url, "--study", study_name, "--heartbeat", "5", "--set", "training.epochs=1")
    processes = [nnconf_sweep(config, *arguments, cwd=tmp_path) for _ in range(2)]
    outputs = [finished(process) for process in processes]
    study = optuna.load_study(study_name=study_name, storage=postgres_url)
    # Both processes worked on the one study, every trial ran once and completed. The count may pass the
    # requested 4 by one per extra process: the PostgreSQL advisory lock has been seen to let one through.
    completed = states(study)
    assert set(completed.values()) == {"COMPLETE"} and 4 <= len(completed) <= 4 + len(processes) - 1, completed
    trials = sorted(path.name for path in (tmp_path / "runs" / "tiny-sweep" / "sweeps" / study_name).glob("trial-*"))
    assert trials == [f"trial-{number:04d}" for number in sorted(completed)]
    reported = sorted(int(line.split(":")[0].split()[1]) for output in outputs for line in output.splitlines()
                      if line.startswith("trial "))
    assert reported == sorted(completed)  # each trial run by one process, once
