"""Loading and preparing training data: real NumPy, scikit-learn and TensorFlow, offline, small files in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nnconf
from nnconf import codes
from nnconf.engine.data import (DataError, Prepared, encode_labels, load_data, load_npz_inputs, make_dataset,
                                prepare_inputs)
from nnconf.findings import Severity

MNIST = """\
task: multiclass
model:
  input_shape: [28, 28]
  layers:
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
loss: sparse_categorical_crossentropy
data: {source: keras.mnist, scale: 255}
"""

DENSE = """\
task: {task}
seed: {seed}
model:
  input_shape: {shape}
  layers:
    - {{type: Dense, units: {units}, activation: {activation}}}
loss: {loss}
data:
{data}
"""

FUNCTIONAL = """\
task: {digit: multiclass, parity: binary}
seed: 11
model:
  inputs:
    image: [28, 28]
    meta: [4]
  layers:
    - {name: flat, type: Flatten, inputs: image}
    - {name: hidden, type: Dense, units: 8, activation: relu, inputs: flat}
    - {name: merged, type: Concatenate, inputs: [hidden, meta]}
    - {name: digit, type: Dense, units: 10, activation: softmax, inputs: merged}
    - {name: parity, type: Dense, units: 1, activation: sigmoid, inputs: merged}
  outputs: [digit, parity]
loss: {digit: sparse_categorical_crossentropy, parity: binary_crossentropy}
data:
  source: npz
  path: two.npz
"""


def config(tmp_path: Path, data: str, *, task="multiclass", shape="[64]", units=10, activation="softmax",
           loss="sparse_categorical_crossentropy", seed=0, text: str | None = None):
    """A checked config written to tmp_path (so data findings can point at its lines)."""
    if text is None:
        text = DENSE.format(task=task, seed=seed, shape=shape, units=units, activation=activation, loss=loss,
                            data=textwrap.indent(textwrap.dedent(data).strip(), "  "))
    path = tmp_path / "config.yaml"
    path.write_text(text)
    report = nnconf.check(path)
    assert report.ok, "\n".join(f.format() for f in report.findings)
    return report


def load(report, tmp_path: Path) -> Prepared:
    return load_data(report.config, report.inference, base_dir=tmp_path, source=report.source)


def data_error(report, tmp_path: Path) -> DataError:
    with pytest.raises(DataError) as raised:
        encode_labels(report.config, load(report, tmp_path))
    error = raised.value
    assert len(error.findings) == 1
    finding = error.findings[0]
    assert finding.rule == codes.DATA and finding.severity is Severity.ERROR
    assert finding.file == str(tmp_path / "config.yaml") and finding.line is not None  # located in the config
    return error


def sizes(prepared: Prepared) -> tuple:
    def n(arrays):
        return None if arrays is None else len(next(iter(arrays.values())))
    return n(prepared.x_train), n(prepared.x_val), n(prepared.x_test)


def blobs(n=40, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float64), rng.integers(0, classes, size=n)


# --- sources -------------------------------------------------------------------------------------


def test_sklearn_digits_splits_scales_and_describes(tmp_path):
    report = config(tmp_path, "{source: sklearn.digits, scale: 16}")
    prepared = load(report, tmp_path)
    assert sizes(prepared) == (1294, 144, 359)  # 1797: 20 % test, then 10 % of the rest for validation
    x = prepared.x_train["input"]
    assert x.dtype == np.float32 and x.shape == (1294, 64) and 0 <= x.min() and x.max() == 1.0
    assert set(prepared.y_train) == {""}
    facts = prepared.facts
    assert facts.samples == 1294 and facts.inputs["input"].sample_shape == (64,)
    assert facts.inputs["input"].maximum == 1.0  # after scaling
    assert facts.labels[""].kind == "integer" and facts.labels[""].classes == 10
    json.dumps(prepared.preprocessing)
    assert prepared.preprocessing["inputs"]["input"]["scale"] == 16


def test_sklearn_diabetes_regression_labels_become_a_float_column(tmp_path):
    report = config(tmp_path, "{source: sklearn.diabetes, test_split: 0.25, validation_split: 0}",
                    task="regression", shape="[10]", units=1, activation="linear", loss="mse")
    prepared = load(report, tmp_path)
    assert sizes(prepared) == (332, None, 110)
    assert prepared.facts.labels[""].kind in ("integer", "real")  # whole-number targets, as given
    encoded = encode_labels(report.config, prepared)
    assert encoded.y_train[""].dtype == np.float32 and encoded.y_train[""].shape == (332, 1)
    assert encoded.y_test[""].shape == (110, 1)


def test_npz_with_x_and_y(tmp_path):
    x, y = blobs(50)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    report = config(tmp_path, "{source: npz, path: d.npz, test_split: 0.2, validation_split: 0.25}",
                    shape="[4]", units=3)
    prepared = load(report, tmp_path)
    assert sizes(prepared) == (30, 10, 10)
    assert prepared.y_train[""].dtype.kind == "i"


def test_npz_with_its_own_test_split_keeps_it(tmp_path):
    x, y = blobs(60)
    np.savez(tmp_path / "d.npz", x_train=x[:40], y_train=y[:40], x_test=x[40:], y_test=y[40:])
    report = config(tmp_path, "{source: npz, path: d.npz, test_split: 0.5, validation_split: 0.1}",
                    shape="[4]", units=3)
    prepared = load(report, tmp_path)
    assert sizes(prepared) == (36, 4, 20)  # the file's test split, not test_split
    np.testing.assert_allclose(prepared.x_test["input"], x[40:].astype(np.float32))


def test_functional_npz_with_arrays_named_by_input_and_output(tmp_path):
    rng = np.random.default_rng(1)
    n = 30
    np.savez(tmp_path / "two.npz", image_train=rng.integers(0, 255, (n, 28, 28)), meta_train=rng.normal(size=(n, 4)),
             digit_train=rng.integers(0, 10, n), parity_train=rng.integers(0, 2, n),
             image_test=rng.integers(0, 255, (6, 28, 28)), meta_test=rng.normal(size=(6, 4)),
             digit_test=rng.integers(0, 10, 6), parity_test=rng.integers(0, 2, 6))
    report = config(tmp_path, "", text=FUNCTIONAL)
    prepared = load(report, tmp_path)
    assert set(prepared.x_train) == {"image", "meta"} and set(prepared.y_train) == {"digit", "parity"}
    assert sizes(prepared) == (27, 3, 6)
    assert prepared.facts.labels["parity"].kind == "binary" and prepared.facts.inputs["image"].sample_shape == (28, 28)
    encoded = encode_labels(report.config, prepared)
    assert encoded.y_train["digit"].dtype == np.int32 and encoded.y_train["digit"].shape == (27,)
    assert encoded.y_train["parity"].dtype == np.float32 and encoded.y_train["parity"].shape == (27, 1)

    batches = list(make_dataset(encoded.x_train, encoded.y_train, batch_size=8, shuffle=True, seed=3, cache=True,
                                prefetch=True))
    features, labels = batches[0]
    assert set(features) == {"image", "meta"} and set(labels) == {"digit", "parity"}
    assert tuple(features["image"].shape) == (8, 28, 28) and tuple(labels["parity"].shape) == (8, 1)
    assert [int(b[0]["meta"].shape[0]) for b in batches] == [8, 8, 8, 3]


def test_functional_npz_with_plain_names(tmp_path):
    rng = np.random.default_rng(2)
    np.savez(tmp_path / "two.npz", image=rng.random((20, 28, 28)), meta=rng.random((20, 4)),
             digit=rng.integers(0, 10, 20), parity=rng.integers(0, 2, 20))
    prepared = load(config(tmp_path, "", text=FUNCTIONAL), tmp_path)
    assert sizes(prepared) == (14, 2, 4)


def write_csv(path: Path, rows: list[str]) -> None:
    path.write_text("\n".join(rows) + "\n")


def test_csv_features_default_to_every_other_column(tmp_path):
    write_csv(tmp_path / "t.csv", ["a,b,label,c"] + [f"{i},{i * 2},{i % 3},{i / 10}" for i in range(20)])
    report = config(tmp_path, "{source: csv, path: t.csv, label: label, shuffle: false, test_split: 0, "
                    "validation_split: 0}", shape="[3]", units=3)
    prepared = load(report, tmp_path)
    np.testing.assert_allclose(prepared.x_train["input"][3], [3, 6, 0.3], rtol=1e-6)
    np.testing.assert_array_equal(prepared.y_train[""], [i % 3 for i in range(20)])


def test_csv_with_chosen_features_and_several_labels(tmp_path):
    write_csv(tmp_path / "t.csv", ["a;b;y1;y2;unused"] + [f"{i};{-i};{i % 2};{(i + 1) % 2};x" for i in range(10)])
    report = config(tmp_path, "{source: csv, path: t.csv, delimiter: ';', label: [y1, y2], features: [b, a], "
                    "test_split: 0, validation_split: 0, shuffle: false}",
                    task="multilabel", shape="[2]", units=2, activation="sigmoid", loss="binary_crossentropy")
    prepared = load(report, tmp_path)
    np.testing.assert_allclose(prepared.x_train["input"][4], [-4, 4])
    assert prepared.y_train[""].shape == (10, 2) and prepared.facts.labels[""].kind == "one_hot"
    assert encode_labels(report.config, prepared).y_train[""].dtype == np.float32


def test_keras_dataset_from_a_local_file(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mnist.npz", x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 30, dtype=np.uint8), x_test=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 5, dtype=np.uint8))
    report = config(tmp_path, "{source: keras.mnist, path: mnist.npz, scale: 255, reshape: true}",
                    shape="[784]")
    prepared = load(report, tmp_path)
    assert sizes(prepared) == (27, 3, 5)
    assert prepared.x_train["input"].shape == (27, 784) and prepared.x_train["input"].max() <= 1


def ragged(sequences) -> np.ndarray:
    array = np.empty(len(sequences), dtype=object)
    array[:] = [list(s) for s in sequences]
    return array


def test_keras_sequence_dataset_from_a_local_file_is_indexed_and_padded(tmp_path):
    """imdb.npz holds ragged word-id lists: ids shift as Keras shifts them, cut to the vocabulary, padded."""
    sequences = [[5, 60, 7], [9] * 12, [1, 2]]
    np.savez(tmp_path / "imdb.npz", x_train=ragged(sequences * 4), y_train=np.array([0, 1, 1] * 4),
             x_test=ragged(sequences), y_test=np.array([1, 0, 0]))
    text = DENSE.format(task="binary", seed=0, shape="[6]", units=1, activation="sigmoid",
                        loss="binary_crossentropy", data="  {source: keras.imdb, path: imdb.npz}")
    text = text.replace("  layers:\n", "  layers:\n    - {type: Embedding, input_dim: 50, output_dim: 4}\n"
                        "    - {type: Flatten}\n")
    prepared = load(config(tmp_path, "", text=text), tmp_path)
    tokens = prepared.x_test["input"]
    assert tokens.dtype == np.int32 and tokens.shape == (3, 6)
    np.testing.assert_array_equal(tokens, [[0, 0, 1, 8, 2, 10], [12] * 6, [0, 0, 0, 1, 4, 5]])


def test_importing_the_module_stays_light():
    code = ("import sys, nnconf.engine.data\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_keras_download_failure_is_one_clear_error(tmp_path):
    """No network (a dead proxy, an empty Keras home): one DataError naming the file and the offline ways."""
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        import nnconf
        from nnconf.engine.data import DataError, load_data
        report = nnconf.check(sys.argv[1])
        try:
            load_data(report.config, report.inference, base_dir=Path(sys.argv[1]).parent, source=report.source)
        except DataError as error:
            print("FINDINGS", len(error.findings), error.findings[0].rule)
            print(error)
            sys.exit(3)
    """)
    path = tmp_path / "mnist.yaml"
    path.write_text(MNIST)
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "HTTPS_PROXY": dead, "HTTP_PROXY": dead,
           "https_proxy": dead, "http_proxy": dead, "NO_PROXY": "", "no_proxy": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "FINDINGS 1 NN007" in result.stdout
    message = result.stdout
    assert "mnist.npz" in message and "storage.googleapis.com" in message
    assert str(tmp_path / "keras" / "datasets") in message  # where to put it
    assert "--set data.path=" in message and "digits" in message
    assert "Traceback" not in result.stderr


# --- splits --------------------------------------------------------------------------------------


def test_splits_are_deterministic_with_a_seed(tmp_path):
    x = np.arange(100, dtype=np.float64).reshape(100, 1)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(100) % 2)
    data = "{source: npz, path: d.npz}"
    kwargs = dict(task="binary", shape="[1]", units=1, activation="sigmoid", loss="binary_crossentropy")
    first = load(config(tmp_path, data, seed=4, **kwargs), tmp_path)
    again = load(config(tmp_path, data, seed=4, **kwargs), tmp_path)
    other = load(config(tmp_path, data, seed=5, **kwargs), tmp_path)
    assert sizes(first) == (72, 8, 20)
    for part in ("x_train", "x_val", "x_test"):
        np.testing.assert_array_equal(getattr(first, part)["input"], getattr(again, part)["input"])
    assert not np.array_equal(first.x_train["input"], other.x_train["input"])
    seen = np.concatenate([first.x_train["input"], first.x_val["input"], first.x_test["input"]]).ravel()
    assert sorted(seen) == list(range(100))  # a partition: nothing lost, nothing twice
    np.testing.assert_array_equal(first.y_train[""], first.x_train["input"].ravel() % 2)  # pairs stay together

    unshuffled = load(config(tmp_path, "{source: npz, path: d.npz, shuffle: false, max_samples: 10}", **kwargs),
                      tmp_path)
    np.testing.assert_array_equal(unshuffled.x_train["input"].ravel(), np.arange(10))
    np.testing.assert_array_equal(unshuffled.x_test["input"].ravel(), np.arange(80, 100))
    assert sizes(unshuffled) == (10, 8, 20)  # max_samples caps the training split only


# --- preprocessing -------------------------------------------------------------------------------


def test_standardize_uses_training_statistics_only(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(200, 3))
    x[:, 2] = 7.0  # a constant feature: std 0 must not divide by zero
    np.savez(tmp_path / "d.npz", x=x, y=rng.integers(0, 3, 200))
    report = config(tmp_path, "{source: npz, path: d.npz, scale: 2, standardize: true}", shape="[3]", units=3)
    prepared = load(report, tmp_path)
    train = prepared.x_train["input"]
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train[:, :2].std(axis=0), 1, atol=1e-4)
    assert np.all(train[:, 2] == 0) and np.all(np.isfinite(prepared.x_test["input"]))
    assert abs(prepared.x_test["input"][:, 0].mean()) > 1e-4  # test data is not standardized on its own stats
    plan = prepared.preprocessing["inputs"]["input"]
    assert plan["std"][2] == 1.0 and len(plan["mean"]) == 3
    json.dumps(prepared.preprocessing)


def test_prepare_inputs_reproduces_the_training_preprocessing(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 255, size=(40, 8, 8)).astype(np.uint8)
    np.savez(tmp_path / "d.npz", x_train=x[:30], y_train=rng.integers(0, 3, 30), x_test=x[30:],
             y_test=rng.integers(0, 3, 10))
    report = config(tmp_path, "{source: npz, path: d.npz, scale: 255, standardize: true, reshape: true}",
                    shape="[8, 8, 1]", units=3)
    prepared = load(report, tmp_path)
    assert prepared.x_train["input"].shape == (27, 8, 8, 1)
    preprocessing = json.loads(json.dumps(prepared.preprocessing))  # as a run would store it
    again = prepare_inputs(x[30:], preprocessing, report.inference)
    np.testing.assert_allclose(again["input"], prepared.x_test["input"], rtol=1e-6)

    np.savez(tmp_path / "new.npz", x=x[30:])
    from_file = prepare_inputs(load_npz_inputs(tmp_path / "new.npz"), preprocessing, report.inference)
    np.testing.assert_allclose(from_file["input"], prepared.x_test["input"], rtol=1e-6)
    with pytest.raises(DataError, match="no array for the model input"):
        prepare_inputs({"z": x}, preprocessing, report.inference)


def test_reshape_to_the_model_input(tmp_path):
    report = config(tmp_path, "{source: sklearn.digits, reshape: true}", shape="[8, 8, 1]")
    prepared = load(report, tmp_path)
    assert prepared.x_train["input"].shape[1:] == (8, 8, 1)
    assert prepared.preprocessing["inputs"]["input"]["reshape"] == [8, 8, 1]


def test_token_inputs_of_an_embedding_stay_integers(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 50, (30, 6)), y=rng.integers(0, 2, 30))
    text = DENSE.format(task="binary", seed=0, shape="[6]", units=1, activation="sigmoid",
                        loss="binary_crossentropy", data="  {source: npz, path: d.npz, scale: 50}")
    text = text.replace("  layers:\n", "  layers:\n    - {type: Embedding, input_dim: 50, output_dim: 4}\n"
                        "    - {type: Flatten}\n")
    prepared = load(config(tmp_path, "", text=text), tmp_path)
    assert prepared.x_train["input"].dtype == np.int32 and prepared.x_train["input"].max() > 1
    assert prepared.facts.inputs["input"].integer


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss, labels, shape, dtype", [
    ("sparse_categorical_crossentropy", "auto", (4,), np.int32),
    ("categorical_crossentropy", "auto", (4, 3), np.float32),
    ("sparse_categorical_crossentropy", "one_hot", (4, 3), np.float32),
])
def test_class_labels_match_the_loss(tmp_path, loss, labels, shape, dtype):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), y=np.array([0, 2, 1, 2]))
    report = config(tmp_path, f"{{source: npz, path: d.npz, test_split: 0, validation_split: 0, shuffle: false, "
                    f"labels: {labels}}}", shape="[2]", units=3, loss=loss)
    y = encode_labels(report.config, load(report, tmp_path)).y_train[""]
    assert y.shape == shape and y.dtype == dtype
    if y.ndim == 2:
        np.testing.assert_array_equal(y.argmax(axis=1), [0, 2, 1, 2])
        assert y.sum() == 4


def test_one_hot_labels_become_ids_for_a_sparse_loss(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=np.eye(3)[[2, 0, 1]])
    report = config(tmp_path, "{source: npz, path: d.npz, test_split: 0, validation_split: 0, shuffle: false}",
                    shape="[2]", units=3)
    np.testing.assert_array_equal(encode_labels(report.config, load(report, tmp_path)).y_train[""], [2, 0, 1])


def test_binary_labels_become_a_float_column(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((5, 2)), y=np.array([0, 1, 1, 0, 1]))
    report = config(tmp_path, "{source: npz, path: d.npz, test_split: 0, validation_split: 0}", task="binary",
                    shape="[2]", units=1, activation="sigmoid", loss="binary_crossentropy")
    y = encode_labels(report.config, load(report, tmp_path)).y_train[""]
    assert y.shape == (5, 1) and y.dtype == np.float32


# --- tf.data -------------------------------------------------------------------------------------


def test_make_dataset_batches_plain_tensors_for_one_input_and_output():
    x = {"input": np.arange(20, dtype=np.float32).reshape(10, 2)}
    y = {"": np.arange(10, dtype=np.int32)}
    batches = list(make_dataset(x, y, batch_size=4, shuffle=False, seed=None, cache=False, prefetch=False))
    assert [tuple(b[0].shape) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert [int(v) for v in batches[0][1]] == [0, 1, 2, 3]

    shuffled = make_dataset(x, y, batch_size=10, shuffle=True, seed=7, cache=True, prefetch=True)
    first, second = (next(iter(shuffled))[1].numpy() for _ in range(2))
    assert sorted(first) == list(range(10)) and not np.array_equal(first, second)  # reshuffled each epoch
    again = make_dataset(x, y, batch_size=10, shuffle=True, seed=7, cache=True, prefetch=True)
    np.testing.assert_array_equal(next(iter(again))[1].numpy(), first)  # seeded

    inputs_only = list(make_dataset(x, None, batch_size=5, shuffle=False, seed=None, cache=False, prefetch=True))
    assert len(inputs_only) == 2 and tuple(inputs_only[0].shape) == (5, 2)


# --- data errors ---------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    error = data_error(config(tmp_path, "{source: npz, path: nowhere.npz}", shape="[4]", units=3), tmp_path)
    assert "does not exist" in str(error) and "nowhere.npz" in str(error)
    assert error.findings[0].path == "data.path"


def test_a_file_that_is_no_npz(tmp_path):
    (tmp_path / "d.npz").write_text("a,b\n1,2\n")
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "is not an .npz file" in str(error)
    np.save(tmp_path / "single.npy", np.zeros(3))
    error = data_error(config(tmp_path, "{source: npz, path: single.npy}", shape="[4]", units=3), tmp_path)
    assert "single .npy array" in str(error)


def test_a_file_that_is_no_csv(tmp_path):
    with open(tmp_path / "d.csv", "wb") as stream:
        np.savez(stream, x=np.zeros(3))
    error = data_error(config(tmp_path, "{source: csv, path: d.csv, label: y}", shape="[4]", units=3), tmp_path)
    assert "is not a CSV file" in str(error)


def test_missing_arrays_say_which_exist(tmp_path):
    np.savez(tmp_path / "d.npz", inputs=np.zeros((3, 4)), y=np.zeros(3))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "no array for the model's input" in str(error) and "'inputs', 'y'" in str(error)

    np.savez(tmp_path / "two.npz", image=np.zeros((3, 28, 28)), meta=np.zeros((3, 4)), digit=np.zeros(3),
             parity_=np.zeros(3))
    error = data_error(config(tmp_path, "", text=FUNCTIONAL), tmp_path)
    assert "the output 'parity'" in str(error) and "did you mean 'parity_'?" in str(error)


def test_inputs_and_labels_of_different_lengths(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 4)), y=np.zeros(9))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "different numbers of samples" in str(error) and "10" in str(error) and "9" in str(error)


def test_nan_and_infinite_values_are_counted_and_located(tmp_path):
    x = np.zeros((10, 4))
    x[3, 1], x[5, 2], x[6, 0] = np.nan, np.inf, np.nan
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(10))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "3 non-finite value(s) (2 NaN, 1 infinite)" in str(error) and "sample 3, position [1]" in str(error)

    write_csv(tmp_path / "t.csv", ["a,b,y", "1,2,0", "3,nan,1"])
    error = data_error(config(tmp_path, "{source: csv, path: t.csv, label: y}", shape="[2]", units=3), tmp_path)
    assert "1 NaN or infinite value(s)" in str(error) and "line 3, column 'b'" in str(error)


def test_strings_and_objects_in_an_npz(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.array([["a", "b"]] * 3), y=np.zeros(3))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[2]", units=3), tmp_path)
    assert "holds strings" in str(error) and "'x'" in str(error)
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1], [1, 2], [3]]
    np.savez(tmp_path / "d.npz", x=ragged, y=np.zeros(3))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[2]", units=3), tmp_path)
    assert "holds Python objects" in str(error)


def test_labels_out_of_range_stop_before_training(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 2)), y=np.arange(20) % 7)
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[2]", units=5), tmp_path)
    assert "labels out of range" in str(error) and "5 units" in str(error) and "6" in str(error)

    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", task="binary", shape="[2]", units=1,
                              activation="sigmoid", loss="binary_crossentropy"), tmp_path)
    assert "labels out of range" in str(error) and "between 0 and 1" in str(error)


def test_empty_files_and_zero_samples(tmp_path):
    (tmp_path / "d.npz").write_bytes(b"")
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "is empty" in str(error)

    np.savez(tmp_path / "d.npz", x=np.zeros((0, 4)), y=np.zeros(0))
    error = data_error(config(tmp_path, "{source: npz, path: d.npz}", shape="[4]", units=3), tmp_path)
    assert "no samples" in str(error)

    write_csv(tmp_path / "t.csv", ["a,b,y"])
    error = data_error(config(tmp_path, "{source: csv, path: t.csv, label: y}", shape="[2]", units=3), tmp_path)
    assert "no samples" in str(error)


def test_csv_without_the_label_column(tmp_path):
    write_csv(tmp_path / "t.csv", ["width,height,species", "1,2,0"])
    error = data_error(config(tmp_path, "{source: csv, path: t.csv, label: specie}", shape="[2]", units=3),
                       tmp_path)
    assert "no label column 'specie'" in str(error) and "'height', 'species', 'width'" in str(error)
    assert "did you mean 'species'?" in str(error) and error.findings[0].path == "data.label"


def test_csv_with_a_word_where_a_number_belongs(tmp_path):
    write_csv(tmp_path / "t.csv", ["a,colour,y", "1,2,0", "3,4,1", "5,red,1"])
    error = data_error(config(tmp_path, "{source: csv, path: t.csv, label: y}", shape="[2]", units=3), tmp_path)
    assert "line 4" in str(error) and "column 'colour'" in str(error) and "'red'" in str(error)


def test_reshape_that_cannot_work_names_both_shapes(tmp_path):
    error = data_error(config(tmp_path, "{source: sklearn.digits, reshape: true}", shape="[28, 28]"), tmp_path)
    assert "[64]" in str(error) and "[28, 28]" in str(error) and error.findings[0].path == "data.reshape"


def test_a_mismatched_sample_shape_without_reshape_is_left_to_lint(tmp_path):
    prepared = load(config(tmp_path, "{source: sklearn.digits}", shape="[28, 28]"), tmp_path)
    assert prepared.facts.inputs["input"].sample_shape == (64,)
