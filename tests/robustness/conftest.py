"""Hypothesis profiles for the robustness tests.

``ci`` (the default): about 60 examples per property, no deadline, derandomized so that every CI run
tries the same examples; the whole directory runs in well under a minute.

``long``: 5000 examples per property, random (a new search every run), for fuzzing sessions::

    NNCONF_FUZZ=long .venv/bin/python -m pytest tests/robustness

Any other profile registered here can be chosen the same way (``NNCONF_FUZZ=<profile>``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.large_base_example]

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True)
settings.load_profile(os.environ.get("NNCONF_FUZZ", "ci"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "keras_build: builds Keras models (imports TensorFlow); deselect with -m 'not keras_build'"
    )
