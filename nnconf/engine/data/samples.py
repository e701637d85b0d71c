"""Small example datasets written on demand, so that every kind of source has a config that trains offline.

``digits``: scikit-learn's bundled handwritten digits as 8x8 grayscale PNG files, one folder per class
(the layout ``data.source: images`` reads). ``reviews``: short generated product reviews as ``.txt``
files in ``negative/`` and ``positive/`` (the layout ``data.source: text`` reads). ``table``: a CSV
table of generated customers with numbers, categories written as words, and a yes/no label (one file).

Each is written into a temporary folder beside its destination and renamed into place, so a reader
never sees half a dataset and two runs generating it at once both end with one whole copy.

    python -m nnconf.engine.data.samples digits DIR [--count N]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

DIGIT_LEVELS = 16  # scikit-learn's digits hold values 0 to 16


def write_digits(folder: Path, count: int | None = None, seed: int = 0, size: int = 8) -> None:
    """scikit-learn's 1,797 digits as PNG files ``folder/<digit>/<number>.png``; with ``count``, that many
    images, the digits repeated with seeded noise past the first 1,797; with ``size``, enlarged to
    ``size`` x ``size`` pixels (bilinear)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = np.rint(digits.images * (255 / DIGIT_LEVELS)).astype(np.uint8)
    total = len(pixels) if count is None else count
    rng = np.random.default_rng(seed)
    for label in range(10):
        (folder / str(label)).mkdir(parents=True)
    for index in range(total):
        original = index % len(pixels)
        image = pixels[original]
        if index >= len(pixels):  # a repeat: the same digit, its pixels moved by up to 24 levels
            noise = rng.integers(-24, 25, size=image.shape)
            image = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        picture = Image.fromarray(image)
        if size != image.shape[0]:
            picture = picture.resize((size, size), Image.Resampling.BILINEAR)
        picture.save(folder / str(digits.target[original]) / f"{index:06d}.png")


_OPINIONS = {
    "positive": ["great", "excellent", "wonderful", "reliable", "sturdy", "delightful", "superb", "handy", "solid",
                 "brilliant", "comfortable", "fast"],
    "negative": ["awful", "broken", "flimsy", "terrible", "useless", "disappointing", "slow", "noisy", "cheap",
                 "faulty", "clumsy", "poor"],
}
_VERDICTS = {"positive": ["I would buy it again.", "Highly recommended.", "Worth every penny.", "Five stars."],
             "negative": ["I sent it back.", "Avoid it.", "A waste of money.", "One star."]}
_THINGS = ["kettle", "lamp", "backpack", "keyboard", "blender", "chair", "tent", "charger", "jacket", "speaker"]
_FILLER = ["The", "This", "My new", "Our"]


def write_reviews(folder: Path, count: int = 400, seed: int = 0) -> None:
    """``count`` short generated reviews, half positive and half negative, as ``folder/<class>/<number>.txt``.
    Their words mostly, but not always, agree with their class, so that not every review can be told."""
    rng = np.random.default_rng(seed)
    for label in _OPINIONS:
        (folder / label).mkdir(parents=True)
    for index in range(count):
        label = ("negative", "positive")[index % 2]
        other = ("positive", "negative")[index % 2]

        def side(agrees: float) -> str:  # the review's own class, or (sometimes) the other one's words
            return label if rng.random() < agrees else other

        words = [rng.choice(_OPINIONS[side(0.8)]), rng.choice(_OPINIONS[side(0.65)])]
        text = (f"{rng.choice(_FILLER)} {rng.choice(_THINGS)} is {words[0]} and {words[1]}. "
                f"{rng.choice(_VERDICTS[side(0.75)])}\n")
        (folder / label / f"{index:05d}.txt").write_text(text, encoding="utf-8")


_PLANS = ("basic", "plus", "pro")
_REGIONS = ("north", "south", "east", "west")


def write_table(path: Path, count: int = 600, seed: int = 0) -> None:
    """A CSV file of ``count`` generated customers (age, monthly fee, support calls, plan, region) and
    whether they cancelled (``churned``: yes or no), which depends on all but the region."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["age", "monthly_fee", "support_calls", "plan", "region", "churned"])
        for _ in range(count):
            age, calls = int(rng.integers(18, 80)), int(rng.poisson(2))
            plan, region = str(rng.choice(_PLANS)), str(rng.choice(_REGIONS))
            fee = round(float(rng.normal({"basic": 10, "plus": 25, "pro": 60}[plan], 4)), 2)
            score = 0.9 * calls - 0.04 * (age - 45) + {"basic": 0.8, "plus": 0.0, "pro": -1.0}[plan] + 0.02 * fee
            churned = bool(score + rng.normal(0, 0.7) > 2.0)
            writer.writerow([age, fee, calls, plan, region, "yes" if churned else "no"])


GENERATORS: dict[str, Callable[..., None]] = {"digits": write_digits, "reviews": write_reviews, "table": write_table}


def generate(name: str, folder: str | Path, **options) -> Path:
    """Writes the sample dataset ``name`` as ``folder`` (a folder, or for ``table`` a file; it must not
    exist yet), atomically."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        GENERATORS[name](staging / "data", **options)
        try:
            os.rename(staging / "data", folder)
        except OSError:
            if not folder.is_dir():  # not a race lost to another writer of the same dataset
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nnconf.engine.data.samples",
                                     description="Write one of nnconf's offline example datasets.")
    parser.add_argument("name", choices=sorted(GENERATORS))
    parser.add_argument("folder", help="where to write it (must not exist yet; for table, a .csv file)")
    parser.add_argument("--count", type=int, help="how many samples")
    parser.add_argument("--size", type=int, help="digits only: the images' width and height in pixels (8)")
    arguments = parser.parse_args(argv)
    if os.path.lexists(arguments.folder):
        parser.error(f"{arguments.folder} exists already; give a new folder")
    for option in ("count", "size"):
        if getattr(arguments, option) is not None and getattr(arguments, option) < 1:
            parser.error(f"--{option} must be at least 1")
    if arguments.size is not None and arguments.name != "digits":
        parser.error("--size is for digits only")
    options = {option: getattr(arguments, option) for option in ("count", "size") if getattr(arguments, option)}
    print(generate(arguments.name, arguments.folder, **options))


if __name__ == "__main__":
    main()
