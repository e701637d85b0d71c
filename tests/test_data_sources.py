"""The streaming and mixed sources of the data section, on tiny generated files: image folders (and later
text folders, mixed CSV tables and arrays from Python), each trained for real and each wrong input named."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nnconf
from nnconf import codes
from nnconf.analysis.pipeline import lint_report
from nnconf.engine.data import DataError, load_data
from nnconf.engine.data.samples import generate
from nnconf.findings import Severity

IMAGES = """\
name: tiny-images
task: multiclass
seed: 5
model:
  input_shape: {shape}
  layers:
    - {{type: Flatten}}
    - {{type: Dense, units: 16, activation: relu}}
    - {{type: Dense, units: {units}}}
loss: {{name: sparse_categorical_crossentropy, from_logits: true}}
metrics: [accuracy]
data:
{data}
training: {{epochs: {epochs}, batch_size: 8}}
"""


def write_images(folder: Path, classes=("circle", "cross", "square"), per_class: int = 8, size: int = 8,
                 mode: str = "L") -> Path:
    """``per_class`` small PNG images of each class, each class a different pattern with seeded noise."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True)
        for number in range(per_class):
            pixels = rng.integers(0, 60, size=(size, size)).astype(np.uint8)
            pixels[index::len(classes), :] = 250
            image = Image.fromarray(pixels)
            if mode != "L":
                image = image.convert(mode)
            image.save(folder / name / f"{number:03d}.png")
    return folder


def images_config(tmp_path: Path, data: str = "{source: images, path: pictures, scale: 255}", *,
                  shape: str = "[8, 8, 1]", units: int = 3, epochs: int = 2) -> Path:
    path = tmp_path / "images.yaml"
    path.write_text(IMAGES.format(shape=shape, units=units, epochs=epochs,
                                  data=textwrap.indent(textwrap.dedent(data).strip(), "  ")))
    return path


def loaded(config: Path):
    report = nnconf.check(config)
    assert report.ok, "\n".join(f.format() for f in report.findings)
    return report, load_data(report.config, report.inference, base_dir=config.parent, source=report.source)


def data_error(config: Path) -> DataError:
    report = nnconf.check(config)
    assert report.ok, "\n".join(f.format() for f in report.findings)
    with pytest.raises(DataError) as raised:
        load_data(report.config, report.inference, base_dir=config.parent, source=report.source)
    (finding,) = raised.value.findings
    assert finding.rule == codes.DATA and finding.severity is Severity.ERROR
    assert finding.file == str(config) and finding.line is not None  # located in the config
    return raised.value


# --- images --------------------------------------------------------------------------------------


def test_an_image_folder_is_listed_not_loaded_and_described_from_a_sample(tmp_path):
    write_images(tmp_path / "pictures")
    report, prepared = loaded(images_config(tmp_path))
    paths = prepared.x_train["input"]
    assert paths.dtype.kind == "U" and all(Path(p).suffix == ".png" for p in paths)  # paths, not pixels
    assert sum(len(part["input"]) for part in (prepared.x_train, prepared.x_val, prepared.x_test)) == 24
    plan = prepared.preprocessing["inputs"]["input"]
    assert (plan["read"], plan["image_size"], plan["channels"], plan["scale"]) == ("image", [8, 8], 1, 255.0)
    assert prepared.preprocessing["classes"] == {"": ["circle", "cross", "square"]}
    facts = prepared.facts
    assert facts.sampled == len(paths) and facts.inputs["input"].sample_shape == (8, 8, 1)
    assert 0 <= facts.inputs["input"].minimum and facts.inputs["input"].maximum <= 1  # read and scaled
    assert facts.labels[""].class_names == ("circle", "cross", "square") and facts.labels[""].classes == 3
    json.dumps(prepared.preprocessing)


def test_image_size_and_color_mode_come_from_the_data_section_or_the_model(tmp_path):
    write_images(tmp_path / "pictures", mode="RGB")
    _, prepared = loaded(images_config(tmp_path, "{source: images, path: pictures, image_size: [4, 6], "
                                                 "color_mode: rgb}", shape="[4, 6, 3]"))
    assert prepared.facts.inputs["input"].sample_shape == (4, 6, 3)
    _, grey = loaded(images_config(tmp_path, shape="[8, 8, 1]"))
    assert grey.preprocessing["inputs"]["input"]["channels"] == 1  # RGB files read as the model's grayscale


def test_images_of_another_size_than_the_model_input_are_a_lint_error_said_to_come_from_a_sample(tmp_path):
    write_images(tmp_path / "pictures")
    report, prepared = loaded(images_config(tmp_path, "{source: images, path: pictures, image_size: [6, 6], "
                                                      "scale: 255}"))
    findings = [f for f in lint_report(report, data=prepared.facts).findings if f.rule == "NN503"]
    assert len(findings) == 1 and "[6, 6, 1]" in findings[0].message
    assert f"from {prepared.facts.sampled} samples read" in findings[0].message


def test_a_folder_of_images_trains_and_its_run_keeps_the_class_names(tmp_path):
    write_images(tmp_path / "pictures")
    run = nnconf.train(images_config(tmp_path), run_dir=tmp_path / "run")
    assert run.status == "finished" and len(run.history["loss"]) == 2
    saved = json.loads((run.directory / "preprocessing.json").read_text())
    assert saved["classes"] == {"": ["circle", "cross", "square"]} and saved["inputs"]["input"]["read"] == "image"
    assert nnconf.evaluate(run.directory) == run.metrics


def test_an_interrupted_image_run_resumes_to_exactly_where_an_uninterrupted_one_ends(tmp_path):
    import keras

    from nnconf.engine.train import train

    class StopAfterSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt  # as a second Ctrl-C: the checkpoint of epoch 2 is kept

    write_images(tmp_path / "pictures", per_class=12)
    config = images_config(tmp_path, epochs=4)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        train(config, run_dir=tmp_path / "cut", callbacks=[StopAfterSecondEpoch()])
    resumed = nnconf.resume(tmp_path / "cut")
    assert resumed.history == whole.history and resumed.metrics == whole.metrics


def test_the_sample_digits_are_written_on_demand(tmp_path):
    config = images_config(tmp_path, "{source: images, path: samples/digits, generate: digits, scale: 255, "
                                     "max_samples: 50}", units=10)
    _, prepared = loaded(config)
    assert sorted(p.name for p in (tmp_path / "samples" / "digits").iterdir()) == [str(d) for d in range(10)]
    assert sum(1 for _ in (tmp_path / "samples" / "digits").rglob("*.png")) == 1797
    assert prepared.preprocessing["classes"][""] == [str(d) for d in range(10)]
    assert not [p for p in (tmp_path / "samples").iterdir() if p.name.startswith(".")]  # no staging left


def test_generate_writes_as_many_digits_as_asked(tmp_path):
    generate("digits", tmp_path / "many", count=1800)
    files = sorted((tmp_path / "many").rglob("*.png"))
    assert len(files) == 1800


# --- wrong image folders -------------------------------------------------------------------------


def test_a_missing_image_folder(tmp_path):
    error = data_error(images_config(tmp_path, "{source: images, path: nowhere/pictures}"))
    assert "the data folder" in str(error) and "does not exist: there is no folder" in str(error)
    assert error.findings[0].hint == "relative paths are read from the config's folder"


def test_an_image_folder_that_is_a_file(tmp_path):
    (tmp_path / "pictures").write_text("not a folder")
    assert "is a file, not a folder" in str(data_error(images_config(tmp_path)))


def test_an_image_folder_without_class_subfolders(tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.png").write_bytes(b"")
    error = data_error(images_config(tmp_path))
    assert "has no class subfolders: it holds 1 file but no subfolders" in str(error)


def test_a_class_with_no_image_files(tmp_path):
    write_images(tmp_path / "pictures")
    (tmp_path / "pictures" / "empty").mkdir()
    (tmp_path / "pictures" / "empty" / "notes.txt").write_text("no images here")
    error = data_error(images_config(tmp_path, units=4))
    assert "the class folder" in str(error) and "empty' has no image files" in str(error)
    assert "it holds 1 other file, e.g. 'notes.txt'" in str(error)


@pytest.mark.parametrize("content, words", [
    (b"", "an empty file"),
    (b"this is text, not pixels", "not an image file"),
    ("cut", "a damaged PNG file"),
    ("tiff", "a TIFF image; TensorFlow decodes only BMP, GIF, JPEG, PNG"),
    ("short jpeg", "a JPEG file cut short"),
])
def test_a_damaged_image_is_named_by_its_path_before_training(tmp_path, content, words):
    from PIL import Image

    write_images(tmp_path / "pictures")
    bad = tmp_path / "pictures" / "cross" / "bad.png"
    if content == "cut":
        whole = (tmp_path / "pictures" / "cross" / "000.png").read_bytes()
        bad.write_bytes(whole[:len(whole) - 20])
    elif content == "tiff":
        Image.new("L", (8, 8)).save(bad, format="TIFF")
    elif content == "short jpeg":
        bad = bad.with_suffix(".jpg")
        Image.new("L", (64, 64), color=90).save(bad, format="JPEG")
        bad.write_bytes(bad.read_bytes()[:-2])
    else:
        bad.write_bytes(content)
    error = data_error(images_config(tmp_path))
    assert f"1 image of 25 cannot be read: {str(bad)!r} ({words})" in str(error)


def test_several_damaged_images_are_counted(tmp_path):
    write_images(tmp_path / "pictures")
    for number in range(5):
        (tmp_path / "pictures" / "circle" / f"{number:03d}.png").write_bytes(b"junk")
    message = str(data_error(images_config(tmp_path)))
    assert "5 images of 24 cannot be read" in message and "; and 2 more" in message


def test_a_model_input_that_says_no_image_size(tmp_path):
    write_images(tmp_path / "pictures")
    error = data_error(images_config(tmp_path, "{source: images, path: pictures, reshape: true}", shape="[64]"))
    assert "the model input [64] is no [height, width, channels] shape" in str(error)
    assert error.findings[0].hint == "set data.image_size: [height, width]"


def test_standardize_is_refused_for_a_streaming_source(tmp_path):
    report = nnconf.check(images_config(tmp_path, "{source: images, path: pictures, standardize: true}"))
    assert not report.ok
    assert any("data.standardize needs statistics of every training sample" in f.message for f in report.findings)


# --- texts ---------------------------------------------------------------------------------------

TEXTS = """\
name: tiny-texts
task: binary
seed: 2
model:
  input_shape: [1]
  layers:
    - {type: TextVectorization, max_tokens: 50, output_sequence_length: 6}
    - {type: Embedding, input_dim: 50, output_dim: 4}
    - {type: GlobalAveragePooling1D}
    - {type: Dense, units: 1}
loss: {name: binary_crossentropy, from_logits: true}
data: {data}
training: {{epochs: 2, batch_size: 4}}
"""


def write_texts(folder: Path, per_class: int = 8) -> Path:
    for label, word in (("bad", "awful"), ("good", "great")):
        (folder / label).mkdir(parents=True)
        for number in range(per_class):
            (folder / label / f"{number}.txt").write_text(f"a {word} thing, number {number}\n")
    return folder


def texts_config(tmp_path: Path, data: str = "{source: text, path: reviews}", text: str = TEXTS) -> Path:
    path = tmp_path / "texts.yaml"
    path.write_text(text.replace("{data}", data).replace("{{", "{").replace("}}", "}"))
    return path


def test_a_folder_of_texts_is_listed_and_read_as_strings_from_a_sample(tmp_path):
    write_texts(tmp_path / "reviews")
    _, prepared = loaded(texts_config(tmp_path))
    assert prepared.x_train["input"].dtype.kind == "U"  # paths
    plan = prepared.preprocessing["inputs"]["input"]
    assert (plan["read"], plan["dtype"], plan["reshape"]) == ("text", "string", [1])
    assert prepared.preprocessing["classes"] == {"": ["bad", "good"]}
    assert prepared.facts.inputs["input"].sample_shape == (1,) and prepared.facts.sampled == prepared.facts.samples


def test_texts_train_with_a_vocabulary_adapted_on_the_training_split_and_predict_from_files(tmp_path):
    from nnconf.engine.predict import predict

    write_texts(tmp_path / "reviews")
    run = nnconf.train(texts_config(tmp_path), run_dir=tmp_path / "run")
    vocabulary = run.model.layers[0].get_vocabulary()
    assert "great" in vocabulary and "awful" in vocabulary
    assert nnconf.evaluate(run.directory) == run.metrics
    new = tmp_path / "new"
    new.mkdir()
    (new / "one.txt").write_text("a great thing")
    (new / "two.txt").write_text("an awful thing")
    result = predict(run.directory, [new / "one.txt", new / "two.txt"])
    assert result.names == [str(new / "one.txt"), str(new / "two.txt")]
    probabilities = result.outputs[""].values
    assert probabilities.shape == (2, 2) and np.allclose(probabilities.sum(axis=1), 1)
    assert result.outputs[""].columns == ["bad", "good"]


def test_a_csv_file_of_texts_gives_strings_and_named_classes(tmp_path):
    rows = ["review,verdict"] + [f'"a {"great" if i % 2 else "awful"} thing, {i}",{"good" if i % 2 else "bad"}'
                                 for i in range(12)]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n")
    _, prepared = loaded(texts_config(tmp_path, "{source: text, path: reviews.csv, text: review, label: verdict, "
                                                "shuffle: false, test_split: 0, validation_split: 0}"))
    texts = prepared.x_train["input"]
    assert texts.shape == (12, 1) and texts[1, 0] == "a great thing, 1"
    assert prepared.preprocessing["classes"] == {"": ["bad", "good"]}
    assert prepared.y_train[""].tolist() == [i % 2 for i in range(12)]


def test_texts_for_a_model_that_does_not_read_texts(tmp_path):
    write_texts(tmp_path / "reviews")
    dense = TEXTS.replace("    - {type: TextVectorization, max_tokens: 50, output_sequence_length: 6}\n", "").replace(
        "    - {type: Embedding, input_dim: 50, output_dim: 4}\n    - {type: GlobalAveragePooling1D}\n", "")
    error = data_error(texts_config(tmp_path, text=dense))
    assert "the model's first layer is no TextVectorization" in str(error)


def test_a_text_class_folder_without_text_files(tmp_path):
    write_texts(tmp_path / "reviews")
    (tmp_path / "reviews" / "meh").mkdir()
    (tmp_path / "reviews" / "meh" / "notes.md").write_text("#")
    assert "meh' has no text files" in str(data_error(texts_config(tmp_path)))


def test_a_csv_of_texts_without_its_text_column(tmp_path):
    (tmp_path / "reviews.csv").write_text("review,verdict\nfine,good\n")
    error = data_error(texts_config(tmp_path, "{source: text, path: reviews.csv, text: reviews, label: verdict}"))
    assert "reviews.csv has no column 'reviews'" in str(error) and error.findings[0].path == "data.text"


# --- CSV tables of mixed columns ----------------------------------------------------------------

TABLE = """\
name: tiny-table
task: multiclass
seed: 4
model:
  input_shape: {shape}
  layers:
    - {{type: Dense, units: 3}}
loss: {{name: sparse_categorical_crossentropy, from_logits: true}}
data: {data}
training: {{epochs: 1, batch_size: 4}}
"""


def table_config(tmp_path: Path, rows: list[str], data: str = "{source: csv, path: t.csv, label: kind}", *,
                 shape: str = "[4]", text: str | None = None) -> Path:
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "table.yaml"
    path.write_text(text if text is not None else TABLE.format(shape=shape, data=data))
    return path


ANIMALS = ["size,colour,kind"] + [f"{i},{('red', 'green', 'blue')[i % 3]},{('cat', 'dog', 'fox')[i % 3]}"
                                  for i in range(30)]


def test_words_are_categories_one_hot_encoded_with_the_training_splits_values(tmp_path):
    report, prepared = loaded(table_config(tmp_path, ANIMALS, "{source: csv, path: t.csv, label: kind, "
                                                              "shuffle: false, test_split: 0.1}"))
    plan = prepared.preprocessing["inputs"]["input"]
    assert plan["columns"] == [{"name": "size", "kind": "number"},
                               {"name": "colour", "kind": "category", "values": ["blue", "green", "red"]}]
    x = prepared.x_train["input"]
    assert x.dtype == np.float32 and x.shape[1] == 4
    np.testing.assert_array_equal(x[:3], [[0, 0, 0, 1], [1, 0, 1, 0], [2, 1, 0, 0]])
    assert prepared.preprocessing["classes"] == {"": ["cat", "dog", "fox"]}
    assert prepared.facts.labels[""].class_names == ("cat", "dog", "fox")
    json.dumps(prepared.preprocessing)


def test_a_category_first_seen_after_the_training_split_encodes_as_zeros(tmp_path):
    rows = ANIMALS + ["99,purple,cat"]
    _, prepared = loaded(table_config(tmp_path, rows, "{source: csv, path: t.csv, label: kind, shuffle: false, "
                                                      "test_split: 0.05, validation_split: 0}"))
    assert prepared.x_test["input"][-1].tolist() == [99, 0, 0, 0]


def test_a_column_of_numbers_can_be_read_as_categories(tmp_path):
    rows = ["zip,size,kind"] + [f"{1000 + i % 2},{i},{('cat', 'dog', 'fox')[i % 3]}" for i in range(12)]
    _, prepared = loaded(table_config(tmp_path, rows, "{source: csv, path: t.csv, label: kind, categories: [zip]}",
                                      shape="[3]"))
    assert prepared.preprocessing["inputs"]["input"]["columns"][0] == {"name": "zip", "kind": "category",
                                                                        "values": ["1000", "1001"]}


def test_missing_values_are_reported_with_their_lines(tmp_path):
    rows = ANIMALS[:]
    for line in (3, 5, 9):
        rows[line - 1] = "," + rows[line - 1].split(",", 1)[1]  # the size left empty
    error = data_error(table_config(tmp_path, rows))
    assert "column 'size' of t.csv has 3 missing values, at lines 3, 5 and 9" in str(error)
    rows = ANIMALS[:3] + ["4,,cat"] + ANIMALS[4:]
    error = data_error(table_config(tmp_path, rows))
    assert "column 'colour' of t.csv has a missing value, at line 4" in str(error)


def test_a_column_of_mixed_numbers_and_words_is_located(tmp_path):
    rows = ANIMALS[:]
    rows[6] = "six,red,cat"
    error = data_error(table_config(tmp_path, rows))
    assert "line 7 of t.csv, column 'size' holds 'six', but the column's other values are numbers" in str(error)
    assert "data.categories" in error.findings[0].hint


def test_named_groups_of_columns_feed_the_inputs_of_a_functional_model(tmp_path):
    text = """\
task: multiclass
model:
  inputs: {measures: [2], colour: [1]}
  layers:
    - {name: ids, type: StringLookup, inputs: colour}
    - {name: vectors, type: Embedding, input_dim: 4, output_dim: 2, inputs: ids}
    - {name: flat, type: Flatten, inputs: vectors}
    - {name: joined, type: Concatenate, inputs: [measures, flat]}
    - {name: kind, type: Dense, units: 3, inputs: joined}
  outputs: kind
loss: {name: sparse_categorical_crossentropy, from_logits: true}
data: {source: csv, path: t.csv, label: kind, inputs: {measures: [size, weight], colour: [colour]}}
training: {epochs: 1, batch_size: 4}
"""
    rows = ["size,weight,colour,kind"] + [f"{i},{i * 2},{('red', 'green', 'blue')[i % 3]},{i % 3}" for i in range(24)]
    config = table_config(tmp_path, rows, text=text)
    _, prepared = loaded(config)
    assert prepared.x_train["measures"].shape[1] == 2
    colours = prepared.x_train["colour"]
    assert colours.shape[1:] == (1,) and colours[0, 0] in ("red", "green", "blue")  # the model looks them up
    run = nnconf.train(config, run_dir=tmp_path / "run")
    assert sorted(run.model.get_layer("ids").get_vocabulary()) == ["[UNK]", "blue", "green", "red"]


def test_a_functional_model_without_its_input_columns_named(tmp_path):
    text = TABLE.format(shape="[1]", data="{source: csv, path: t.csv, label: kind}").replace(
        "  input_shape: [1]\n  layers:\n    - {type: Dense, units: 3}",
        "  inputs: {a: [1], b: [1]}\n  layers:\n    - {name: ab, type: Concatenate, inputs: [a, b]}\n"
        "    - {name: out, type: Dense, units: 3, inputs: ab}\n  outputs: out")
    error = data_error(table_config(tmp_path, ANIMALS, text=text))
    assert "the model has the inputs 'a', 'b': say which columns of t.csv feed each" in str(error)
    assert error.findings[0].hint == "set data.inputs: {a: [column, ...], b: [column, ...]}"


# --- predict: what the run trained on, by file ---------------------------------------------------


def nnconf_cli(*arguments: str, cwd: Path | None = None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "nnconf", *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture(scope="module")
def image_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("image-run")
    write_images(folder / "pictures")
    run = nnconf.train(images_config(folder, epochs=1), run_dir=folder / "run")
    return run.directory


def test_predict_images_by_file_and_folder_with_probabilities_and_class_names(image_run, tmp_path):
    import csv

    out = tmp_path / "out.csv"
    pictures = image_run.parent / "pictures"
    result = nnconf_cli("predict", str(image_run), str(pictures / "cross"), str(pictures / "circle" / "000.png"),
                        "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 9 and rows[0]["input"] == str(pictures / "cross" / "000.png")
    assert rows[-1]["input"] == str(pictures / "circle" / "000.png")
    assert set(rows[0]) == {"input", "class", "circle", "cross", "square"}
    assert all(row["class"] in ("circle", "cross", "square") for row in rows)
    assert all(abs(sum(float(row[name]) for name in ("circle", "cross", "square")) - 1) < 1e-5 for row in rows)


def test_predict_writes_classes_or_logits_as_npz(image_run, tmp_path):
    from nnconf.engine.predict import predict

    pictures = image_run.parent / "pictures" / "square"
    logits = predict(image_run, [pictures], kind="logits").outputs[""].values
    probabilities = predict(image_run, [pictures]).outputs[""].values
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), probabilities, atol=1e-6)
    out = tmp_path / "classes.npz"
    assert nnconf_cli("predict", str(image_run), str(pictures), "--as", "classes", "-o", str(out)).returncode == 0
    saved = np.load(out)
    assert saved["y"].shape == (8,) and saved["inputs"][0].endswith("000.png")
    assert set(saved["classes"].tolist()) <= {"circle", "cross", "square"}


def test_predict_refuses_inputs_of_the_wrong_kind(image_run, tmp_path):
    (tmp_path / "note.txt").write_text("not an image")
    result = nnconf_cli("predict", str(image_run), str(tmp_path / "note.txt"))
    assert result.returncode == 1 and "note.txt is no image file" in result.stderr
    (tmp_path / "broken.png").write_bytes(b"junk")
    result = nnconf_cli("predict", str(image_run), str(tmp_path / "broken.png"))
    assert result.returncode == 1 and "broken.png cannot be read: not an image file" in result.stderr
    assert "Traceback" not in result.stderr


def test_predict_with_a_model_saved_by_nnconf_build(image_run, tmp_path):
    from nnconf.engine.predict import predict

    model = tmp_path / "model.keras"
    result = nnconf_cli("build", str(image_run / "config.yaml"), "-o", str(model))
    assert result.returncode == 0, result.stderr
    predictions = predict(model, [image_run.parent / "pictures" / "circle"])
    assert predictions.outputs[""].columns == ["0", "1", "2"] and predictions.outputs[""].values.shape == (8, 3)


def test_predict_from_a_csv_table_applies_the_runs_categories(tmp_path):
    from nnconf.engine.predict import predict

    config = table_config(tmp_path, ANIMALS)
    run = nnconf.train(config, run_dir=tmp_path / "run")
    (tmp_path / "new.csv").write_text("colour,size\nred,3\npurple,4\n")  # no label; another column order
    result = predict(run.directory, [tmp_path / "new.csv"], kind="classes")
    assert result.names == ["line 2", "line 3"] and result.outputs[""].values.shape == (2,)
    assert all(name in ("cat", "dog", "fox") for name in result.outputs[""].predicted)
    (tmp_path / "bad.csv").write_text("colour\nred\n")
    result = nnconf_cli("predict", str(run.directory), str(tmp_path / "bad.csv"))
    assert result.returncode == 1 and "bad.csv has no column 'size'" in result.stderr


# --- data from Python ----------------------------------------------------------------------------

DENSE = """\
name: from-python
task: multiclass
seed: 6
model:
  input_shape: [4]
  layers:
    - {type: Dense, units: 8, activation: relu}
    - {type: Dense, units: 3}
loss: {name: sparse_categorical_crossentropy, from_logits: true}
training: {epochs: 3, batch_size: 8}
"""


def blobs(n: int = 60):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=n)
    return rng.normal(size=(n, 4)) + y[:, None], y


def test_arrays_from_python_train_lint_and_resume_like_a_config_source(tmp_path):
    import keras

    from nnconf.engine.train import train

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    x, y = blobs()
    whole = nnconf.train(DENSE, data=(x, y), run_dir=tmp_path / "whole")
    assert whole.status == "finished" and whole.config.data.source == "python"
    saved = json.loads((whole.directory / "preprocessing.json").read_text())
    assert saved["data"]["source"] == "python" and len(saved["data"]["fingerprint"]) == 64
    with pytest.raises(KeyboardInterrupt):
        train(DENSE, data=(x, y), run_dir=tmp_path / "cut", callbacks=[StopAfterFirstEpoch()])
    with pytest.raises(DataError, match="differs from the data"):
        nnconf.resume(tmp_path / "cut", data=(x[::-1], y[::-1]))
    with pytest.raises(DataError, match="the samples are handed over from Python, and none were given"):
        nnconf.resume(tmp_path / "cut")
    resumed = nnconf.resume(tmp_path / "cut", data=(x, y))
    assert resumed.history == whole.history and resumed.metrics == whole.metrics


def test_arrays_from_python_are_linted_against_the_model(tmp_path):
    x, y = blobs()
    with pytest.raises(nnconf.ConfigError) as raised:
        nnconf.train(DENSE.replace("units: 3", "units: 2"), data=(x, y), run_dir=tmp_path / "run")
    assert [f.rule for f in raised.value.findings] == ["NN502"]


def test_mappings_by_input_and_output_name_feed_a_functional_model(tmp_path):
    text = """\
task: {kind: multiclass, size: regression}
seed: 1
model:
  inputs: {a: [4], b: [2]}
  layers:
    - {name: ab, type: Concatenate, inputs: [a, b]}
    - {name: kind, type: Dense, units: 3, inputs: ab}
    - {name: size, type: Dense, units: 1, inputs: ab}
  outputs: [kind, size]
loss: {kind: {name: sparse_categorical_crossentropy, from_logits: true}, size: mse}
data: {source: python, test_split: 0, validation_split: 0.25}
training: {epochs: 1, batch_size: 8}
"""
    x, y = blobs()
    run = nnconf.train(text, data=({"a": x, "b": x[:, :2]}, {"kind": y, "size": x.sum(axis=1)}),
                       run_dir=tmp_path / "run")
    assert set(run.history) >= {"kind_loss", "size_loss", "val_loss"}


@pytest.mark.parametrize("data, words", [
    ((np.zeros((10, 4)), np.zeros(9)), "the arrays given have different numbers of samples: x 10, y 9"),
    (({"input": np.zeros((10, 4))}, {"": np.zeros(11)}), "different numbers of samples: x['input'] 10, y[''] 11"),
    (({"a": np.zeros((10, 4))}, np.zeros(10)), "x has an array for 'a', which is no model input"),
    ([np.zeros((10, 4)), np.zeros(10)], "data= takes (x, y) NumPy arrays"),
    ((np.array([[1.0], [1.0, 2.0]], dtype=object), np.zeros(2)), "x holds rows of different lengths"),
    ((np.array([["a"] * 4] * 10), np.zeros(10)), "holds strings"),
])
def test_wrong_arrays_from_python(tmp_path, data, words):
    with pytest.raises(DataError) as raised:
        nnconf.train(DENSE, data=data, run_dir=tmp_path / "run")
    (finding,) = raised.value.findings
    assert words in finding.message and finding.rule == codes.DATA
    assert not (tmp_path / "run").exists()  # refused before a run directory is made


def test_data_from_python_for_a_config_that_reads_a_file(tmp_path):
    text = DENSE + "data: {source: npz, path: d.npz}\n"
    with pytest.raises(DataError, match="data was given from Python, but the config reads data.source npz"):
        nnconf.train(text, data=blobs(), run_dir=tmp_path / "run")


def test_a_dataframe_is_read_as_a_table_with_missing_values_named_by_row(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"size": [1.5, 2.0, None, 4.0] * 6, "colour": ["red", "blue", "red", "green"] * 6,
                          "kind": ["cat", "dog", "fox", "cat"] * 6})
    text = DENSE.replace("input_shape: [4]", "input_shape: [4]") + "data: {source: python, label: kind}\n"
    with pytest.raises(DataError, match=r"column 'size' of the DataFrame has 6 missing values, at rows 2, 6, 10, "
                                        r"14, 18 and 1 more"):
        nnconf.train(text, data=frame, run_dir=tmp_path / "run")
    frame["size"] = frame["size"].fillna(3.0)
    run = nnconf.train(text, data=frame, run_dir=tmp_path / "run")
    saved = json.loads((run.directory / "preprocessing.json").read_text())
    assert saved["classes"] == {"": ["cat", "dog", "fox"]}
    assert saved["inputs"]["input"]["columns"][1]["values"] == ["blue", "green", "red"]


def test_a_dataframe_needs_its_label_column_named(tmp_path):
    import pandas as pd

    with pytest.raises(DataError, match="a DataFrame needs data.label"):
        nnconf.train(DENSE, data=pd.DataFrame({"a": [1, 2]}), run_dir=tmp_path / "run")


def test_a_tf_dataset_of_batches_trains_as_its_arrays_do(tmp_path):
    import tensorflow as tf

    x, y = blobs()
    from_arrays = nnconf.train(DENSE, data=(x, y), run_dir=tmp_path / "arrays")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(7)
    from_dataset = nnconf.train(DENSE, data=dataset, run_dir=tmp_path / "dataset")
    assert from_dataset.history == from_arrays.history


# --- the data-aware lint rules on every source ---------------------------------------------------


def rules_on(config: Path) -> dict[str, list[str]]:
    report, prepared = loaded(config)
    found: dict[str, list[str]] = {}
    for finding in lint_report(report, data=prepared.facts).findings:
        found.setdefault(finding.rule, []).append(finding.message)
    return found


def test_unscaled_pixels_of_an_image_folder_are_judged_from_a_sample_and_said_so(tmp_path):
    write_images(tmp_path / "pictures")
    found = rules_on(images_config(tmp_path, "{source: images, path: pictures}"))
    (message,) = found["NN505"]
    assert "the inputs range from 0 to" in message and "samples read of" in message


def test_image_classes_are_named_in_imbalance_and_small_class_findings(tmp_path):
    write_images(tmp_path / "pictures", classes=("many",), per_class=40)
    write_images(tmp_path / "more", classes=("few",), per_class=2)
    (tmp_path / "more" / "few").rename(tmp_path / "pictures" / "few")
    found = rules_on(images_config(tmp_path, "{source: images, path: pictures, scale: 255, test_split: 0, "
                                             "validation_split: 0}", units=2))
    assert found["NN506"] == ["the labels are imbalanced: class 'many' has 40 samples, class 'few' only 2 (20x)"]
    assert found["NN509"] == ["1 class has fewer than 5 training samples (class 'few': 2): it is too few to learn"]


def test_a_single_class_folder_is_one_class_in_proper_words(tmp_path):
    write_images(tmp_path / "pictures", classes=("only",))
    found = rules_on(images_config(tmp_path, units=3))
    (message,) = found["NN502"]
    assert message.startswith("the training labels have only 1 class, 'only' (all ")
    assert "classes" not in message.replace("1 class", "")


def test_class_count_of_a_table_against_the_output_units(tmp_path):
    found = rules_on(table_config(tmp_path, ANIMALS, shape="[4]", text=TABLE.format(
        shape="[4]", data="{source: csv, path: t.csv, label: kind}").replace("units: 3", "units: 2")))
    assert found["NN502"] == ["the output has 2 units, but the labels have 3 classes"]


def test_texts_against_an_output_too_wide(tmp_path):
    write_texts(tmp_path / "reviews")
    found = rules_on(texts_config(tmp_path, text=TEXTS.replace("task: binary", "task: multiclass").replace(
        "{type: Dense, units: 1}", "{type: Dense, units: 3}").replace("binary_crossentropy",
                                                                      "sparse_categorical_crossentropy")))
    assert found["NN502"] == ["the output has 3 units, but the labels have only 2 classes: 1 units score "
                              "classes that never occur"]


# --- the example configs and their generated datasets --------------------------------------------


@pytest.mark.parametrize("name, written", [("images.yaml", "samples/digits/9"), ("text.yaml", "samples/reviews/positive"),
                                           ("table.yaml", "samples/customers.csv")])
def test_each_example_config_trains_offline_on_data_it_generates(tmp_path, name, written):
    config = tmp_path / name
    config.write_text((Path(__file__).resolve().parent.parent / "configs" / name).read_text())
    run = nnconf.train(config, ["training.epochs=1"], run_dir=tmp_path / "run")
    assert run.status == "finished" and (tmp_path / written).exists()
    assert json.loads((run.directory / "preprocessing.json").read_text())["classes"]


def test_the_samples_command_writes_a_dataset_and_never_over_one(tmp_path):
    import subprocess
    import sys

    command = [sys.executable, "-m", "nnconf.engine.data.samples"]
    result = subprocess.run([*command, "reviews", str(tmp_path / "reviews"), "--count", "10"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "reviews").rglob("*.txt"))) == 10
    again = subprocess.run([*command, "reviews", str(tmp_path / "reviews")], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert len(list((tmp_path / "reviews").rglob("*.txt"))) == 10


def test_an_interrupted_text_run_resumes_with_its_vocabulary_to_where_an_uninterrupted_one_ends(tmp_path):
    import keras

    from nnconf.engine.train import train

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    write_texts(tmp_path / "reviews")
    config = texts_config(tmp_path)
    whole = nnconf.train(config, run_dir=tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        train(config, run_dir=tmp_path / "cut", callbacks=[StopAfterFirstEpoch()])
    resumed = nnconf.resume(tmp_path / "cut")
    assert resumed.history == whole.history and resumed.metrics == whole.metrics
    assert resumed.model.layers[0].get_vocabulary() == whole.model.layers[0].get_vocabulary()
