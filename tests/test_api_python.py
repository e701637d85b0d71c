"""The Python API as a newcomer uses it, without TensorFlow: classes named as Keras's, checked values,
every kind of config source, the summary object, Keras's spellings, and the house's import floors."""

from __future__ import annotations

import ast
import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

import nnconf
from nnconf import Config, ConfigError, Functional, Sequential, codes
from nnconf.config.layers import FAMILIES, LAYER_CLASSES
from nnconf.layers import Activation, Concatenate, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from nnconf.losses import MeanSquaredError, SparseCategoricalCrossentropy
from nnconf.metrics import AUC, SparseCategoricalAccuracy
from nnconf.optimizers import SGD, Adam
from nnconf.optimizers.schedules import CosineDecay

from tests.config.helpers import CONFIGS, ROOT, describe, run_cli, run_python

MNIST_YAML = """\
name: mnist-mlp
task: multiclass
model:
  input_shape: [28, 28]
  layers:
    - type: Flatten
    - {type: Dense, units: 128, activation: relu}
    - {type: Dropout, rate: 0.2}
    - {type: Dense, units: 10}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
optimizer: {name: adam, learning_rate: 0.001}
metrics: [accuracy]
"""


def mnist_from_classes() -> Config:
    return Config(
        name="mnist-mlp", task="multiclass",
        model=Sequential(input_shape=(28, 28), layers=[Flatten(), Dense(128, activation="relu"), Dropout(0.2),
                                                        Dense(10)]),
        loss=SparseCategoricalCrossentropy(from_logits=True), optimizer=Adam(1e-3), metrics=["accuracy"])


def mnist_data() -> dict:
    return yaml.safe_load(MNIST_YAML)


def finding_keys(findings) -> list[tuple]:
    return sorted((f.rule, f.path, f.message, f.hint) for f in findings)


# --- 1. classes named as Keras's, assembled with Sequential, Functional and Config -------------------


def test_a_config_made_of_classes_equals_the_same_config_in_yaml():
    assert mnist_from_classes() == nnconf.loads(MNIST_YAML)


def test_strings_and_mappings_go_wherever_a_spec_does():
    mixed = Config(name="mnist-mlp", task="multiclass",
                   model={"input_shape": [28, 28], "layers": [
                       {"type": "Flatten"}, Dense(units=128, activation={"name": "relu"}), {"type": "Dropout", "rate": 0.2},
                       Dense(10)]},
                   loss={"name": "sparse_categorical_crossentropy", "from_logits": True},
                   optimizer={"name": "adam", "learning_rate": 1e-3}, metrics=["accuracy"])
    assert mixed == mnist_from_classes()


def test_every_layer_class_is_exported_and_implies_its_type():
    names = [name for name in nnconf.layers.__all__ if name != "Layer"]
    assert sorted(names) == sorted(LAYER_CLASSES) and "Conv2D" in names
    for name in names:
        cls = getattr(nnconf.layers, name)
        assert cls.__name__ == name and cls.model_fields["type"].annotation.__args__ == (name,)
    assert Dense(4).type == "Dense" and Flatten().type == "Flatten"
    assert Dense(4) == Dense(type="Dense", units=4)


def test_type_checkers_see_layer_classes_where_they_are():
    """nnconf.layers loads its classes when used; its TYPE_CHECKING imports name them for editors."""
    tree = ast.parse((ROOT / "nnconf" / "layers.py").read_text())
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
    imported = {alias.name: node.module.rsplit(".", 1)[1] for node in guarded.body for alias in node.names}
    families = {name: family for family, names in FAMILIES.items() for name in names}
    assert {"Dense", "Conv2D", "LSTM", "MultiHeadAttention"} <= imported.keys()
    assert {name: families.get(name) for name in imported} == imported


def test_required_arguments_go_by_position_in_kerass_order():
    assert Conv2D(32, 3).filters == 32 and Conv2D(32, 3).kernel_size == 3
    assert MaxPooling2D(3, 1, "same").model_dump(include={"pool_size", "strides", "padding"}) == {
        "pool_size": 3, "strides": 1, "padding": "same"}
    assert Adam(0.01).learning_rate == 0.01 and SGD(0.1, momentum=0.9).momentum == 0.9
    assert CosineDecay(0.01, 1000).decay_steps == 1000
    with pytest.raises(TypeError, match="Dense takes 1 positional argument"):
        Dense(4, "relu")
    with pytest.raises(TypeError, match="more than one value for 'units'"):
        Dense(4, units=5)


def test_specs_that_stand_for_one_keras_class_need_no_name():
    assert SparseCategoricalCrossentropy(from_logits=True).name == "sparse_categorical_crossentropy"
    assert MeanSquaredError().name == "mean_squared_error"
    assert SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert AUC(curve="PR").model_dump()["curve"] == "PR"
    assert nnconf.regularizers.L2(1e-4).l2 == 1e-4 and nnconf.initializers.HeNormal(seed=1).seed == 1
    assert nnconf.constraints.MaxNorm(3.0).max_value == 3.0


def test_functional_models_are_assembled_the_same_way():
    config = Config(task={"out": "binary"}, loss={"out": "binary_crossentropy"}, model=Functional(
        inputs={"a": (4,), "b": (2, 3)},
        layers=[Flatten(name="flat", inputs="b"), Concatenate(name="both", inputs=["a", "flat"]),
                Dense(1, name="out", activation="sigmoid", inputs="both")],
        outputs="out"))
    report = nnconf.check(config)
    assert report.ok, describe(report)
    assert report.inference.outputs == {"out": (1,)}


# --- 2. every function takes a Config, a mapping, YAML text or a path --------------------------------


@pytest.fixture
def sources(tmp_path) -> dict:
    path = tmp_path / "mnist.yaml"
    path.write_text(MNIST_YAML)
    return {"config": mnist_from_classes(), "mapping": mnist_data(), "text": MNIST_YAML, "path": str(path),
            "pathlib": path}


@pytest.mark.parametrize("kind", ["config", "mapping", "text", "path", "pathlib"])
def test_every_kind_of_source_means_the_same(sources, kind):
    source = sources[kind]
    reference = nnconf.lint(sources["path"], ["model.layers[1].units=64"])
    assert nnconf.load(source) == mnist_from_classes()
    assert nnconf.check(source).ok
    assert finding_keys(nnconf.lint(source, ["model.layers[1].units=64"]).findings) == finding_keys(reference.findings)
    assert nnconf.load(source, ["model.layers[1].units=64"]).model.layers[1].units == 64
    assert str(nnconf.summary(source)) == str(nnconf.summary(sources["path"]))
    assert nnconf.to_yaml(source) == nnconf.to_yaml(sources["path"])


def test_lint_of_a_config_runs_the_lint_rules_as_the_cli_does(tmp_path):
    """A linear-only stack passes check (shapes) but not lint (rules): NN201 from Python as from the CLI."""
    data = mnist_data()
    data["model"]["layers"][1]["activation"] = "linear"
    assert nnconf.check(Config(**data)).ok
    findings = nnconf.lint(Config(**data)).findings
    path = tmp_path / "linear.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_cli("lint", "--format", "json", str(path))
    cli = json.loads(result.stdout)["findings"]
    assert "NN201" in [f.rule for f in findings]
    assert sorted((f["rule"], f["path"], f["message"]) for f in cli) == \
        sorted((f.rule, f.path, f.message) for f in findings)


def test_yaml_text_is_told_from_a_path_by_its_line_break_or_brace(tmp_path):
    flow = "{task: binary, model: {input_shape: [4], layers: [{type: Dense, units: 1}]}, loss: mse}"
    assert nnconf.check(flow).ok
    missing = nnconf.check(str(tmp_path / "nowhere.yaml"))
    assert [f.rule for f in missing.findings] == [codes.YAML]
    with pytest.raises(TypeError, match="not int"):
        nnconf.check(42)


def test_to_yaml_is_what_nnconf_config_prints(sources):
    result = run_cli("config", sources["path"])
    assert result.returncode == 0, result.stderr
    assert nnconf.to_yaml(sources["config"]) == result.stdout


# --- 3. checked values: ConfigError with the CLI's findings, changes that are checked ----------------


BAD = {"task": "multiclass", "model": {"input_shape": [4], "layers": [
    {"type": "Dense", "units": 0}, {"type": "Dense", "unitz": 3}]}, "loss": "sparse_categorical_crossentropy",
    "optimizer": "adamm"}


def test_a_wrong_config_made_in_python_raises_the_findings_the_cli_gives(tmp_path):
    with pytest.raises(ConfigError) as caught:
        Config(**BAD)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(BAD))
    result = run_cli("lint", "--format", "json", str(path))
    assert result.returncode == 1
    cli = [(f["rule"], f["path"], f["message"], f["hint"]) for f in json.loads(result.stdout)["findings"]]
    assert finding_keys(caught.value.findings) == sorted(cli)
    assert ("NN002", "model.layers[1].unitz", "unknown key 'unitz'", "did you mean 'units'?") in cli
    assert {f.path for f in caught.value.findings} >= {"model.layers[0].units", "optimizer"}


def test_a_mapping_is_checked_like_a_file(tmp_path):
    report = nnconf.check(BAD)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(BAD))
    assert finding_keys(report.findings) == finding_keys(nnconf.check(path).findings)
    with pytest.raises(ConfigError):
        nnconf.load(BAD)


def test_a_wrong_layer_made_alone_names_its_argument():
    with pytest.raises(ConfigError) as caught:
        Dropout(1.5)
    assert [(f.rule, f.path) for f in caught.value.findings] == [(codes.SCHEMA, "rate")]


def test_lists_and_mappings_of_a_config_cannot_change_in_place():
    config = nnconf.load(CONFIGS / "functional.yaml")
    before = config.to_yaml()
    layers, shape = config.model.layers, next(iter(config.model.inputs.values()))
    attempts = [
        lambda: layers.append({"type": "Dense", "units": 3}), lambda: layers.extend([]),
        lambda: layers.insert(0, Dense(3)), lambda: layers.__setitem__(0, {"type": "Dense"}),
        lambda: layers.__delitem__(0), lambda: layers.pop(), lambda: layers.sort(), lambda: shape.append(3),
        lambda: config.model.inputs.__setitem__("c", [2]), lambda: config.model.inputs.update(c=[2]),
    ]
    for attempt in attempts:
        with pytest.raises(TypeError, match="replace"):
            attempt()
    with pytest.raises(TypeError, match="replace"):
        layers += [Dense(3)]
    assert config.to_yaml() == before and nnconf.lint(config).ok


def test_assigning_a_field_checks_the_value():
    config = mnist_from_classes()
    with pytest.raises(ConfigError) as caught:
        config.model.layers[1].units = 0
    assert [(f.rule, f.path) for f in caught.value.findings] == [(codes.SCHEMA, "units")]
    assert config.model.layers[1].units == 128  # left as it was
    with pytest.raises(ConfigError) as caught:
        config.model.layers[1].unitz = 3
    assert caught.value.findings[0].hint == "did you mean 'units'?"
    config.model.layers = [*config.model.layers, {"type": "Dense", "units": 10}]
    assert isinstance(config.model.layers[-1], Dense)  # the mapping was checked and made a layer
    assert nnconf.check(config).ok


def test_replace_returns_a_checked_copy_and_leaves_the_original():
    config = mnist_from_classes()
    wider = config.replace("model.layers[1].units", 256)
    assert wider.model.layers[1].units == 256 and config.model.layers[1].units == 128
    both = config.replace({"optimizer.learning_rate": 0.01, "model.layers[2]": Dropout(0.3)})
    assert both.optimizer.learning_rate == 0.01 and both.model.layers[2].rate == 0.3
    assert config.replace("data", {"source": "sklearn.digits"}).data.source == "sklearn.digits"
    assert Dense(4).replace("units", 8) == Dense(8)


@pytest.mark.parametrize(("path", "value", "rule", "where"), [
    ("model.layers[1].units", -1, codes.SCHEMA, "model.layers[1].units"),
    ("model.layers[1].unitz", 3, codes.SCHEMA, "model.layers[1].unitz"),
    ("model.layers[9].units", 3, codes.OVERRIDE, "model.layers[9].units"),
    ("model.input_shape.x", 3, codes.OVERRIDE, "model.input_shape.x"),
    ("model..layers", 3, codes.OVERRIDE, "model..layers"),
    ("optimizer", "adamm", codes.SCHEMA, "optimizer"),
])
def test_a_replacement_that_does_not_check_out_raises_its_finding(path, value, rule, where):
    with pytest.raises(ConfigError) as caught:
        mnist_from_classes().replace(path, value)
    assert [(f.rule, f.path) for f in caught.value.findings] == [(rule, where)], describe(caught.value.findings)


def test_a_copy_with_changes_is_checked_too():
    config = mnist_from_classes()
    assert config.model_copy(update={"seed": 3}).seed == 3
    with pytest.raises(ConfigError) as caught:
        config.model_copy(update={"model": {"input_shape": [4], "layers": [{"type": "Dense"}]}})
    assert [(f.rule, f.path) for f in caught.value.findings] == [(codes.SCHEMA, "model.layers[0].units")]


def test_configs_copy_and_pickle_as_checked_values():
    config = nnconf.load(CONFIGS / "functional.yaml")
    for copied in (copy.deepcopy(config), pickle.loads(pickle.dumps(config)), config.model_copy(deep=True)):
        assert copied == config
        with pytest.raises(TypeError):
            copied.model.layers.append(Dense(3))


# --- 4. the summary ----------------------------------------------------------------------------------


def test_summary_has_rows_totals_the_clis_table_and_html():
    summary = nnconf.summary(CONFIGS / "mnist.yaml")
    assert [(row.name, row.type, row.output_shape, row.params) for row in summary.rows] == [
        ("input", "Input", (None, 28, 28), 0), ("flatten", "Flatten", (None, 784), 0),
        ("dense", "Dense", (None, 128), 100_480), ("dropout", "Dropout", (None, 128), 0),
        ("dense_1", "Dense", (None, 10), 1_290)]
    assert (summary.total_params, summary.trainable_params, summary.non_trainable_params) == (101_770, 101_770, 0)
    result = run_cli("summary", str(CONFIGS / "mnist.yaml"))
    assert str(summary) == result.stdout
    html = summary._repr_html_()
    assert html.count("<tr>") == 6 and "<td>(None, 784)</td>" in html and "101,770" in html


def test_summary_of_a_functional_model_names_each_layers_inputs():
    summary = nnconf.summary(CONFIGS / "functional.yaml")
    assert summary.functional
    assert all(row.inputs for row in summary.rows if row.type != "Input")
    assert "<th>Inputs</th>" in summary._repr_html_()


def test_summary_of_a_config_with_errors_raises_them():
    with pytest.raises(ConfigError):
        nnconf.summary(dict(mnist_data(), model={"input_shape": [28, 28], "layers": [{"type": "Conv2D", "filters": 2,
                                                                                       "kernel_size": 3}]}))


# --- 6. Keras's spellings ------------------------------------------------------------------------


KERAS_SPELLED = """\
task: multiclass
model:
  input_shape: [8]
  layers:
    - {type: Dense, units: 16, activation: relu, kernel_initializer: HeNormal, kernel_regularizer: {name: L2, l2: 0.001}}
    - {type: Dense, units: 3, kernel_constraint: MaxNorm}
loss: {name: SparseCategoricalCrossentropy, from_logits: true}
optimizer: {name: Adam, learning_rate: {name: CosineDecay, initial_learning_rate: 0.01, decay_steps: 100}}
metrics: [SparseCategoricalAccuracy, Accuracy, AUC]
"""


def test_kerass_spellings_are_read_as_the_canonical_names():
    config = nnconf.loads(KERAS_SPELLED)
    assert config.loss.name == "sparse_categorical_crossentropy"
    assert config.optimizer.name == "adam" and config.optimizer.learning_rate.name == "cosine_decay"
    assert [m.name for m in config.metrics] == ["sparse_categorical_accuracy", "accuracy", "auc"]
    first = config.model.layers[0]
    assert (first.kernel_initializer.name, first.kernel_regularizer.name) == ("he_normal", "l2")
    assert config.model.layers[1].kernel_constraint.name == "max_norm"


def test_nnconf_config_shows_the_canonical_spelling(tmp_path):
    path = tmp_path / "keras.yaml"
    path.write_text(KERAS_SPELLED)
    result = run_cli("config", "--full", str(path))
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["loss"]["name"] == "sparse_categorical_crossentropy" and resolved["optimizer"]["name"] == "adam"
    assert [m["name"] for m in resolved["metrics"]] == ["sparse_categorical_accuracy", "accuracy", "auc"]
    assert "SparseCategorical" not in result.stdout and "Adam" not in result.stdout


def test_kerass_spellings_work_in_python_and_optimizers_in_any_case():
    config = Config(task="multiclass", model=Sequential(input_shape=[8], layers=[Dense(3)]),
                    loss="SparseCategoricalCrossentropy", optimizer="ADAM", metrics=["SparseCategoricalAccuracy"])
    assert (config.loss.name, config.optimizer.name, config.metrics[0].name) == (
        "sparse_categorical_crossentropy", "adam", "sparse_categorical_accuracy")
    assert nnconf.load(dict(mnist_data(), optimizer="RMSProp")).optimizer.name == "rmsprop"
    assert config.replace("loss", "MSE").loss.name == "mse"


def test_a_misspelt_keras_spelling_gets_a_hint_and_so_does_a_key_beside_it():
    report = nnconf.check(dict(mnist_data(), loss="SparseCategoricalCrossentropyy"))
    assert [f.hint for f in report.findings] == ["did you mean 'SparseCategoricalCrossentropy'?"]
    report = nnconf.check(dict(mnist_data(), optimizer={"name": "Adam", "learnin_rate": 0.1}))
    assert [(f.path, f.hint) for f in report.findings] == [("optimizer.learnin_rate", "did you mean 'learning_rate'?")]


def test_the_json_schema_accepts_kerass_spellings():
    validator = jsonschema.Draft202012Validator(nnconf.json_schema())
    assert not list(validator.iter_errors(yaml.safe_load(KERAS_SPELLED)))
    assert list(validator.iter_errors(dict(mnist_data(), optimizer="Adamm")))


# --- 9. the house: floors, and a cheap import ------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("floor", ["config", "analysis", "engine"])
def test_nothing_below_the_api_imports_it_or_the_cli(floor):
    for path in sorted((ROOT / "nnconf" / floor).rglob("*.py")):
        imported = _imported_modules(path)
        assert not {"nnconf.api", "nnconf.cli"} & imported, path


def test_importing_nnconf_and_its_classes_loads_no_tensorflow():
    code = ("import sys, nnconf\n"
            "from nnconf.layers import Dense\n"
            "from nnconf.losses import Huber\n"
            "from nnconf.optimizers import Adam\n"
            "from nnconf.metrics import AUC\n"
            "nnconf.lint(nnconf.Config(task='regression', loss=Huber(), optimizer=Adam(), metrics=[AUC()],\n"
            "    model=nnconf.Sequential(input_shape=[2], layers=[Dense(1)])))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_nnconf_alone_loads_neither_pydantic_nor_the_api():
    result = run_python("import sys, nnconf; print(sorted(m for m in sys.modules if m.startswith(('pydantic', "
                        "'nnconf.api', 'nnconf.config'))))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert sys.modules.get("nnconf") is nnconf
    assert subprocess.run([sys.executable, "-c", "import nnconf; nnconf.nothing"], capture_output=True).returncode != 0
