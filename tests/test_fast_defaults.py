"""The training options chosen for speed change no result: a run with nnconf's defaults learns what
the same run with every speed option turned off learns. (How fast they are is measured by
``python -m bench``, not asserted here.)"""

import math
import textwrap
from pathlib import Path

import pytest

import nnconf
from nnconf.config.training import Training
from nnconf.engine.devices import xla_for_device

CONFIG = """
name: fast-defaults
task: multiclass
seed: 11
model:
  input_shape: [64]
  layers:
    - {type: Dense, units: 32, activation: relu}
    - {type: Dropout, rate: 0.1}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
metrics: [accuracy]
data: {source: sklearn.digits, scale: 16}
training: {epochs: 6, batch_size: 32, tensorboard: false}
"""

EPOCHS, STEPS_PER_EPOCH = 6, 41  # the training split of sklearn.digits in batches of 32
PLAIN = ("training.jit_compile=false", "training.steps_per_execution=1", "training.cache=false",
         "training.prefetch=false")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "fast.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


def _train(tmp_path: Path, name: str, overrides=()):
    return nnconf.train(_config(tmp_path), overrides, run_dir=tmp_path / name)


def _steps(run) -> int:
    """The optimizer steps a run took: fewer than its epochs' batches if its input ran out of data."""
    return int(run.model.optimizer.iterations)


def test_the_speed_options_are_on_by_default():
    defaults = Training()
    assert defaults.jit_compile == "auto"  # XLA where Keras finds every layer supports it (a GPU), never forced
    assert defaults.steps_per_execution == 32
    assert defaults.cache is True
    assert defaults.prefetch is True


@pytest.mark.parametrize(("requested", "device", "compiled"), [
    ("auto", "/CPU:0", False), ("auto", "/GPU:0", "auto"), (True, "/CPU:0", True), (False, "/GPU:1", False),
])
def test_jit_compile_auto_is_off_on_a_cpu_even_where_a_gpu_is_present(requested, device, compiled):
    config = nnconf.loads(CONFIG)
    config.training.jit_compile = requested
    assert xla_for_device(config, device).training.jit_compile == compiled
    assert config.training.jit_compile == requested  # the run's own config is left as written


def test_fast_defaults_learn_what_the_plain_settings_learn(tmp_path):
    fast = _train(tmp_path, "fast")
    plain = _train(tmp_path, "plain", PLAIN)
    assert _steps(fast) == _steps(plain) == EPOCHS * STEPS_PER_EPOCH
    assert fast.status == plain.status == "finished"
    assert len(fast.history["loss"]) == len(plain.history["loss"]) == 6
    assert fast.metrics["accuracy"] > 0.8  # it learned something, so the comparison means something
    assert abs(fast.metrics["accuracy"] - plain.metrics["accuracy"]) <= 0.03
    assert math.isclose(fast.metrics["loss"], plain.metrics["loss"], rel_tol=0.05)
    for key in ("loss", "val_loss"):
        for a, b in zip(fast.history[key], plain.history[key]):
            assert math.isclose(a, b, rel_tol=0.05), (key, fast.history[key], plain.history[key])


def test_steps_per_execution_that_does_not_divide_an_epoch_changes_no_result(tmp_path):
    # 41 steps per epoch here (a prime), so every epoch ends in an execution of 6 steps, not 7:
    # each pass over the data is one epoch, and Keras ends the last execution with the data.
    seven = _train(tmp_path, "seven", ("training.steps_per_execution=7",))
    one = _train(tmp_path, "one", ("training.steps_per_execution=1",))
    assert _steps(seven) == _steps(one) == EPOCHS * STEPS_PER_EPOCH
    assert seven.history == one.history
    assert seven.metrics == one.metrics
