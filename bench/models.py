"""The benchmark's models written by hand in Keras: the plain code each config in bench/configs replaces.

Each function does what a Keras user would write: build the model, then ``model.compile(...)`` with
Keras's own defaults (no ``jit_compile`` or ``steps_per_execution``).
"""

from __future__ import annotations

import keras

SEEDS = {"mnist_mlp": 42, "small_cnn": 5, "wide_mlp": 7, "deep60": 1}
BATCH_SIZES = {"mnist_mlp": 128, "small_cnn": 128, "wide_mlp": 512}


def mnist_mlp() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ], name="bench-mnist-mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def small_cnn() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ], name="bench-small-cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def wide_mlp() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(2048, activation="relu"),
        keras.layers.Dense(2048, activation="relu"),
        keras.layers.Dense(10),
    ], name="bench-wide-mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def deep60() -> keras.Model:
    layers: list = [keras.Input(shape=(64,))]
    for _ in range(20):
        layers += [keras.layers.Dense(64, activation="relu"), keras.layers.BatchNormalization(),
                   keras.layers.Dropout(0.1)]
    layers[-1] = keras.layers.Dense(10)  # the 60th layer is the classifier head
    model = keras.Sequential(layers, name="bench-deep60")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


MODELS = {"mnist_mlp": mnist_mlp, "small_cnn": small_cnn, "wide_mlp": wide_mlp, "deep60": deep60}
