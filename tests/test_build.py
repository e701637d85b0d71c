"""Configs become compiled Keras models whose shapes and parameters equal nnconf's own inference."""

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import nnconf
from nnconf.config.functions import INITIALIZERS, Activation
from nnconf.config.layers import LAYER_CLASSES
from nnconf.config.losses import LOSSES
from nnconf.config.metrics import AUC, BinaryAccuracy, PlainMetric, PrecisionRecall, TopKCategoricalAccuracy
from nnconf.config.optimizers import OPTIMIZERS
from nnconf.engine.build import keras_object
from nnconf.engine.layers import keras_value
from tests.keras_parity import assert_matches_keras
from tests.pretrained import buildable

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "configs").glob("*.yaml"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "clean").glob("*.yaml"))

# One small example of every supported layer type, with an input it accepts.
EVERY_LAYER = {
    "Dense": ({"units": 3}, (4,)),
    "Dropout": ({"rate": 0.5}, (4,)),
    "Flatten": ({}, (2, 3)),
    "Activation": ({"activation": "relu"}, (4,)),
    "Embedding": ({"input_dim": 10, "output_dim": 4}, (5,)),
    "ReLU": ({"max_value": 6.0}, (4,)),
    "LeakyReLU": ({"negative_slope": 0.1}, (4,)),
    "PReLU": ({}, (3, 4)),
    "ELU": ({}, (4,)),
    "Softmax": ({}, (4,)),
    "BatchNormalization": ({}, (6, 4)),
    "LayerNormalization": ({}, (6, 4)),
    "Rescaling": ({"scale": 0.5}, (4,)),
    "Reshape": ({"target_shape": [2, 6]}, (3, 4)),
    "Permute": ({"dims": [2, 1]}, (3, 4)),
    "RepeatVector": ({"n": 3}, (4,)),
    "Conv1D": ({"filters": 2, "kernel_size": 3}, (8, 3)),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, (8, 8, 3)),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, (4, 4, 4, 1)),
    "SeparableConv2D": ({"filters": 4, "kernel_size": 3}, (8, 8, 3)),
    "DepthwiseConv2D": ({"kernel_size": 3}, (8, 8, 3)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2}, (4, 4, 3)),
    "MaxPooling1D": ({}, (8, 3)),
    "MaxPooling2D": ({}, (8, 8, 3)),
    "MaxPooling3D": ({}, (4, 4, 4, 1)),
    "AveragePooling1D": ({"pool_size": 2}, (8, 3)),
    "AveragePooling2D": ({"pool_size": 2}, (8, 8, 3)),
    "AveragePooling3D": ({"pool_size": 2}, (4, 4, 4, 1)),
    "GlobalAveragePooling1D": ({}, (8, 3)),
    "GlobalAveragePooling2D": ({}, (8, 8, 3)),
    "GlobalMaxPooling1D": ({}, (8, 3)),
    "GlobalMaxPooling2D": ({}, (8, 8, 3)),
    "UpSampling2D": ({}, (4, 4, 3)),
    "ZeroPadding2D": ({"padding": 1}, (4, 4, 3)),
    "Cropping2D": ({"cropping": 1}, (4, 4, 3)),
    "SpatialDropout1D": ({"rate": 0.2}, (8, 3)),
    "SpatialDropout2D": ({"rate": 0.2}, (8, 8, 3)),
    "GaussianNoise": ({"stddev": 0.1}, (4,)),
    "SimpleRNN": ({"units": 3}, (5, 2)),
    "LSTM": ({"units": 3}, (5, 2)),
    "GRU": ({"units": 3}, (5, 2)),
    "Bidirectional": ({"layer": {"type": "GRU", "units": 3}}, (5, 2)),
    "TimeDistributed": ({"layer": {"type": "Dense", "units": 3}}, (5, 2)),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 4}, [(5, 8), (6, 8)]),
    "Concatenate": ({}, [(3,), (4,)]),
    "Add": ({}, [(3,), (3,)]),
    "Subtract": ({}, [(3,), (3,)]),
    "Multiply": ({}, [(3,), (3,)]),
    "Average": ({}, [(3,), (3,)]),
    "Maximum": ({}, [(3,), (3,)]),
    "Minimum": ({}, [(3,), (3,)]),
    "Dot": ({"axes": 1}, [(3,), (3,)]),
    "Normalization": ({}, (4,)),
    "Discretization": ({"bin_boundaries": [0.0, 1.0]}, (4,)),
    "CategoryEncoding": ({"num_tokens": 4}, (3,)),
    "Hashing": ({"num_bins": 4}, (3,)),
    "HashedCrossing": ({"num_bins": 4}, [(1,), (1,)]),
    "StringLookup": ({"vocabulary": ["a", "b"]}, (3,)),
    "IntegerLookup": ({"vocabulary": [1, 2]}, (3,)),
    "TextVectorization": ({"output_sequence_length": 4}, (1,)),
    "Resizing": ({"height": 4, "width": 4}, (8, 8, 3)),
    "CenterCrop": ({"height": 4, "width": 4}, (8, 8, 3)),
    "RandomCrop": ({"height": 8, "width": 8}, (8, 8, 3)),
    "RandomFlip": ({}, (8, 8, 3)),
    "RandomRotation": ({"factor": 0.1}, (8, 8, 3)),
    "RandomZoom": ({"height_factor": 0.1}, (8, 8, 3)),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1}, (8, 8, 3)),
    "RandomShear": ({"x_factor": [0.0, 0.1]}, (8, 8, 3)),
    "RandomPerspective": ({}, (8, 8, 3)),
    "RandomElasticTransform": ({}, (8, 8, 3)),
    "RandomContrast": ({"factor": 0.2}, (8, 8, 3)),
    "RandomBrightness": ({"factor": 0.2}, (8, 8, 3)),
    "RandomHue": ({"factor": 0.2}, (8, 8, 3)),
    "RandomSaturation": ({"factor": 0.2}, (8, 8, 3)),
    "RandomSharpness": ({"factor": 0.2}, (8, 8, 3)),
    "RandomColorDegeneration": ({"factor": 0.2}, (8, 8, 3)),
    "RandomPosterization": ({"factor": 4}, (8, 8, 3)),
    "RandomInvert": ({}, (8, 8, 3)),
    "RandomGrayscale": ({}, (8, 8, 3)),
    "RandomGaussianBlur": ({}, (8, 8, 3)),
    "RandomErasing": ({}, (8, 8, 3)),
    "RandomColorJitter": ({"brightness_factor": 0.1}, (8, 8, 3)),
    "Solarization": ({}, (8, 8, 3)),
    "AutoContrast": ({}, (8, 8, 3)),
    "ContrastLimitedAdaptiveHistogramEqualization": ({}, (8, 8, 3)),
    "AugMix": ({}, (8, 8, 3)),
    "RandAugment": ({}, (8, 8, 3)),
    "CutMix": ({}, (8, 8, 3)),
    "MixUp": ({}, (8, 8, 3)),
    "MaxNumBoundingBoxes": ({"max_number": 2}, (8, 8, 3)),
    "GroupNormalization": ({"groups": 2}, (6, 4)),
    "RMSNormalization": ({}, (6, 4)),
    "UnitNormalization": ({}, (6, 4)),
    "SpectralNormalization": ({"layer": {"type": "Dense", "units": 3}}, (4,)),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, (8, 3)),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, (4, 4, 4, 1)),
    "DepthwiseConv1D": ({"kernel_size": 3}, (8, 3)),
    "SeparableConv1D": ({"filters": 4, "kernel_size": 3}, (8, 3)),
    "AdaptiveAveragePooling1D": ({"output_size": 2}, (8, 3)),
    "AdaptiveAveragePooling2D": ({"output_size": 2}, (8, 8, 3)),
    "AdaptiveAveragePooling3D": ({"output_size": 2}, (4, 4, 4, 1)),
    "AdaptiveMaxPooling1D": ({"output_size": 2}, (8, 3)),
    "AdaptiveMaxPooling2D": ({"output_size": 2}, (8, 8, 3)),
    "AdaptiveMaxPooling3D": ({"output_size": 2}, (4, 4, 4, 1)),
    "GlobalAveragePooling3D": ({}, (4, 4, 4, 1)),
    "GlobalMaxPooling3D": ({}, (4, 4, 4, 1)),
    "UpSampling1D": ({}, (4, 3)),
    "UpSampling3D": ({}, (2, 2, 2, 1)),
    "ZeroPadding1D": ({}, (4, 3)),
    "ZeroPadding3D": ({"padding": 1}, (2, 2, 2, 1)),
    "Cropping1D": ({}, (4, 3)),
    "Cropping3D": ({"cropping": 1}, (4, 4, 4, 1)),
    "EinsumDense": ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, (4,)),
    "ReversibleEmbedding": ({"input_dim": 10, "output_dim": 4}, (5,)),
    "Masking": ({}, (5, 2)),
    "Identity": ({}, (4,)),
    "SpatialDropout3D": ({"rate": 0.2}, (2, 2, 2, 1)),
    "GaussianDropout": ({"rate": 0.2}, (4,)),
    "AlphaDropout": ({"rate": 0.2}, (4,)),
    "ActivityRegularization": ({"l2": 0.01}, (4,)),
    "GroupQueryAttention": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, [(5, 8), (6, 8)]),
    "Attention": ({}, [(5, 4), (6, 4)]),
    "AdditiveAttention": ({}, [(5, 4), (6, 4)]),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 2}, (3, 6, 2)),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 2}, (3, 4, 4, 1)),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 1)),
    "MelSpectrogram": ({"fft_length": 64, "sequence_stride": 32, "num_mel_bins": 8}, (256,)),
    "STFTSpectrogram": ({"frame_length": 16}, (64, 1)),
    "Pipeline": ({"layers": [{"type": "RandomFlip"}, {"type": "Dense", "units": 2}]}, (4, 4, 3)),
    "RNN": ({"cell": {"type": "StackedRNNCells", "cells": [{"type": "LSTMCell", "units": 3},
                                                          {"type": "GRUCell", "units": 2}]}}, (5, 2)),
}


def test_every_supported_layer_type_has_an_example():
    # A Backbone is a whole keras.applications model: tests/layers/test_backbones.py builds those.
    # Op and the applications' own layers (LayerScale, CustomScaleLayer) are built by tests/test_ops.py.
    assert set(EVERY_LAYER) == set(LAYER_CLASSES) - {"Backbone", "Op", "LayerScale", "CustomScaleLayer"}


@pytest.mark.parametrize("layer_type", sorted(EVERY_LAYER))
def test_every_supported_layer_type_builds_as_keras_would(layer_type):
    arguments, input_shape = EVERY_LAYER[layer_type]
    assert_matches_keras({"type": layer_type, **arguments}, input_shape)


def _keras_layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


@pytest.mark.parametrize("path", buildable(SHIPPED + FIXTURES), ids=lambda p: p.stem)
def test_inferred_shapes_and_parameters_equal_the_built_models(path):
    report = nnconf.check(path)
    assert report.ok, [f.format() for f in report.findings]
    model = nnconf.build(report.config)
    built = {layer.name: layer for layer in _keras_layers(model)}
    ordered = _keras_layers(model)
    for position, inferred in enumerate(report.inference.layers):
        layer = built[inferred.name] if report.config.model.is_functional else ordered[position]
        assert type(layer).__name__ == inferred.spec.type
        assert tuple(layer.output.shape[1:]) == inferred.output_shape, inferred.name
        assert layer.count_params() == inferred.params, inferred.name
    assert model.count_params() == report.inference.total_params
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == report.inference.trainable_params


def test_layer_names_in_the_config_are_the_keras_layer_names():
    model = nnconf.build(ROOT / "configs" / "functional.yaml")
    assert {"flat", "hidden", "merged", "digit", "parity"} <= {layer.name for layer in model.layers}
    assert [output.name for output in model.outputs] == ["digit", "parity"] or len(model.outputs) == 2


def test_sequential_and_functional_configs_give_the_matching_model_classes():
    assert isinstance(nnconf.build(ROOT / "configs" / "mnist.yaml"), keras.Sequential)
    functional = nnconf.build(ROOT / "configs" / "functional.yaml")
    assert not isinstance(functional, keras.Sequential) and len(functional.inputs) == 2


def test_a_seeded_config_builds_identical_initial_weights_twice():
    first = nnconf.build(ROOT / "configs" / "cnn.yaml").get_weights()
    second = nnconf.build(ROOT / "configs" / "cnn.yaml").get_weights()
    other_seed = nnconf.build(ROOT / "configs" / "cnn.yaml", overrides=["seed=6"]).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other_seed))


TEACHING = """
task: regression
model:
  input_shape: [2]
  layers:
    - type: Dense
      units: 2
      weights: {kernel: [[1.0, 0.5], [-0.5, 1.0]], bias: [0, 0]}
loss: mse
"""


def test_inline_weights_are_the_layers_initial_values():
    model = nnconf.build(nnconf.loads(TEACHING))
    kernel, bias = model.layers[-1].get_weights()
    assert np.array_equal(kernel, [[1.0, 0.5], [-0.5, 1.0]]) and np.array_equal(bias, [0, 0])
    prediction = model.predict(np.array([[1.0, 2.0]]), verbose=0)
    assert np.allclose(prediction, [[0.0, 2.5]])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("{kernel: [[1.0, 0.5, 0.0], [-0.5, 1.0, 0.0]]}", "must have shape [2, 2], found [2, 3]"),
        ("{kernel: [[1.0, 0.5], [1.0]]}", "found a ragged array"),
        ("{kernal: [[1.0, 0.5], [-0.5, 1.0]]}", "has no weight 'kernal'"),
    ],
)
def test_inline_weights_are_checked_against_the_inferred_shapes(weights, message):
    text = TEACHING.replace("{kernel: [[1.0, 0.5], [-0.5, 1.0]], bias: [0, 0]}", weights)
    report = nnconf.check_text(text, name="teach.yaml")
    assert not report.ok
    (finding,) = report.findings
    assert message in finding.message and finding.rule == "NN004"
    assert finding.path.startswith("model.layers[0].weights.") and finding.line == 8


def test_compile_uses_the_configs_loss_optimizer_schedule_and_metrics():
    model = nnconf.build(ROOT / "tests" / "fixtures" / "clean" / "multiclass_softmax.yaml")
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert isinstance(model.optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    x, y = np.random.rand(8, 64).astype("float32"), np.arange(8) % 10
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"loss", "accuracy", "sparse_top_k_categorical_accuracy"} <= set(results)


def test_multi_output_compile_has_a_loss_and_weight_per_output():
    model = nnconf.build(ROOT / "configs" / "functional.yaml")
    x = {"image": np.random.rand(4, 28, 28).astype("float32"), "meta": np.random.rand(4, 4).astype("float32")}
    y = {"digit": np.arange(4), "parity": np.arange(4) % 2}
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"digit_loss", "parity_loss", "digit_accuracy", "parity_binary_accuracy"} <= set(results)


@pytest.mark.parametrize("spec", [name for cls in LOSSES for name in cls.names()])
def test_every_loss_name_the_schema_accepts_is_a_keras_loss(spec):
    loss_class = next(cls for cls in LOSSES if spec in cls.names())
    assert isinstance(keras_object(keras.losses, loss_class(name=spec)), keras.losses.Loss)


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda cls: cls.names()[0])
def test_every_optimizer_the_schema_accepts_is_a_keras_optimizer(optimizer):
    spec = optimizer(name=optimizer.names()[0])
    assert isinstance(keras_object(keras.optimizers, spec), keras.optimizers.Optimizer)


@pytest.mark.parametrize(("spec", "keras_class"), [
    (PrecisionRecall(name="recall"), keras.metrics.Recall), (PrecisionRecall(name="precision"), keras.metrics.Precision),
    (TopKCategoricalAccuracy(name="sparse_top_k_categorical_accuracy"), keras.metrics.SparseTopKCategoricalAccuracy),
    (AUC(name="auc"), keras.metrics.AUC), (BinaryAccuracy(name="binary_accuracy"), keras.metrics.BinaryAccuracy),
])
def test_metrics_with_arguments_become_their_own_keras_class(spec, keras_class):
    assert type(keras_object(keras.metrics, spec)) is keras_class


@pytest.mark.parametrize("name", [n for n in PlainMetric.names() if n not in ("accuracy", "acc")])
def test_every_plain_metric_name_is_known_to_keras(name):
    assert keras.metrics.get({"rmse": "root_mean_squared_error"}.get(name, name)) is not None


@pytest.mark.parametrize("initializer", INITIALIZERS, ids=lambda cls: cls.names()[0])
def test_every_initializer_the_schema_accepts_is_a_keras_initializer(initializer):
    value = keras_value("kernel_initializer", initializer(name=initializer.names()[0]))
    assert isinstance(value, keras.initializers.Initializer)


@pytest.mark.parametrize("name", Activation.names())
def test_every_activation_name_is_a_keras_activation(name):
    assert callable(keras.activations.get(name))


def test_build_refuses_a_config_with_lint_errors():
    text = textwrap.dedent("""
        task: multiclass
        model: {input_shape: [4], layers: [{type: Dense, units: 8, activation: relu}, {type: Dense, units: 3, activation: softmax}]}
        loss: mse
    """)
    with pytest.raises(nnconf.ConfigError) as raised:
        nnconf.build(nnconf.loads(text))
    assert [f.rule for f in raised.value.findings] == ["NN109"]


# An untrained model's optimizer has no state yet; Keras says so when loading it, harmlessly.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_build_command_saves_a_model_that_loads_in_safe_mode(tmp_path):
    config = tmp_path / "leaky.yaml"
    config.write_text(textwrap.dedent("""
        task: regression
        seed: 1
        model:
          input_shape: [3]
          layers:
            - {type: Dense, units: 4, activation: {name: leaky_relu, negative_slope: 0.1}}
            - {type: Dense, units: 1}
        loss: mse
    """))
    out = tmp_path / "model.keras"
    result = subprocess.run([sys.executable, "-m", "nnconf", "build", str(config), "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"saved {out}" in result.stdout and "21" in result.stdout  # Keras's summary gives the 21 parameters
    loaded = keras.saving.load_model(out, safe_mode=True)
    assert loaded.count_params() == 21
    x = np.array([[-1.0, 2.0, 3.0]], dtype="float32")
    assert np.allclose(loaded.predict(x, verbose=0), nnconf.build(config).predict(x, verbose=0))


def test_build_command_stops_on_lint_errors_with_the_lint_message(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("task: binary\nmodel: {input_shape: [4], layers: [{type: Dense, units: 1, activation: softmax}]}\n"
                      "loss: binary_crossentropy\n")
    result = subprocess.run([sys.executable, "-m", "nnconf", "build", str(config)], capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{config}:2:" in result.stderr and "NN101" in result.stderr and "Traceback" not in result.stderr


def test_summary_command_prints_shapes_and_totals_without_tensorflow():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnconf", "summary", "configs/cnn.yaml"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert "(None, 13, 13, 16)" in result.stdout and "Total params: 12,810" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "tensorflow" not in imported and "keras" not in imported


SHAPE_ERRORS = [
    ("model: {input_shape: [28, 28], layers: [{type: Conv2D, filters: 4, kernel_size: 3}, {type: Flatten},"
     " {type: Dense, units: 1}]}", "model.layers[0]", "add a channel axis"),
    ("model: {input_shape: [4, 4, 1], layers: [{type: Conv2D, filters: 4, kernel_size: 5}, {type: Flatten},"
     " {type: Dense, units: 1}]}", "model.layers[0].kernel_size", "padding: same"),
    ("model: {input_shape: [12], layers: [{type: Reshape, target_shape: [5, 2]}, {type: Flatten},"
     " {type: Dense, units: 1}]}", "model.layers[0]", None),
]


@pytest.mark.parametrize(("model", "path", "hint"), SHAPE_ERRORS)
def test_shape_mistakes_are_config_errors_at_the_offending_layer(model, path, hint):
    report = nnconf.check_text(f"task: regression\n{model}\nloss: mse\n", name="shapes.yaml")
    errors = [f for f in report.findings if f.rule == "NN004"]
    assert len(errors) == 1 and errors[0].path.startswith(path)
    assert errors[0].file == "shapes.yaml" and errors[0].line == 2 and errors[0].column > 1
    if hint:
        assert hint in errors[0].hint
