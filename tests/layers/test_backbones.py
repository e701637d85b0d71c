"""Backbone layers (keras.applications models): the table's shapes and parameter counts against real
Keras, what Keras refuses refused alike, pretrained weights missing offline, weights files, lint, and
fine-tuning in a run that resumes exactly."""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import nnconf
from nnconf import codes
from nnconf.config.layers import ShapeError
from nnconf.config.layers.backbones_table import TABLE_PATH, table
from nnconf.engine.train import train as engine_train
from nnconf.findings import ConfigError
from tests.config.helpers import ROOT, describe, errors
from tests.keras_parity import parse_layer, refusal


def backbone(**arguments):
    return parse_layer({"type": "Backbone", **arguments})


def keras_counts(model: keras.Model) -> tuple[int, int]:
    return model.count_params(), sum(math.prod(w.shape) for w in model.trainable_weights)


def inferred_counts(spec, input_shape) -> tuple[int, int]:
    weights = spec.weight_shapes(input_shape)
    total = sum(math.prod(shape) for shape in weights.values())
    return total, sum(math.prod(shape) for name, shape in weights.items() if spec.trainable_weight(name))


def keras_application(name: str, input_shape, **arguments) -> keras.Model:
    keras.backend.clear_session()
    return getattr(keras.applications, name)(weights=None, input_shape=input_shape, **arguments)


# --- the table against Keras ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MobileNetV3Small", "MobileNetV2", "MobileNet", "VGG16", "ConvNeXtTiny"])
@pytest.mark.parametrize("input_shape", [(32, 32, 3), (57, 75, 3), (None, None, 3)], ids=["min", "odd", "unknown"])
def test_output_shape_and_parameters_without_the_top_are_kerass(name, input_shape):
    """Sizes the table was not measured at: the smallest, odd and non-square, and unknown."""
    model = keras_application(name, input_shape, include_top=False)
    for pooling in (None, "avg"):
        spec = backbone(model=name, weights=None, include_top=False, pooling=pooling)
        if pooling is None:
            assert spec.output_shape(input_shape) == tuple(model.output.shape[1:])
        else:
            assert spec.output_shape(input_shape) == (model.output.shape[-1],)
        assert inferred_counts(spec, input_shape) == keras_counts(model)


def test_the_top_other_classes_other_channels_and_freezing_count_as_keras_counts():
    cases = [("VGG16", (40, 48, 1), {"classes": 7}),  # VGG's top flattens: its first Dense grows with the image
             ("VGG16", (64, 64, 3), {"classes": 1000}),
             ("MobileNetV3Small", (48, 48, 2), {"classes": 5, "classifier_activation": None}),
             ("MobileNetV2", (35, 35, 4), {"classes": 3})]
    for name, input_shape, arguments in cases:
        model = keras_application(name, input_shape, include_top=True, **arguments)
        spec = backbone(model=name, weights=None, include_top=True, **arguments)
        assert spec.output_shape(input_shape) == tuple(model.output.shape[1:]), name
        assert inferred_counts(spec, input_shape) == keras_counts(model), name
        model.trainable = False
        frozen = backbone(model=name, weights=None, include_top=True, trainable=False, **arguments)
        assert inferred_counts(frozen, input_shape) == keras_counts(model) == (model.count_params(), 0), name


def test_nnconf_builds_the_backbone_inside_the_model_with_the_inferred_counts():
    config = nnconf.loads("""
task: multiclass
seed: 1
model:
  inputs: {image: [40, 44, 3]}
  layers:
    - {name: scaled, type: Rescaling, scale: 0.00784313725490196, offset: -1, inputs: image}
    - {name: features, type: Backbone, model: MobileNetV2, weights: null, include_top: false, pooling: max,
       trainable: false, inputs: scaled}
    - {name: classes, type: Dense, units: 4, inputs: features}
  outputs: classes
loss: {name: sparse_categorical_crossentropy, from_logits: true}
""")
    report = nnconf.check(config)
    model = nnconf.build(config)
    inner = model.get_layer("features")
    assert isinstance(inner, keras.Model) and not inner.trainable
    assert tuple(inner.output.shape[1:]) == report.inference.layer("features").output_shape == (1280,)
    assert model.count_params() == report.inference.total_params
    assert sum(math.prod(w.shape) for w in model.trainable_weights) == report.inference.trainable_params == 1280 * 4 + 4


@pytest.mark.skipif(not os.environ.get("NNCONF_CHECK_ALL_BACKBONES"),
                    reason="measures all 40 applications again (hours on two shared CPU cores); "
                           "set NNCONF_CHECK_ALL_BACKBONES=1 to run it")
def test_every_table_entry_is_what_keras_measures_now(tmp_path):
    written = tmp_path / "table.json"
    subprocess.run([sys.executable, "-m", "nnconf.engine.backbones_table", "-o", str(written)], check=True,
                   capture_output=True)
    assert json.loads(written.read_text()) == json.loads(TABLE_PATH.read_text())


def test_the_table_holds_every_keras_application():
    assert sorted(table()) == sorted(name for name in dir(keras.applications) if name[0].isupper())


# --- what Keras refuses ---------------------------------------------------------------------------------


def keras_refuses(name: str, **arguments) -> bool:
    """Whether Keras refuses the arguments (it checks them before building, let alone downloading)."""
    try:
        getattr(keras.applications, name)(**arguments)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize(("arguments", "input_shape", "words"), [
    ({"model": "MobileNetV2", "weights": None, "include_top": False}, (31, 40, 3), "at least 32x32"),
    ({"model": "InceptionV3", "weights": None, "include_top": False}, (74, 74, 3), "at least 75x75"),
    ({"model": "MobileNetV2", "include_top": False}, (96, 96, 1), "take 3 channels"),
    ({"model": "MobileNetV2", "include_top": True}, (100, 100, 3), "takes 96x96 or 128x128"),
    ({"model": "ResNet50", "include_top": True}, (225, 225, 3), "takes 224x224 images"),
    ({"model": "ResNet50", "weights": None, "include_top": True}, (None, None, 3), "needs a known image size"),
])
def test_inputs_keras_refuses_are_shape_errors(arguments, input_shape, words):
    keras_arguments = {key: value for key, value in arguments.items() if key != "model"}
    assert keras_refuses(arguments["model"], input_shape=input_shape, **keras_arguments)
    with pytest.raises(ShapeError) as refused:
        backbone(**arguments).output_shape(input_shape)
    assert words in refused.value.message


def test_the_sizes_keras_accepts_for_the_imagenet_top_are_accepted():
    for name, size in [("MobileNetV2", 96), ("MobileNet", 192), ("VGG16", 224), ("ConvNeXtTiny", 224)]:
        assert backbone(model=name).output_shape((size, size, 3)) == (1000,)
    assert backbone(model="MobileNetV3Small").output_shape((100, 120, 3)) == (1000,)  # any size, as Keras takes it


@pytest.mark.parametrize(("arguments", "words"), [
    ({"include_top": True, "pooling": "avg"}, "pooling applies without the top only"),
    ({"include_top": True, "classes": 10}, "the ImageNet top has 1000 classes"),
    ({"include_top": False, "weights": None, "classes": 10}, "classes applies with the top only"),
    ({"include_top": True, "classifier_activation": "relu"}, "classifier_activation is softmax or null"),
    ({"include_top": False, "fine_tune": {"after_epoch": 2}}, "set trainable: false"),
    ({"include_top": False, "weights": "weights.txt"}, "the path of a weights file"),
])
def test_arguments_that_do_not_go_together_are_refused(arguments, words):
    assert words in refusal({"type": "Backbone", "model": "MobileNetV2", **arguments})


def test_an_unknown_application_is_named_with_a_suggestion():
    report = nnconf.check("""
task: binary
model: {input_shape: [64, 64, 3], layers: [{type: Backbone, model: MobileNetV9, include_top: false, pooling: avg},
                                         {type: Dense, units: 1}]}
loss: {name: binary_crossentropy, from_logits: true}
""")
    finding = errors(report)[0]
    assert finding.rule == codes.SCHEMA and finding.path == "model.layers[0].model"
    assert "MobileNetV2" in (finding.hint or "") + finding.message, describe(report)


# --- pretrained weights --------------------------------------------------------------------------


OFFLINE = """
task: binary
model:
  input_shape: [64, 64, 3]
  layers:
    - {type: Backbone, model: MobileNetV3Small, include_top: false, pooling: avg, trainable: false}
    - {type: Dense, units: 1}
loss: {name: binary_crossentropy, from_logits: true}
"""


def test_missing_imagenet_weights_are_one_error_naming_the_file_keras_looks_for(tmp_path):
    """No network here: the download fails at once, and the error says where Keras looks and what to do."""
    (tmp_path / "config.yaml").write_text(OFFLINE)
    home = tmp_path / "keras-home"
    home.mkdir()  # Keras downloads into /tmp/.keras where its home does not exist
    env = {**os.environ, "KERAS_HOME": str(home), "HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "nnconf", "build", "config.yaml"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    wanted = table()["MobileNetV3Small"]["weights"]["no_top"]["any"]["file"]
    lines = [line for line in result.stderr.splitlines() if " error " in line or "hint:" in line]
    assert result.returncode == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"config.yaml:6:7: error {codes.WEIGHTS} the ImageNet weights of MobileNetV3Small "
                               f"are not in {home / 'models' / wanted}"), lines
    assert f"put it at {home / 'models' / wanted}, or give its path: weights: /path/to/{wanted}" in lines[1]
    assert "Traceback" not in result.stderr


CACHED = """
import os, sys
import h5py, keras, numpy as np
from keras.src.legacy.saving import legacy_h5_format
import nnconf

source = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(128, 128, 3))
source.set_weights([np.full(w.shape, 0.001 * i, dtype=w.dtype) for i, w in enumerate(source.get_weights())])
os.makedirs(os.path.join(os.environ["KERAS_HOME"], "models"))
with h5py.File(os.path.join(os.environ["KERAS_HOME"], "models", sys.argv[1]), "w") as file:
    legacy_h5_format.save_weights_to_hdf5_group(file, source)
model = nnconf.build(sys.argv[2])
loaded = model.get_layer("backbone").get_weights()
print("same" if all(np.array_equal(a, b) for a, b in zip(loaded, source.get_weights())) else "different")
"""


def test_imagenet_weights_already_in_kerass_folder_are_loaded_without_a_network(tmp_path):
    """MobileNet's files carry no hash, so one written here stands for the download."""
    (tmp_path / "config.yaml").write_text(OFFLINE.replace("[64, 64, 3]", "[128, 128, 3]").replace(
        "model: MobileNetV3Small", "model: MobileNet"))
    wanted = table()["MobileNet"]["weights"]["no_top"]["128"]["file"]
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras-home"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", CACHED, wanted, str(tmp_path / "config.yaml")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[-1:] == ["same"], result.stderr[-2000:]


def test_a_weights_file_is_loaded_from_a_path_relative_to_the_config(tmp_path):
    source = keras_application("MobileNetV3Small", (48, 48, 3), include_top=False, pooling="avg")
    source.set_weights([np.full(w.shape, 0.01 * i, dtype=w.dtype) for i, w in enumerate(source.get_weights())])
    (tmp_path / "weights").mkdir()
    source.save_weights(tmp_path / "weights" / "mine.weights.h5")
    config = tmp_path / "config.yaml"
    config.write_text(OFFLINE.replace("[64, 64, 3]", "[48, 48, 3]").replace(
        "pooling: avg,", "pooling: avg, weights: weights/mine.weights.h5,"))
    model = nnconf.build(config)
    for loaded, saved in zip(model.get_layer("backbone").get_weights(), source.get_weights()):
        assert np.array_equal(loaded, saved)

    config.write_text(config.read_text().replace("mine.weights.h5", "theirs.weights.h5"))
    with pytest.raises(ConfigError) as missing:
        nnconf.build(config)
    assert missing.value.findings[0].rule == codes.WEIGHTS
    assert f"the weights file {str(tmp_path / 'weights' / 'theirs.weights.h5')!r} of layer 'backbone'" in \
        missing.value.findings[0].message


# --- lint -------------------------------------------------------------------------------------------


def lint_codes(text: str) -> list[str]:
    return [finding.rule for finding in nnconf.lint(textwrap.dedent(text)).findings]


def with_backbone(model: str, before: str = "", data: str = "") -> str:
    return f"""
task: binary
model:
  input_shape: [96, 96, 3]
  layers:{before}
    - {{type: Backbone, model: {model}, include_top: false, pooling: avg, trainable: false}}
    - {{type: Dense, units: 1}}
loss: {{name: binary_crossentropy, from_logits: true}}
{data}"""


def test_a_pretrained_backbone_fed_unprepared_images_is_reported_with_its_preparation():
    for model in ("MobileNetV2", "VGG16", "MobileNet"):
        assert lint_codes(with_backbone(model)) == ["NN220"], model
    findings = nnconf.lint(with_backbone("VGG16")).findings
    assert "keras.applications.vgg16.preprocess_input" in findings[0].message
    assert "BGR" in findings[0].message and "EfficientNet" in findings[0].hint
    rescaled = "\n    - {type: Rescaling, scale: 0.00784313725490196, offset: -1}"
    assert lint_codes(with_backbone("MobileNetV2", before=rescaled)) == []
    assert lint_codes(with_backbone("MobileNetV2", data="data: {source: keras.cifar10, scale: 127.5}")) == []
    assert lint_codes(with_backbone("MobileNetV2").replace("trainable: false", "weights: null")) == []


def test_an_application_that_prepares_its_inputs_itself_fed_scaled_pixels_is_reported():
    assert lint_codes(with_backbone("MobileNetV3Small")) == []
    assert lint_codes(with_backbone("ConvNeXtTiny", data="data: {source: keras.cifar10, scale: 255}")) == ["NN220"]
    rescaled = "\n    - {type: Rescaling, scale: 0.00392156862745098}"
    findings = nnconf.lint(with_backbone("MobileNetV3Small", before=rescaled)).findings
    assert [f.rule for f in findings] == ["NN220"]
    assert "prepares its inputs itself and expects 0-255 pixels, but 'rescaling' (Rescaling)" in findings[0].message


def test_the_tops_classifier_activation_is_what_the_output_rules_see():
    top = """
task: multiclass
model:
  input_shape: [64, 64, 3]
  layers: [{type: Backbone, model: MobileNetV3Small, weights: null, classes: 7ACTIVATION}]
loss: sparse_categorical_crossentropy
"""
    assert lint_codes(top.replace("ACTIVATION", "")) == []  # softmax, Keras's default
    assert lint_codes(top.replace("ACTIVATION", ", classifier_activation: null")) == ["NN103"]  # logits


def test_the_shipped_transfer_config_lints_clean():
    report = nnconf.lint(ROOT / "configs" / "transfer.yaml")
    assert report.findings == [], describe(report)


# --- fine-tuning ------------------------------------------------------------------------------------


FINE_TUNED = """
name: fine-tuned
task: binary
seed: 5
model:
  input_shape: [32, 32, 3]
  layers:
    - {type: Backbone, model: MobileNetV3Small, weights: null, include_top: false, pooling: avg, trainable: false,
       fine_tune: {after_epoch: 1, unfreeze: 8, learning_rate: 1e-4}}
    - {type: Dropout, rate: 0.3}
    - {type: Dense, units: 1}
loss: {name: binary_crossentropy, from_logits: true}
optimizer: {name: adam, learning_rate: 1e-3}
data: {source: npz, path: images.npz, validation_split: 0.25, test_split: 0}
training: {epochs: 3, batch_size: 8, tensorboard: false, diagnostics: false}
"""


class Killed(Exception):
    """Stands for the process being killed right after an epoch's checkpoint."""


class KillAfter(keras.callbacks.Callback):
    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch + 1 == self.epochs:
            raise Killed


@pytest.fixture(scope="module")
def fine_tuned_config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fine-tuning")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(24, 32, 32, 3)).astype("float32")
    np.savez(folder / "images.npz", x=x, y=(x[..., 0].mean(axis=(1, 2)) > 127.5).astype("int64"))
    (folder / "config.yaml").write_text(FINE_TUNED)
    return folder / "config.yaml"


@pytest.fixture(scope="module")
def whole_run(fine_tuned_config):
    return engine_train(fine_tuned_config, run_dir=fine_tuned_config.parent / "whole")


def test_fine_tuning_unfreezes_the_last_layers_after_its_epoch_and_the_run_records_it(whole_run):
    checkpoints = whole_run.directory / "checkpoints"
    assert json.loads((checkpoints / "epoch-0002.json").read_text())["fine_tuning"] is True
    assert json.loads((whole_run.directory / "state.json").read_text())["fine_tuning"] is True
    model = keras.saving.load_model(whole_run.directory / "model.keras")
    inner = model.get_layer("backbone").layers
    trainable = [layer for layer in inner if layer.trainable and layer.weights]
    assert trainable and all(layer in inner[-8:] for layer in trainable)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in trainable)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)


@pytest.mark.parametrize("killed_after", [1, 2], ids=["at-the-switch", "fine-tuning"])
def test_a_run_stopped_before_or_after_fine_tuning_starts_resumes_exactly(whole_run, fine_tuned_config, killed_after):
    cut = fine_tuned_config.parent / f"cut-{killed_after}"
    with pytest.raises(Killed):
        engine_train(fine_tuned_config, run_dir=cut, callbacks=[KillAfter(killed_after)])
    state = json.loads((cut / "checkpoints" / f"epoch-{killed_after:04d}.json").read_text())
    assert state["fine_tuning"] is (killed_after > 1)
    resumed = nnconf.resume(cut)
    assert resumed.history == whole_run.history
    assert resumed.metrics == whole_run.metrics
    for mine, theirs in zip(resumed.model.get_weights(), whole_run.model.get_weights()):
        assert np.array_equal(mine, theirs)
