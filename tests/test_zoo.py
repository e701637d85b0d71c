"""Every model of keras.applications, with and without its top, imports as a config that validates, lints
with no error, summarises exactly without TensorFlow (totals, and each layer's output shape and parameters),
and builds back to a model with identical outputs once the weights are copied.

Each model is built once, at the smallest input it takes (32x32, or 75x75 and 71x71 for the Inception
models and Xception), with weights=None and 10 classes. The largest of each family run when
NNCONF_TEST_ZOO=all is set, and are skipped (saying so) otherwise: see LARGEST.
"""

from __future__ import annotations

import os
import time

import keras
import numpy as np
import pytest

import nnconf
from nnconf.engine.importer import config_from_keras

APPLICATIONS = sorted(name for name in dir(keras.applications) if name[:1].isupper())
MIN_SIZE = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}
# The whole zoo took 565 s on two loaded CPU cores (NNCONF_TEST_ZOO=all); by default the suite leaves out
# these, the largest of each family (together 398 s of it), whose smaller siblings run the same code: the
# default run took 167 s.
LARGEST = {"ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge", "DenseNet201", "ResNet152", "ResNet152V2",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B1", "EfficientNetV2B2",
           "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "NASNetLarge"}
CASES = [pytest.param(name, top, id=f"{name}-{'top' if top else 'notop'}",
                      marks=pytest.mark.skipif(name in LARGEST and os.environ.get("NNCONF_TEST_ZOO") != "all",
                                               reason=f"{name} is one of the largest applications; NNCONF_TEST_ZOO=all runs it"))
         for name in APPLICATIONS for top in (True, False)]


def keras_layers(model: keras.Model) -> dict[str, tuple[tuple, int]]:
    """Each operation of a model (a nested model's layers as ``MODEL/LAYER``): output shape and parameters."""
    found = {}
    for operation in model.layers if isinstance(model, keras.Sequential) else model.operations:
        if isinstance(operation, keras.layers.InputLayer):
            continue
        if isinstance(operation, keras.Model):
            for name, item in keras_layers(operation).items():
                found[f"{operation.name}/{name}"] = item
            continue
        params = operation.count_params() if isinstance(operation, keras.layers.Layer) else 0
        found[operation.name] = (tuple(operation._inbound_nodes[0].output_tensors[0].shape), params)
    return found


@pytest.mark.parametrize("name, top", CASES)
def test_application_round_trips(name, top):
    started = time.perf_counter()
    size = MIN_SIZE.get(name, 32)
    original = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=10,
                                                 include_top=top)
    task, loss = ("multiclass", "sparse_categorical_crossentropy") if top else ("regression", "mse")
    text = config_from_keras(original, task=task, loss=loss).to_yaml(compact=True)

    report = nnconf.lint(text)
    assert [f.format() for f in report.findings if f.severity.value == "error"] == []
    summary = nnconf.summary(text)
    trainable = sum(int(np.prod(w.shape)) for w in original.trainable_weights)
    assert (summary.total_params, summary.trainable_params) == (original.count_params(), trainable)
    rows = {row.name: (row.output_shape, row.params) for row in summary.rows if row.type != "Input"}
    assert rows == keras_layers(original)

    rebuilt = nnconf.build(text)
    rebuilt.set_weights(original.get_weights())
    images = np.random.default_rng(0).random((2, size, size, 3), dtype="float32") * 255
    expected = keras.ops.convert_to_numpy(original(images, training=False))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(images, training=False)), expected,
                               rtol=1e-5, atol=1e-5 * float(np.abs(expected).max() or 1))
    print(f"{name} include_top={top}: {len(original.layers)} layers, {time.perf_counter() - started:.1f} s")
