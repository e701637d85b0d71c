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
