"""Run directories under stress: kills at awkward moments, edits, two writers, full disks, damage.

Each test trains a tiny model for real (scikit-learn data, a few epochs) and kills real processes.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import nnconf
from nnconf.engine.runs import RunDirError, RunLock, safe_name
from nnconf.engine.train import TrainingError, evaluate, load_run, predict
from nnconf.engine.train import train as train_run
from tests.test_train import SMALL, epochs_done, start_and_wait

TINY = """
task: multiclass
seed: 1
model:
  input_shape: [4]
  layers:
    - {type: Dense, units: 8, activation: relu}
    - {type: Dense, units: 3}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
metrics: [accuracy]
data: {source: sklearn.iris, standardize: true, validation_split: 0.2}
training: {epochs: EPOCHS, batch_size: 32, tensorboard: false}
"""


def tiny_config(tmp_path: Path, epochs: int = 3, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(TINY).replace("EPOCHS", str(epochs)))
    return path


def kill(process: subprocess.Popen) -> None:
    """SIGKILL for a run still under way (one that ended already says why)."""
    if process.poll() is not None:
        output = process.stdout.read() if process.stdout else ""
        pytest.fail(f"the run ended (exit {process.returncode}) before it could be killed:\n{output}")
    process.send_signal(signal.SIGKILL)
    process.wait()


def state_of(run: Path) -> dict:
    return json.loads((run / "state.json").read_text())


def _ignore_sigxfsz() -> None:
    """In the child: a write past RLIMIT_FSIZE fails with EFBIG, as on a full disk, instead of killing it."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _files_of_at_most(size: int):
    def limit() -> None:
        _ignore_sigxfsz()
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def nnconf_train(*arguments: str, cwd: Path, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnconf", "train", *arguments], capture_output=True, text=True,
                          cwd=cwd, preexec_fn=preexec_fn, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


# --- 1. early stopping resumes exactly ----------------------------------------------------------


def test_a_killed_run_that_stops_early_resumes_to_exactly_the_same_end(tmp_path):
    text = textwrap.dedent(SMALL).replace("EPOCHS", "40").replace(
        "tensorboard: true", "tensorboard: false, early_stopping: {monitor: val_loss, patience: 4}").replace(
        "max_samples: 600}", "max_samples: 600, validation_split: 0.2, test_split: 0.2}")
    config = tmp_path / "stops-early.yaml"
    config.write_text(text + "optimizer: {name: adam, learning_rate: 1.0e-2}\n")
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    epochs = len(whole.history["loss"])
    best = int(np.argmin(whole.history["val_loss"]))
    assert epochs < 40 and best + 2 <= epochs  # it stopped early, after epochs that did not improve
    # Killed once an epoch without improvement is checkpointed: its patience count must be in it.
    process = start_and_wait(tmp_path, tmp_path / "cut", config, epochs=best + 2)
    kill(process)
    assert state_of(tmp_path / "cut")["status"] == "running"
    resumed = nnconf.resume(tmp_path / "cut")
    assert len(resumed.history["loss"]) == epochs
    assert resumed.history == whole.history
    assert resumed.metrics == whole.metrics


# --- 2. an edited config.yaml is not resumed into ----------------------------------------------


def test_resuming_after_config_yaml_was_edited_is_refused_naming_what_changed(tmp_path):
    config = tiny_config(tmp_path, epochs=30)
    process = start_and_wait(tmp_path, tmp_path / "run", config, epochs=1)
    kill(process)
    saved = tmp_path / "run" / "config.yaml"
    original = saved.read_text()
    for edit, change in [(("units: 8", "units: 4"), "model.layers[0].units: 8 -> 4"),
                         (("batch_size: 32", "batch_size: 16"), "training.batch_size: 32 -> 16")]:
        assert edit[0] in original
        saved.write_text(original.replace(*edit))
        with pytest.raises(TrainingError, match="changed since the run trained") as refused:
            nnconf.resume(tmp_path / "run")
        assert change in str(refused.value)
    saved.write_text(original.replace("epochs: 30", "epochs: 3"))
    with pytest.raises(TrainingError, match=r"training.epochs: 30 -> 3"):
        nnconf.resume(tmp_path / "run")


# --- 3. one writer at a time, and temporary names of its own -----------------------------------


def test_a_run_directory_being_written_refuses_a_second_writer(tmp_path):
    config = tiny_config(tmp_path, epochs=500)
    process = start_and_wait(tmp_path, tmp_path / "run", config, epochs=1)
    try:
        assert process.poll() is None
        with pytest.raises(RunDirError, match=f"is being written by process {process.pid}"):
            nnconf.resume(tmp_path / "run")
        second = nnconf_train("--resume", str(tmp_path / "run"), cwd=tmp_path)
        assert second.returncode == 1 and f"is being written by process {process.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        kill(process)
    assert epochs_done(tmp_path / "run") >= 1
    RunLock(tmp_path / "run").release()  # the lock went with its process
    assert not (tmp_path / "run" / ".lock").exists()  # and a writer that ends removes its lock file


def test_writers_never_share_a_temporary_file(tmp_path):
    import keras

    from nnconf.engine.checkpoints import CheckpointStore
    from nnconf.engine.files import save_model

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    # What another writer has under way, under the names a writer used to take for every write:
    others = {tmp_path / ".model.tmp.keras": b"another writer's model", tmp_path / ".last.keras.tmp": b"another link"}
    for path, content in others.items():
        path.write_bytes(content)
    save_model(model, tmp_path / "model.keras")
    CheckpointStore(tmp_path).save(model, 1, {})
    for path, content in others.items():
        assert path.read_bytes() == content
    assert keras.saving.load_model(tmp_path / "model.keras").count_params() == 3


# --- 4. killed in its first second ---------------------------------------------------------------


def _appears(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 240
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)


@pytest.mark.parametrize("moment", ["run directory created", "config.yaml written"])
def test_a_run_killed_in_its_first_second_can_be_resumed_or_started_again(tmp_path, moment):
    config = tiny_config(tmp_path, epochs=3)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    run = tmp_path / "cut"
    process = subprocess.Popen([sys.executable, "-m", "nnconf", "train", str(config), "--run-dir", str(run)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    _appears(run if moment == "run directory created" else run / "config.yaml", process)
    kill(process)
    assert run.is_dir()
    if (run / "config.yaml").exists():
        finished = nnconf.resume(run)
    else:  # nothing of the run was written yet: the directory is taken again
        finished = nnconf.train(config, run_dir=run)
    assert finished.history == whole.history
    assert finished.metrics == whole.metrics


def test_a_directory_that_holds_more_than_a_killed_start_is_still_never_reused(tmp_path):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "epoch-0001.json").write_text("{}")
    with pytest.raises(RunDirError, match="already exists and is not empty"):
        nnconf.train(tiny_config(tmp_path), run_dir=tmp_path / "run")


# --- 5. stale temporaries -----------------------------------------------------------------------


def test_resuming_removes_the_temporary_files_killed_writers_left(tmp_path):
    config = tiny_config(tmp_path, epochs=4)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    process = start_and_wait(tmp_path, tmp_path / "cut", config, epochs=2)
    kill(process)
    run = tmp_path / "cut"
    # What kills in the middle of writes leave, one of each writer's kind:
    stale = [run / ".state.json.k3j2l1.tmp", run / ".history.json.a8b7c6.tmp", run / ".history.csv.x1y2z3.tmp",
             run / ".model.q9w8e7.tmp.keras", run / "checkpoints" / ".epoch-0003.r5t6y7.tmp.keras",
             run / "checkpoints" / ".last.keras.0123abcd.tmp", run / ".training.png.m4n5b6.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    (run / ".notes").write_text("mine")  # not a temporary: left alone
    resumed = nnconf.resume(run)
    assert resumed.history == whole.history
    assert not [path for path in stale if path.exists()]
    assert (run / ".notes").read_text() == "mine"


# --- 6. names derived from a file's name -------------------------------------------------------


def test_a_config_file_named_dots_keeps_its_run_under_runs(tmp_path):
    config = tiny_config(tmp_path, epochs=1, name="...yaml")
    run = train_run(config, runs_root=tmp_path / "runs")
    assert run.directory.resolve().parent.parent == (tmp_path / "runs").resolve()
    assert run.directory.parent.name == safe_name("..")
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["runs"]


@pytest.mark.parametrize("name", ["..", ".", "", "../../etc", "a b/c", "/abs", ".hidden", "-rf", "x" * 300])
def test_derived_run_names_are_one_harmless_folder_name(name):
    safe = safe_name(name)
    assert safe and len(safe) <= 128 and "/" not in safe and safe[0] not in ".-"
    assert nnconf.check_text(f"task: regression\nloss: mse\nname: '{safe}'\n"
                             "model: {input_shape: [1], layers: [{type: Dense, units: 1}]}\n").ok


# --- 14. run directories that cannot be ---------------------------------------------------------


def _unusable(kind: str, tmp_path: Path) -> Path:
    if kind == "name too long":
        return tmp_path / ("a" * 300) / "run"
    if kind == "under /proc":
        return Path("/proc/nnconf-no-such-process/run")
    if kind == "under /sys":
        return Path("/sys/nnconf-run")
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    return folder / "run"


@pytest.mark.parametrize("kind", ["name too long", "under /proc", "under /sys", "read-only folder"])
def test_a_run_directory_that_cannot_be_is_one_clear_error(tmp_path, kind):
    run = _unusable(kind, tmp_path)
    with pytest.raises(RunDirError, match="cannot (create|write into) the run directory"):
        nnconf.train(tiny_config(tmp_path, epochs=1), run_dir=run)
    with pytest.raises(TrainingError, match="(not a run directory|cannot read the run directory)"):
        nnconf.resume(run)


def test_a_run_dir_name_too_long_is_one_line_on_the_command_line(tmp_path):
    result = nnconf_train(str(tiny_config(tmp_path, epochs=1)), "--run-dir", "a" * 300, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot create the run directory" in result.stderr
    resumed = nnconf_train("--resume", "a" * 300, cwd=tmp_path)
    assert resumed.returncode == 1 and "Traceback" not in resumed.stderr


# --- 15. full disks --------------------------------------------------------------------------------


def test_a_disk_that_fills_during_training_stops_the_run_resumably(tmp_path):
    config = tiny_config(tmp_path, epochs=8)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    run = tmp_path / "cut"
    process = subprocess.Popen([sys.executable, "-m", "nnconf", "train", str(config), "--run-dir", str(run)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               preexec_fn=_ignore_sigxfsz, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    deadline = time.monotonic() + 240
    while epochs_done(run) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # From now on no file of the child may grow past 1 KiB: a checkpoint no longer fits.
    resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (1024, 1024))
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 1 and "Traceback" not in errors
    assert "training stopped: cannot write" in errors and f"nnconf train --resume {run}" in errors
    state = state_of(run)
    assert state["status"] == "failed" and 2 <= state["epochs_done"] < 8
    # Resumed on a disk still full, it stops as clearly ...
    still_full = nnconf_train("--resume", str(run), cwd=tmp_path, preexec_fn=_files_of_at_most(1024))
    assert still_full.returncode == 1 and "Traceback" not in still_full.stderr
    assert "training stopped: cannot write" in still_full.stderr
    # ... and with room again, it ends where an uninterrupted run does.
    resumed = nnconf.resume(run)
    assert resumed.history == whole.history
    assert resumed.metrics == whole.metrics


def test_a_disk_too_full_for_the_training_plot_leaves_a_run_that_resumes_to_its_end(tmp_path):
    config = tiny_config(tmp_path, epochs=2)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    plot = (whole.directory / "training.png").stat().st_size
    largest_other = max(p.stat().st_size for p in whole.directory.rglob("*") if p.is_file() and p.name != "training.png")
    assert largest_other < plot
    run = tmp_path / "cut"
    result = nnconf_train(str(config), "--run-dir", str(run), cwd=tmp_path,
                          preexec_fn=_files_of_at_most((largest_other + plot) // 2))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "training.png" in result.stderr and f"nnconf train --resume {run}" in result.stderr
    assert state_of(run)["status"] == "failed"
    resumed = nnconf.resume(run)
    assert resumed.status == "finished" and (run / "training.png").is_file()
    assert resumed.history == whole.history and resumed.metrics == whole.metrics


# --- 16. damaged run directories ---------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finished")
    return nnconf.train(tiny_config(folder, epochs=1), run_dir=folder / "run").directory


@pytest.fixture
def copied_run(finished_run, tmp_path) -> Path:
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


@pytest.fixture
def inputs(tmp_path) -> Path:
    from sklearn.datasets import load_iris

    path = tmp_path / "inputs.npz"
    np.savez(path, x=load_iris().data[:5])
    return path


def _every_use(run: Path, inputs: Path) -> list:
    return [lambda: evaluate(run), lambda: predict(run, inputs)]


@pytest.mark.parametrize(("damage", "message"), [
    (lambda run: (run / "preprocessing.json").unlink(), "preprocessing.json is missing"),
    (lambda run: (run / "preprocessing.json").write_text('{"inputs": {"inp'), r"preprocessing.json is damaged"),
    (lambda run: (run / "preprocessing.json").write_text('{"inputs": {"image": {}}}'),
     r"preprocessing.json does not fit the run's config.yaml \(it prepares the inputs \['image'\]"),
    (lambda run: (run / "preprocessing.json").write_text(
        '{"inputs": {"input": {"dtype": "float32", "mean": [0, 0], "std": [1, 1]}}}'),
     r"preprocessing.json does not fit the run's config.yaml \(the mean of input 'input' has the shape \[2\]"),
])
def test_a_damaged_preprocessing_file_is_one_clear_error(copied_run, inputs, damage, message):
    damage(copied_run)
    for use in _every_use(copied_run, inputs):
        with pytest.raises(TrainingError, match=message):
            use()


def test_a_model_of_another_config_is_refused_not_evaluated(copied_run, inputs, tmp_path):
    import keras

    foreign = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(3)])
    foreign.save(copied_run / "model.keras")
    for use in [*_every_use(copied_run, inputs), lambda: load_run(copied_run)]:
        with pytest.raises(TrainingError, match=r"model.keras is not the model of its run's config.yaml: it has 43 "
                                                r"parameters where the config has 67"):
            use()
    result = subprocess.run([sys.executable, "-m", "nnconf", "evaluate", str(copied_run)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "is not the model of" in result.stderr


def test_a_metrics_file_that_is_not_json_is_one_clear_error(copied_run):
    metrics = json.loads((copied_run / "metrics.json").read_text())
    (copied_run / "metrics.json").write_text('{"split": "te')
    with pytest.raises(TrainingError, match=r"metrics.json is damaged .*nnconf evaluate"):
        load_run(copied_run)
    assert evaluate(copied_run) == metrics  # evaluating needs no metrics.json


@pytest.mark.parametrize("array", [np.zeros((5, 3)), np.zeros((5, 4, 1)), np.zeros(4)])
def test_inputs_of_the_wrong_shape_for_predict_are_one_clear_error(copied_run, tmp_path, array):
    np.savez(tmp_path / "wrong.npz", x=array)
    with pytest.raises(TrainingError, match=r"wrong.npz: the samples for the model input have the shape .* but the "
                                            r"model takes \[4\]"):
        predict(copied_run, tmp_path / "wrong.npz")


# --- nnconf train checks its config before TensorFlow starts --------------------------------------

_REPORT_TENSORFLOW = ("import atexit, sys\n"
                      "atexit.register(lambda: print('tensorflow imported:', 'tensorflow' in sys.modules))\n"
                      "from nnconf.cli import main\n"
                      "sys.argv = ['nnconf', *sys.argv[1:]]\n"
                      "main()\n")


def _train_without_tensorflow(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _REPORT_TENSORFLOW, "train", *arguments], capture_output=True,
                          text=True, timeout=120)


def test_train_reports_lint_errors_before_tensorflow_starts(tmp_path):
    result = _train_without_tensorflow(str(tiny_config(tmp_path)), "--set", "loss=mse")
    assert result.returncode == 1 and "NN109" in result.stderr
    assert "tensorflow imported: False" in result.stdout


def test_train_reports_a_missing_data_section_at_the_file_before_tensorflow_starts(tmp_path):
    path = tmp_path / "no-data.yaml"
    path.write_text("\n".join(line for line in tiny_config(tmp_path).read_text().splitlines()
                              if not line.startswith("data:")) + "\n")
    result = _train_without_tensorflow(str(path))
    assert result.returncode == 1 and "tensorflow imported: False" in result.stdout
    assert f"{path}:2:1: error NN007 the config has no data: section" in result.stderr
    assert "configs/digits.yaml" in result.stderr
