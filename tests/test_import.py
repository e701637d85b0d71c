"""Importing Keras models as nnconf configs: real Keras models in, configs that rebuild them out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

import nnconf
from nnconf.engine.importer import ImportNotice, UnsupportedModel, config_from_keras, load_keras_model
from tests.pretrained import buildable

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


# --- helpers -----------------------------------------------------------------------------------


def _layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _without_name(layer) -> dict:
    config = layer.get_config()
    config.pop("name")
    return config


def assert_same_architecture(original: keras.Model, rebuilt: keras.Model) -> None:
    """Same layer types in order, names, arguments, output shapes and parameter count."""
    before, after = _layers(original), _layers(rebuilt)
    assert [type(layer) for layer in before] == [type(layer) for layer in after]
    assert [layer.name for layer in before] == [layer.name for layer in after]
    for old, new in zip(before, after):
        assert tuple(old.output.shape) == tuple(new.output.shape), old.name
        assert _without_name(old) == _without_name(new), old.name
        assert old.count_params() == new.count_params(), old.name
    assert [tuple(t.shape) for t in original.inputs] == [tuple(t.shape) for t in rebuilt.inputs]
    assert [tuple(t.shape) for t in original.outputs] == [tuple(t.shape) for t in rebuilt.outputs]
    assert original.count_params() == rebuilt.count_params()


def round_trip(model: keras.Model, **given) -> tuple[nnconf.Config, keras.Model]:
    config = nnconf.from_keras(model, **given)
    assert isinstance(config, nnconf.Config)
    rebuilt = nnconf.build(config)
    assert_same_architecture(model, rebuilt)
    return config, rebuilt


def same_spec(a, b) -> bool:
    """Two named specs stand for the same Keras object (aliases such as mse / mean_squared_error agree)."""
    return type(a) is type(b) and a.arguments() == b.arguments()


def run_nnconf(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "nnconf", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def error_lines(stderr: str, path: Path) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{path}: error:")]


# --- the shipped configs -------------------------------------------------------------------------


@pytest.mark.parametrize("path", buildable(CONFIGS), ids=[p.stem for p in CONFIGS])
def test_shipped_configs_round_trip(path):
    original = nnconf.load(path)
    model = nnconf.build(original)
    imported, _ = round_trip(model)
    assert imported.name == original.name
    assert imported.tasks() == original.tasks()
    assert imported.output_names() == original.output_names()
    for output, loss in original.losses().items():
        assert same_spec(imported.losses()[output], loss), output
    assert same_spec(imported.optimizer, original.optimizer)
    for output in original.output_names():
        assert [m.model_dump() for m in imported.metrics_of(output)] == \
            [m.model_dump() for m in original.metrics_of(output)]
    assert imported.loss_weights == original.loss_weights


def test_every_function_family_and_wrapper_round_trips():
    """A config using wrappers, parametrized activations, regularizers, constraints and schedules."""
    original = nnconf.loads("""
name: kitchen-sink
task: multiclass
model:
  inputs: {tokens: [12], extra: [12, 3]}
  layers:
    - {name: embed, type: Embedding, input_dim: 50, output_dim: 6, inputs: tokens,
       embeddings_regularizer: {name: l1, l1: 0.001}}
    - {name: joined, type: Concatenate, inputs: [embed, extra]}
    - {name: attend, type: MultiHeadAttention, num_heads: 2, key_dim: 4, output_shape: 5, inputs: [joined, joined]}
    - {name: per_step, type: TimeDistributed, inputs: attend,
       layer: {type: Dense, units: 4, activation: {name: leaky_relu, negative_slope: 0.2},
               kernel_initializer: {name: variance_scaling, scale: 2.0, mode: fan_out, distribution: uniform}}}
    - {name: norm, type: LayerNormalization, inputs: per_step}
    - {name: both_ways, type: Bidirectional, merge_mode: concat, inputs: norm,
       layer: {type: GRU, units: 3, return_sequences: true, recurrent_dropout: 0.1,
               kernel_constraint: {name: max_norm, max_value: 3.0}},
       backward_layer: {type: LSTM, units: 3, return_sequences: true, go_backwards: true}}
    - {name: pool, type: GlobalMaxPooling1D, inputs: both_ways}
    - {name: out, type: Dense, units: 5, activation: softmax, inputs: pool,
       kernel_regularizer: {name: l1_l2, l1: 0.01, l2: 0.02}, bias_constraint: non_neg}
  outputs: out
loss: {name: categorical_focal_crossentropy, gamma: 3.0}
optimizer:
  name: rmsprop
  learning_rate: {name: exponential_decay, initial_learning_rate: 0.01, decay_steps: 100, decay_rate: 0.9}
  clipnorm: 1.0
metrics: [categorical_accuracy, {name: top_k_categorical_accuracy, k: 2}]
""")
    imported, _ = round_trip(nnconf.build(original))
    assert imported.task == "multiclass"
    assert same_spec(imported.loss, original.loss)
    assert same_spec(imported.optimizer, original.optimizer)
    assert [m.model_dump() for m in imported.metrics] == [m.model_dump() for m in original.metrics]
    layers = {layer.name: layer for layer in imported.model.layers}
    assert layers["both_ways"].backward_layer.type == "LSTM"  # a distinct backward layer is kept
    assert layers["per_step"].layer.activation.model_dump() == {"name": "leaky_relu", "negative_slope": 0.2}
    assert layers["attend"].inputs == ["joined", "joined"]


# --- hand-written Keras models -------------------------------------------------------------------


def test_hand_written_convolutional_sequential_model():
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(8, 3, strides=2, padding="same", kernel_initializer=keras.initializers.HeNormal(seed=4),
                            kernel_regularizer=keras.regularizers.L2(1e-4),
                            kernel_constraint=keras.constraints.MaxNorm(2.5)),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.LeakyReLU(negative_slope=0.1),
        keras.layers.SeparableConv2D(16, (3, 3), depth_multiplier=2, use_bias=False),
        keras.layers.MaxPooling2D(),
        keras.layers.SpatialDropout2D(0.1),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.25, seed=7),
        keras.layers.Dense(32, activation="swish", bias_initializer=keras.initializers.Constant(0.1),
                           activity_regularizer=keras.regularizers.L1(1e-5)),
        keras.layers.Dense(10, activation="softmax", name="classes"),
    ], name="hand-cnn")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=3)],
    )
    config, _ = round_trip(model)
    assert config.name == "hand-cnn"
    assert config.model.input_shape == [32, 32, 3]
    assert config.task == "multiclass"
    assert config.loss.name == "categorical_crossentropy" and config.loss.label_smoothing == 0.1
    assert config.optimizer.name == "sgd"
    assert (config.optimizer.learning_rate, config.optimizer.momentum, config.optimizer.nesterov) == (0.05, 0.9, True)
    assert [m.name for m in config.metrics] == ["accuracy", "top_k_categorical_accuracy"]
    assert config.metrics[1].k == 3
    conv = config.model.layers[0]
    assert conv.kernel_initializer.model_dump() == {"name": "he_normal", "seed": 4}
    assert conv.kernel_regularizer.model_dump() == {"name": "l2", "l2": 1e-4}
    assert conv.kernel_constraint.model_dump() == {"name": "max_norm", "max_value": 2.5, "axis": 0}
    dense = config.model.layers[-2]
    assert dense.activation.name == "silu"  # Keras's own name for swish
    assert dense.bias_initializer.model_dump() == {"name": "constant", "value": 0.1}
    assert dense.activity_regularizer.model_dump() == {"name": "l1", "l1": 1e-5}  # not in Keras's get_config
    assert config.model.layers[-1].name == "classes"


def test_hand_written_recurrent_sequential_model_without_compiling():
    model = keras.Sequential([
        keras.Input((20,), dtype="int32"),
        keras.layers.Embedding(1000, 16, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True, dropout=0.1)),
        keras.layers.Bidirectional(keras.layers.GRU(4, reset_after=False), merge_mode="sum"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    config, _ = round_trip(model, task="binary", loss="binary_crossentropy")
    assert config.model.input_shape == [20]
    bidirectional = config.model.layers[1]
    assert bidirectional.layer.type == "LSTM" and bidirectional.backward_layer is None  # Keras's own copy
    assert config.model.layers[2].merge_mode == "sum"
    # Not compiled: the task and loss are the ones given, and the optimizer is nnconf's default.
    assert config.task == "binary"
    assert config.loss.name == "binary_crossentropy" and not config.loss.from_logits
    assert config.optimizer.name == "adam"
    assert config.metrics == []


def test_hand_written_functional_model_with_several_inputs_and_outputs():
    text = keras.Input((10, 8), name="text")
    meta = keras.Input((4,), name="meta")
    attended = keras.layers.MultiHeadAttention(2, 4, name="attend")(query=text, value=text)
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(attended)
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(meta)
    added = keras.layers.Add(name="added")([pooled, hidden])
    merged = keras.layers.Concatenate(name="merged")([added, meta])
    label = keras.layers.Dense(3, activation="softmax", name="label")(merged)
    score = keras.layers.Dense(1, name="score")(merged)
    model = keras.Model([text, meta], [label, score], name="two_heads")
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss={"label": "sparse_categorical_crossentropy", "score": keras.losses.Huber(delta=2.0)},
        loss_weights={"label": 1.0, "score": 0.25},
        metrics={"label": ["accuracy"], "score": ["mae"]},
    )
    config, _ = round_trip(model)
    assert config.model.inputs == {"text": [10, 8], "meta": [4]}
    assert config.model.outputs == ["label", "score"]
    layers = {layer.name: layer for layer in config.model.layers}
    assert layers["attend"].inputs == ["text", "text"]
    assert layers["added"].inputs == ["pool", "hidden"]
    assert layers["merged"].inputs == ["added", "meta"]
    assert config.task == {"label": "multiclass", "score": "regression"}
    assert config.loss["label"].name == "sparse_categorical_crossentropy"
    assert config.loss["score"].name == "huber" and config.loss["score"].delta == 2.0
    assert config.loss_weights == {"label": 1.0, "score": 0.25}
    assert config.optimizer.learning_rate == 3e-4
    assert {k: [m.name for m in v] for k, v in config.metrics.items()} == {"label": ["accuracy"], "score": ["mae"]}


def test_unknown_metric_is_left_out_with_a_notice():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae", keras.metrics.MeanIoU(num_classes=2)])
    with pytest.warns(ImportNotice, match="MeanIoU"):
        config = config_from_keras(model)
    assert [m.name for m in config.metrics] == ["mae"]
    assert config.task == "regression"


# --- what nnconf cannot express ------------------------------------------------------------------


def test_lambda_layer_is_unsupported_and_named():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2), keras.layers.Lambda(lambda x: x * 2,
                                                                                            name="doubler")])
    with pytest.raises(UnsupportedModel, match=r"'doubler' is a Lambda") as raised:
        config_from_keras(model)
    assert "Dense" in str(raised.value) and "\n" not in str(raised.value)  # lists what nnconf supports


def test_custom_layer_is_unsupported():
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    class Dense(keras.layers.Dense):  # a custom class under a Keras name is not Keras's Dense
        pass

    for layer in (Scale(name="scale"), Dense(2, name="fake_dense")):
        model = keras.Sequential([keras.Input((4,)), layer])
        with pytest.raises(UnsupportedModel, match=layer.name):
            config_from_keras(model)


def test_raw_operations_outside_ops_allow_list_are_unsupported():
    a = keras.Input((4,), name="a")
    model = keras.Model(a, keras.layers.Dense(1)(keras.ops.sort(a)))
    with pytest.raises(UnsupportedModel, match="operation"):
        config_from_keras(model, task="regression", loss="mse")


def test_subclassed_and_unbuilt_models_are_unsupported():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(UnsupportedModel, match="subclassed"):
        config_from_keras(Subclassed())
    with pytest.raises(UnsupportedModel, match="no input shape"):
        config_from_keras(keras.Sequential([keras.layers.Dense(2)]))


def test_layer_arguments_nnconf_refuses_name_the_layer():
    inputs = keras.Input((5, 3))
    sequence, _, _ = keras.layers.LSTM(4, return_state=True, name="stateful_lstm")(inputs)
    with pytest.raises(UnsupportedModel, match="'stateful_lstm' .*return_state"):
        config_from_keras(keras.Model(inputs, sequence))


def test_layer_arguments_the_schema_refuses_are_said_in_nnconfs_words():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dropout(0.5, seed=-3, name="drop")(inputs))
    model.compile(loss="mse")
    with pytest.raises(UnsupportedModel) as refused:
        config_from_keras(model)
    assert str(refused.value) == "layer 'drop' (Dropout) has arguments nnconf refuses: " \
                                 "seed should be at least 0, found -3 [seed]"


def test_load_refuses_files_that_are_not_keras_archives(tmp_path):
    text = tmp_path / "model.h5"
    text.write_text("not a model")
    with pytest.raises(UnsupportedModel, match=r"not a \.keras file"):
        load_keras_model(text)
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(UnsupportedModel, match="not a valid .keras file"):
        load_keras_model(corrupt)


# --- through files and the command line ----------------------------------------------------------


def test_saved_model_imports_through_the_cli_and_validates(tmp_path):
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ], name="saved")
    model.compile(optimizer=keras.optimizers.Adam(0.002),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    saved, out = tmp_path / "m.keras", tmp_path / "m.yaml"
    model.save(saved)

    result = run_nnconf("import", str(saved), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    validated = run_nnconf("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr

    config = nnconf.load(out)
    assert config.task == "multiclass" and config.loss.from_logits
    assert config.optimizer.learning_rate == 0.002
    assert_same_architecture(load_keras_model(saved), nnconf.build(config))


def test_import_replaces_an_existing_config_only_with_force(tmp_path):
    saved, out = tmp_path / "m.keras", tmp_path / "m.yaml"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="small")
    model.compile(optimizer="adam", loss="mse")
    model.save(saved)
    out.write_text("# mine\n")
    refused = run_nnconf("import", str(saved), "-o", str(out))
    assert refused.returncode == 2 and "already exists; add --force" in refused.stderr, refused.stderr
    assert out.read_text() == "# mine\n"
    forced = run_nnconf("import", str(saved), "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert nnconf.load(out).name == "small"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.yaml"]  # no temporary file left


def test_cli_refuses_a_lambda_model_in_one_line(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x + 1, name="plus_one")])
    saved = tmp_path / "lambda.keras"
    model.save(saved)
    result = run_nnconf("import", str(saved))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr, saved)
    assert len(lines) == 1 and "'plus_one' is a Lambda" in lines[0], result.stderr
    assert result.stdout == ""


def test_cli_refuses_a_corrupt_file_in_one_line(tmp_path):
    corrupt = tmp_path / "broken.keras"
    corrupt.write_text("definitely not a zip archive")
    result = run_nnconf("import", str(corrupt))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr, corrupt)
    assert len(lines) == 1 and "not a valid .keras file" in lines[0], result.stderr
