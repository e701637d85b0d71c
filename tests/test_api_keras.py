"""The Python API against real Keras: positional arguments and spellings as Keras has them, building
and training from Python (logging, findings), and importing uncompiled models."""

from __future__ import annotations

import inspect
import logging

import keras
import numpy as np
import pytest
from keras.src import constraints as keras_constraints
from keras.src import initializers as keras_initializers
from keras.src import losses as keras_losses
from keras.src import metrics as keras_metrics
from keras.src import optimizers as keras_optimizers
from keras.src import regularizers as keras_regularizers
from keras.src.utils.naming import to_snake_case

import nnconf
from nnconf.config.base import NamedSpec
from nnconf.config.functions import CONSTRAINTS, INITIALIZERS, REGULARIZERS
from nnconf.config.layers import LAYER_CLASSES
from nnconf.config.losses import LOSSES
from nnconf.config.metrics import METRICS
from nnconf.config.optimizers import OPTIMIZERS, SCHEDULES
from nnconf.engine.importer import UnsupportedModel
from nnconf.engine.naming import keras_class_name
from nnconf.layers import Dense, Dropout

from tests.config.helpers import run_cli

# nnconf's spec classes and the Keras modules holding the classes of the same name.
SPEC_MODULES = [(LOSSES, keras.losses), (OPTIMIZERS, keras.optimizers), (SCHEDULES, keras.optimizers.schedules),
                (INITIALIZERS, keras.initializers), (REGULARIZERS, keras.regularizers),
                (CONSTRAINTS, keras.constraints), (METRICS, keras.metrics)]
# The names Keras reads (its deserialization tables; optimizers it reads in lower case).
KERAS_NAMES = [(LOSSES, keras_losses.ALL_OBJECTS_DICT.get), (INITIALIZERS, keras_initializers.ALL_OBJECTS_DICT.get),
               (REGULARIZERS, keras_regularizers.ALL_OBJECTS_DICT.get),
               (CONSTRAINTS, keras_constraints.ALL_OBJECTS_DICT.get), (METRICS, keras_metrics.ALL_OBJECTS_DICT.get),
               (OPTIMIZERS, lambda name: keras_optimizers.ALL_OBJECTS_DICT.get(name.lower()))]


def keras_parameters(cls: type) -> list[str]:
    return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]


# --- positional arguments are Keras's, in Keras's order -------------------------------------------------


# Types that are no keras.layers class (a Backbone stands for keras.applications models, an Op for an
# allow-listed keras.ops call, and the applications' own helper layers) have no Keras signature to follow.
KERAS_LAYER_TYPES = [name for name in LAYER_CLASSES if hasattr(keras.layers, name)]


def test_only_nnconfs_own_types_lack_a_keras_layers_class():
    own = set(LAYER_CLASSES) - set(KERAS_LAYER_TYPES)
    assert own <= {"Backbone", "Op", "CustomScaleLayer", "LayerScale"}, own


@pytest.mark.parametrize("name", KERAS_LAYER_TYPES)
def test_a_layers_positional_arguments_are_kerass_first_ones(name):
    positional = LAYER_CLASSES[name].positional_fields()
    assert keras_parameters(getattr(keras.layers, name))[:len(positional)] == list(positional)


def test_a_specs_positional_arguments_are_kerass_first_ones():
    checked = 0
    for specs, module in SPEC_MODULES:
        for spec in specs:
            keras_class = getattr(module, spec.__name__, None)
            if keras_class is None or not isinstance(keras_class, type):
                assert spec.NAME_CHOOSES, spec  # only specs standing for several Keras classes have no namesake
                continue
            positional = spec.positional_fields()
            assert keras_parameters(keras_class)[:len(positional)] == list(positional), spec.__name__
            checked += 1
    assert checked >= 45


# --- Keras's spellings are the ones Keras reads, for the same thing -----------------------------------


def _what(obj) -> str:
    """The Keras class or function an identifier resolves to, in snake_case."""
    named = obj if isinstance(obj, type) or inspect.isfunction(obj) else type(obj)
    return to_snake_case(named.__name__)


def _resolves_alike(lookup, spelling: str, name: str) -> bool:
    if name in ("accuracy", "acc"):  # Keras's compile reads these in any case as the accuracy fitting the output
        return spelling.lower() == name
    found, canonical = lookup(spelling), lookup(name) or lookup(keras_class_name(name))  # l1_l2 is nnconf's own
    return found is not None and canonical is not None and _what(found) == _what(canonical)


def test_every_keras_spelling_nnconf_reads_is_one_keras_reads_as_the_same_thing():
    checked = 0
    for specs, lookup in KERAS_NAMES:
        for spec in specs:
            for spelling, name in spec.keras_spellings().items():
                assert _resolves_alike(lookup, spelling, name), (spelling, name)
                checked += 1
    for spec in SCHEDULES:  # Keras reads schedules by class name only
        for spelling in spec.keras_spellings():
            assert isinstance(getattr(keras.optimizers.schedules, spelling), type)
            checked += 1
    assert checked >= 80


@pytest.mark.parametrize("spec", OPTIMIZERS, ids=lambda spec: spec.__name__)
def test_optimizer_names_are_read_in_any_case_as_keras_reads_them(spec):
    name = spec.names()[0]
    for spelling in (name.upper(), spec.__name__, name.capitalize()):
        assert spec.spelled(spelling) == name
        assert _what(keras.optimizers.get(spelling)) == _what(keras.optimizers.get(name))


def test_a_config_in_kerass_spellings_builds_the_keras_objects_it_names():
    model = nnconf.build({
        "task": "multiclass", "model": {"input_shape": [4], "layers": [{"type": "Dense", "units": 3}]},
        "loss": {"name": "SparseCategoricalCrossentropy", "from_logits": True},
        "optimizer": {"name": "RMSProp", "learning_rate": 0.01}, "metrics": ["SparseCategoricalAccuracy"]})
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy) and model.loss.get_config()["from_logits"]
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_build_logs_the_lint_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="nnconf"):
        nnconf.build(nnconf.Config(task="regression", loss="mse", model=nnconf.Sequential(
            input_shape=[4], layers=[Dense(8, activation="relu"), Dropout(0.7), Dense(1)])))
    assert [record.levelno for record in caplog.records if "NN209" in record.getMessage()] == [logging.WARNING]


# --- training from Python ------------------------------------------------------------------------------


def test_training_from_python_logs_findings_shows_progress_and_keeps_every_finding(tmp_path, caplog, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, y=(x[:, 0] > 0).astype("int64"))
    config = nnconf.Config(
        name="tiny", task="binary", seed=1, loss="BinaryCrossentropy", optimizer=nnconf.optimizers.Adam(0.01),
        model=nnconf.Sequential(input_shape=[4], layers=[Dense(8, activation="relu"), Dropout(0.7),
                                                          Dense(1, activation="sigmoid")]),
        data={"source": "npz", "path": str(tmp_path / "data.npz"), "validation_split": 0.2, "test_split": 0.2},
        training={"epochs": 1, "batch_size": 8, "tensorboard": False})
    with caplog.at_level(logging.INFO, logger="nnconf"):
        run = nnconf.train(config, run_dir=tmp_path / "run", verbose=2)
    assert run.status == "finished" and run.directory == tmp_path / "run"
    assert "NN209" in [finding.rule for finding in run.findings]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("NN209" in message for message in warnings)
    assert any(r.getMessage() == f"run directory: {tmp_path / 'run'}" for r in caplog.records if r.levelno == logging.INFO)
    assert "val_loss" in capsys.readouterr().out  # Keras's progress, a line per epoch

    assert set(nnconf.evaluate(run.directory, verbose=0)) >= {"loss", "split"}
    predictions = nnconf.predict(run.directory, x[:5])
    assert predictions["y"].shape == (5, 1)
    assert np.allclose(predictions["y"], nnconf.predict(run.directory, {"x": x[:5]})["y"])

    # Files, as nnconf predict takes them: a row per input, the values the arrays gave.
    np.savez(tmp_path / "new.npz", x=x[:5])
    from_file = nnconf.predict_files(run.directory, tmp_path / "new.npz")
    assert len(from_file.names) == 5
    assert np.allclose(np.asarray(next(iter(from_file.outputs.values())).values).reshape(5, -1)[:, -1], predictions["y"][:, 0],
                       atol=1e-6)
    assert from_file.to_csv().count("\n") == 6  # a header and a row per input


# --- importing a model that is not compiled -----------------------------------------------------------


def uncompiled(activation: str = "softmax") -> keras.Model:
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                             keras.layers.Dense(3, activation=activation)], name="plain")


def test_an_uncompiled_model_says_it_cannot_know_its_task_and_loss():
    with pytest.raises(UnsupportedModel) as caught:
        nnconf.from_keras(uncompiled("linear"))
    message = str(caught.value)
    assert "'plain' is not compiled" in message and "its task and its loss" in message
    assert "from_keras(model, task=" in message


def test_an_uncompiled_model_takes_the_loss_and_task_given():
    config = nnconf.from_keras(uncompiled(), loss="SparseCategoricalCrossentropy")
    assert (config.task, config.loss.name, config.optimizer.name) == ("multiclass", "sparse_categorical_crossentropy",
                                                                       "adam")
    config = nnconf.from_keras(uncompiled("linear"), task="regression", loss=nnconf.losses.Huber(delta=2.0))
    assert (config.task, config.loss.name, config.loss.delta) == ("regression", "huber", 2.0)
    with pytest.raises(UnsupportedModel, match="cannot know its task:"):
        nnconf.from_keras(uncompiled("linear"), loss="poisson")  # a loss that does not tell the task


def test_an_uncompiled_model_with_several_outputs_takes_them_by_output_name():
    inputs = keras.Input((5,), name="features")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    label = keras.layers.Dense(3, name="label")(hidden)
    score = keras.layers.Dense(1, name="score")(hidden)
    model = keras.Model(inputs, [label, score])
    with pytest.raises(UnsupportedModel, match="outputs 'label', 'score'"):
        nnconf.from_keras(model)
    config = nnconf.from_keras(model, task={"label": "multiclass", "score": "regression"},
                               loss={"label": {"name": "sparse_categorical_crossentropy", "from_logits": True},
                                     "score": "mse"})
    assert config.tasks() == {"label": "multiclass", "score": "regression"}
    assert config.losses()["label"].from_logits and config.losses()["score"].name == "mse"
    with pytest.raises(UnsupportedModel, match="'scores', which is not among the model's outputs"):
        nnconf.from_keras(model, task={"label": "multiclass", "scores": "regression"}, loss="mse")


def test_a_compiled_models_task_can_be_given_too():
    model = uncompiled("sigmoid")
    model.compile(loss="poisson")
    assert nnconf.from_keras(model).task == "multilabel"  # read from the output: sigmoid over 3 units
    assert nnconf.from_keras(model, task="regression").task == "regression"


def test_nnconf_import_of_an_uncompiled_model_is_one_line_naming_what_is_unknown(tmp_path):
    path = tmp_path / "plain.keras"
    uncompiled().save(path)
    result = run_cli("import", str(path), timeout=300)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(f"{path}: error:")]
    assert len(errors) == 1 and "not compiled" in errors[0] and "task and its loss" in errors[0]
    assert "Traceback" not in result.stderr


def test_training_errors_from_python_are_nnconfs_own(tmp_path):
    config = {"task": "regression", "loss": "mse", "model": {"input_shape": [2], "layers": [{"type": "Dense", "units": 1}]},
              "data": {"source": "npz", "path": str(tmp_path / "missing.npz")}}
    with pytest.raises(nnconf.DataError) as caught:
        nnconf.train(config, run_dir=tmp_path / "run", verbose=0)
    assert [f.rule for f in caught.value.findings] == ["NN007"]
    with pytest.raises(nnconf.TrainingError, match="no data"):
        nnconf.train({key: value for key, value in config.items() if key != "data"}, verbose=0)
