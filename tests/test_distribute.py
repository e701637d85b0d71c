"""Training under tf.distribute: mirrored over two logical CPUs, and two multi-worker processes on
127.0.0.1 that write one run directory and survive a killed worker."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import nnconf
from nnconf.config.training import Distribution
from nnconf.engine.distribute import Distributed, DistributionError, check_tf_config, cluster_config, is_chief, \
    one_step_per_execution, scaled_learning_rate
from nnconf.engine.train import TrainingError

ROOT = Path(__file__).resolve().parent.parent

SMALL = """
name: small-digits
task: multiclass
seed: 3
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 32, activation: relu}
    - {type: Dropout, rate: 0.2}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
optimizer: {name: adam, learning_rate: 0.01}
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16, max_samples: 400}
training: {epochs: EPOCHS, batch_size: 32, tensorboard: false}
"""
STEPS = 13  # 400 training samples in batches of 32

MULTI_WORKER = "training.distribution.strategy=multi_worker"
TWO_CPUS = "training.distribution={strategy: mirrored, devices: [/cpu:0, /cpu:1]}"


def small_config(tmp_path: Path, epochs: int) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL).replace("EPOCHS", str(epochs)))
    return path


def nnconf_cli(*arguments: str, cwd: Path = ROOT, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def state(run: Path) -> dict:
    try:
        return json.loads((run / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


class Cluster:
    """Two `nnconf train` worker processes on 127.0.0.1, each in its own folder with its own TMPDIR."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.addresses = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
        self.homes = [tmp_path / f"worker{index}" for index in range(2)]
        for home in self.homes:
            (home / "tmp").mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen] = []

    def start(self, *arguments: str) -> None:
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "nnconf", "train", *arguments, "--cluster", self.addresses,
                              "--worker-index", str(index)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=home, env={**os.environ, "TMPDIR": str(home / "tmp")})
            for index, home in enumerate(self.homes)]

    def wait(self, timeout: float = 150) -> list[str]:
        deadline = time.monotonic() + timeout
        outputs = []
        try:
            for process in self.processes:
                outputs.append(process.communicate(timeout=max(deadline - time.monotonic(), 1))[0])
        finally:
            self.kill()
        assert all(process.returncode == 0 for process in self.processes), "\n\n".join(outputs)
        return outputs

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.communicate()


# --- the pieces, without starting TensorFlow's runtime ------------------------------------------


def test_batch_size_is_the_global_batch_split_evenly_over_the_replicas():
    mirrored = Distributed("mirrored", None, 2)
    assert mirrored.summary(32) == "strategy: mirrored, 2 replicas, 16 samples per replica"
    with pytest.raises(DistributionError, match="cannot be split evenly over 3 replicas.*multiple of 3"):
        Distributed("mirrored", None, 3).per_replica(32)


def test_the_learning_rate_is_scaled_only_when_asked(tmp_path):
    config = nnconf.load(small_config(tmp_path, 1))
    assert scaled_learning_rate(config, 4) == (config, None)
    asked = config.model_copy(update={"training": config.training.model_copy(
        update={"distribution": Distribution(strategy="mirrored", scale_learning_rate=True)})})
    scaled, line = scaled_learning_rate(asked, 4)
    assert scaled.optimizer.learning_rate == pytest.approx(0.04) and "scaled by 4 replicas" in line
    schedule = nnconf.load(small_config(tmp_path, 1), [
        "optimizer.learning_rate={name: cosine_decay, initial_learning_rate: 0.01, decay_steps: 100}",
        "training.distribution.scale_learning_rate=true"])
    assert scaled_learning_rate(schedule, 2)[0].optimizer.learning_rate.initial_learning_rate == pytest.approx(0.02)


def test_several_replicas_run_one_step_per_call_and_say_so(tmp_path):
    config = nnconf.load(small_config(tmp_path, 1))
    assert config.training.steps_per_execution == 32
    assert one_step_per_execution(config, 1) == (config, None)
    single, line = one_step_per_execution(config, 2)
    assert single.training.steps_per_execution == 1 and line.startswith("steps_per_execution 32 -> 1")


def test_cluster_flags_become_tf_config_and_worker_0_is_the_chief():
    assert json.loads(cluster_config("10.0.0.1:2222,10.0.0.2:2222", 1)) == {
        "cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="not one of the 2 workers"):
        cluster_config("a:1,b:2", 2)
    with pytest.raises(ValueError, match="is not HOST:PORT"):
        cluster_config("a:1,b", 0)
    assert is_chief("worker", 0, has_chief_job=False) and not is_chief("worker", 1, has_chief_job=False)
    assert is_chief("chief", 0, has_chief_job=True) and not is_chief("worker", 0, has_chief_job=True)


def test_multi_worker_command_lines_are_checked_before_tensorflow_starts(tmp_path):
    config = small_config(tmp_path, 1)
    without_run_dir = nnconf_cli("train", str(config), "--set", MULTI_WORKER)
    assert without_run_dir.returncode == 2 and "needs --run-dir" in without_run_dir.stderr
    not_multi_worker = nnconf_cli("train", str(config), "--cluster", "127.0.0.1:1,127.0.0.1:2", "--worker-index", "0")
    assert not_multi_worker.returncode == 2 and "strategy is default" in not_multi_worker.stderr
    with pytest.raises(TrainingError, match="needs --run-dir"):
        nnconf.train(config, [MULTI_WORKER])


@pytest.mark.parametrize("tf_config, says", [
    ('{"cluster": 5, "task": []}', "cluster must map each job to a list of HOST:PORT addresses, not 5"),
    ('{"cluster": {"worker": "a:1"}}', "cluster must map each job to a list of HOST:PORT addresses"),
    ('{"cluster": {"worker": ["a:1", "b"]}}', "cluster must map each job to a list of HOST:PORT addresses"),
    ('{"cluster": {"worker": ["a:1"]}, "task": []}', "task must be a mapping whose type is a job of the cluster"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', "whose type is a job of the cluster"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     "task index 2 is not one of the 2 'worker' addresses (0 to 1)"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": "0"}}', 'task index "0" is not one'),
    ("[1, 2]", "TF_CONFIG must be a JSON object"),
    ("{cluster", "TF_CONFIG is not JSON"),
], ids=["cluster-not-a-mapping", "addresses-not-a-list", "not-host-port", "task-not-a-mapping", "task-type-unknown",
        "index-out-of-range", "index-not-a-number", "not-an-object", "not-json"])
def test_a_malformed_tf_config_is_refused_saying_what_is_wrong(tf_config, says):
    with pytest.raises(DistributionError, match=re.escape(says)):
        check_tf_config(tf_config)


def test_well_formed_or_absent_tf_configs_pass():
    for tf_config in (None, "", "{}", cluster_config("127.0.0.1:1,127.0.0.1:2", 1),
                      '{"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "chief", "index": 0}}'):
        check_tf_config(tf_config)


def test_train_with_a_malformed_tf_config_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nnconf", "train", str(small_config(tmp_path, 1)), "--set",
                             MULTI_WORKER, "--run-dir", str(tmp_path / "run")], capture_output=True, text=True,
                            cwd=ROOT, timeout=150, env={**os.environ, "TF_CONFIG": '{"cluster": 5, "task": []}'})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        'error: TF_CONFIG: cluster must map each job to a list of HOST:PORT addresses, not 5; e.g. {"cluster": '
        '{"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 0}}']


# --- one machine -------------------------------------------------------------------------------


def test_one_device_trains_exactly_like_the_default_strategy(tmp_path):
    """Under a strategy each epoch still sees every batch of its own shuffle, in the same order."""
    config = small_config(tmp_path, 2)
    default = nnconf.train(config, run_dir=tmp_path / "default")
    one_device = nnconf.train(config, ["training.distribution.strategy=one_device"], run_dir=tmp_path / "one")
    assert one_device.history == default.history and one_device.metrics == default.metrics


def test_mirrored_over_two_logical_cpus_ends_close_to_one_device(tmp_path):
    config = small_config(tmp_path, 5)
    single = nnconf.train(config, run_dir=tmp_path / "single")
    result = nnconf_cli("train", str(config), "--set", TWO_CPUS, "--run-dir", str(tmp_path / "mirrored"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "strategy: mirrored, 2 replicas, 16 samples per replica" in result.stdout
    assert "steps_per_execution 32 -> 1" in result.stdout
    assert result.stdout.count(f"{STEPS}/{STEPS} ") == 5  # every epoch took all its batches
    mirrored = json.loads((tmp_path / "mirrored" / "metrics.json").read_text())
    assert mirrored["accuracy"] == pytest.approx(single.metrics["accuracy"], abs=0.05)
    assert mirrored["loss"] == pytest.approx(single.metrics["loss"], rel=0.1)
    described = json.loads((tmp_path / "mirrored" / "description.json").read_text())["distribution"]
    assert described == {"strategy": "mirrored", "replicas": 2, "workers": 1, "global_batch_size": 32,
                         "per_replica_batch_size": 16}


# --- several workers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_multi_worker_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("multi-worker")
    config = small_config(tmp_path, 4)
    cluster = Cluster(tmp_path)
    cluster.start(str(config), "--set", MULTI_WORKER, "--run-dir", str(tmp_path / "run"))
    return tmp_path / "run", cluster, cluster.wait()


def test_two_workers_train_into_one_run_directory_written_by_the_chief(whole_multi_worker_run):
    run, cluster, outputs = whole_multi_worker_run
    assert "strategy: multi_worker, 2 replicas, 16 samples per replica; worker 0 of 2, the chief" in outputs[0]
    assert "worker 1 of 2, its files go to a temporary folder" in outputs[1]
    for output in outputs:
        assert f"run finished: {run}" in output
        assert output.count(f"{STEPS}/{STEPS} ") == 4  # every epoch took all its (global) batches
    files = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    assert {"config.yaml", "description.json", "preprocessing.json", "state.json", "history.csv", "model.keras",
            "metrics.json", "training.png", "checkpoints/last.keras", "checkpoints/best.keras"} <= files
    assert not any(name.startswith(".") or "/." in name for name in files)  # no half-written leftovers
    assert json.loads((run / "description.json").read_text())["working_directory"] == str(cluster.homes[0])
    assert state(run)["status"] == "finished" and state(run)["epochs_done"] == 4
    # The other worker wrote its copies into its own temporary folder, and removed it; nothing else.
    assert not list((cluster.homes[1] / "tmp").iterdir())
    assert sorted(p.name for p in cluster.homes[1].iterdir()) == ["tmp"]
    chief_metrics = json.loads((run / "metrics.json").read_text())
    assert chief_metrics["split"] == "test" and chief_metrics["accuracy"] > 0.5


def test_after_a_worker_is_killed_both_resume_from_the_chiefs_checkpoint(tmp_path, whole_multi_worker_run):
    config = small_config(tmp_path, 4)
    run = tmp_path / "run"
    cluster = Cluster(tmp_path)
    cluster.start(str(config), "--set", MULTI_WORKER, "--run-dir", str(run))
    deadline = time.monotonic() + 120
    while state(run).get("epochs_done", 0) < 1 and time.monotonic() < deadline \
            and all(process.poll() is None for process in cluster.processes):
        time.sleep(0.02)
    cluster.processes[1].send_signal(signal.SIGKILL)  # one worker dies mid-run...
    cluster.processes[1].wait()
    cluster.kill()  # ...and the chief is stopped too (TensorFlow stops it when the heartbeats stop, later)
    assert 1 <= state(run)["epochs_done"] < 4 and state(run)["status"] != "finished"
    cluster.start("--resume", str(run))
    outputs = cluster.wait()
    assert all("resuming" in output and f"run finished: {run}" in output for output in outputs)
    assert state(run)["status"] == "finished" and (run / "model.keras").exists()
    assert len(state(run)["history"]["loss"]) == 4
    # Both workers started from the chief's checkpoint, so the run ends as the uninterrupted one did.
    whole, _, _ = whole_multi_worker_run
    for name in ("history.json", "metrics.json"):
        assert json.loads((run / name).read_text()) == json.loads((whole / name).read_text())
