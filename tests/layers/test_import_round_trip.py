"""Every layer type's example, built by nnconf, imported back from the Keras model (``nnconf import``)
into a config whose inferred shapes and parameters are the built model's."""

import warnings

import keras
import pytest

import nnconf
from nnconf.engine.importer import ImportNotice
from tests.robustness.strategies import EVERY_LAYER, single_layer_config

# Softmax's example is no regression output; TextVectorization's import belongs to the text source's tests.
LEFT_OUT = {"Softmax", "TextVectorization"}


@pytest.mark.parametrize("layer_type", sorted(set(EVERY_LAYER) - LEFT_OUT))
def test_an_imported_layer_is_the_layer_it_came_from(layer_type):
    model = nnconf.build(single_layer_config(layer_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportNotice)
        report = nnconf.check(nnconf.from_keras(model, task="regression", loss="mse"))
    assert report.ok, [finding.format() for finding in report.findings]
    assert [layer.spec.type for layer in report.inference.layers] == [layer_type]
    assert report.inference.total_params == model.count_params()
    assert report.inference.trainable_params == sum(int(w.numpy().size) for w in model.trainable_weights)
    outputs = [tuple(output.shape[1:]) for output in model.outputs]
    assert [tuple(shape) for shape in report.inference.outputs.values()] == outputs
    keras.backend.clear_session()
