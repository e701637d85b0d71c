"""TensorFlow starts quietly: no CUDA errors on a machine without a GPU, and nothing hidden that
``TF_CPP_MIN_LOG_LEVEL`` would show or that a GPU user needs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from nnconf.engine.startup import kept_lines, nvidia_driver_present

from tests.config.helpers import ROOT

# Lines in absl's format, as TensorFlow writes them before its logging starts.
INFO = b"I0000 00:00:1795996594.213671    3855 port.cc:153] a note about the CPU\n"
CONTINUED = b"a second line of that note\n"
WARNING = b"W0000 00:00:1795996594.213671    3855 loader.cc:10] a warning\n"
ERROR = b"E0000 00:00:1795996597.014645    3855 op.cc:52] a genuine error\n"
CUDA_ERROR = b"E0000 00:00:1795996597.014645    3855 cuda_platform.cc:52] failed call to cuInit: CUDA error\n"
CUDA_INFO = b"I0000 00:00:1795996594.213671    3855 cudart_stub.cc:31] Could not find cuda drivers\n"
NOTE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
OTHER = b"a line of another writer\n"
EVERYTHING = NOTE + INFO + CONTINUED + CUDA_INFO + WARNING + ERROR + OTHER + CUDA_ERROR


def test_what_the_log_level_hides_goes_and_errors_stay():
    kept = kept_lines(EVERYTHING, min_level=2, driver_present=True)
    assert kept == ERROR + OTHER + CUDA_ERROR  # a GPU user sees every CUDA error
    assert kept_lines(EVERYTHING, min_level=1, driver_present=True) == WARNING + ERROR + OTHER + CUDA_ERROR


def test_without_a_driver_cuda_errors_go_too():
    assert kept_lines(EVERYTHING, min_level=2, driver_present=False) == ERROR + OTHER


def test_log_level_0_keeps_everything():
    assert kept_lines(EVERYTHING, min_level=0, driver_present=False) == EVERYTHING


@pytest.mark.skipif(nvidia_driver_present(), reason="for machines without an NVIDIA driver")
def test_a_tensorflow_command_on_a_machine_without_a_gpu_prints_nothing_about_cuda():
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "build", "configs/digits.yaml"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "Total params" in result.stdout
    assert not re.search("cuinit|cuda", result.stdout + result.stderr, re.IGNORECASE), result.stderr


def test_tensorflow_keeps_its_own_loader_after_the_quiet_start():
    code = ("import importlib.resources, nnconf.engine, tensorflow as tf; "
            "assert type(tf.__loader__).__name__ != '_QuietLoader' and tf.__spec__.loader is tf.__loader__; "
            "assert importlib.resources.files('tensorflow').is_dir(); print(int(tf.constant(2) * 3))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout == "6\n", result.stderr


@pytest.mark.skipif(nvidia_driver_present(), reason="for machines without an NVIDIA driver")
def test_asking_for_a_gpu_without_a_driver_says_so():
    from nnconf.engine.devices import DeviceError, resolve_device

    with pytest.raises(DeviceError, match=r"sees no GPU on this machine \(it has no NVIDIA driver\)"):
        resolve_device("gpu")
