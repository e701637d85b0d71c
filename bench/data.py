"""MNIST-shaped data, generated (the benchmark needs no network): 28x28 uint8 images and labels 0..9.

The labels follow from the images (the arg-max of a fixed random projection of the pixels), so the
models have something to learn and both sides' final accuracies can be compared as a sanity check.
Training throughput does not depend on what the pixels are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Training samples per data set: with validation_split 0.1 both nnconf (round) and Keras (floor)
# keep 9/10 of them (the MLP's 36,864 training samples are 288 batches of 128).
SIZES = {"mnist": (40_960, 5_000), "cnn": (8_960, 2_000), "wide": (10_240, 1_000)}


def make(directory: Path, name: str) -> Path:
    train, test = SIZES[name]
    rng = np.random.default_rng(2024)
    x = rng.integers(0, 256, size=(train + test, 28, 28), dtype=np.uint8)
    projection = rng.normal(size=(28 * 28, 10)).astype(np.float32)
    y = np.argmax((x.reshape(len(x), -1).astype(np.float32) / 255 - 0.5) @ projection, axis=1).astype(np.uint8)
    path = directory / f"{name}.npz"
    np.savez(path, x_train=x[:train], y_train=y[:train], x_test=x[train:], y_test=y[train:])
    return path
