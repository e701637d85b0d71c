"""A config turned into a Keras model, changed in Keras, and imported back as a config.

Run: python examples/keras_round_trip.py
"""

import keras

import nnconf
from nnconf.layers import Conv2D, Dense, Flatten, MaxPooling2D

config = nnconf.Config(
    name="small-cnn",
    task="multiclass",
    model=nnconf.Sequential(input_shape=(28, 28, 1), layers=[
        Conv2D(16, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(10, activation="softmax")]),
    loss="SparseCategoricalCrossentropy",  # Keras's spelling; nnconf keeps it as sparse_categorical_crossentropy
    optimizer="Adam",
    metrics=["SparseCategoricalAccuracy"],
)
model = nnconf.build(config)  # compiled, with the config's loss, optimizer and metrics

# In Keras: a second convolution block before the classifier, the rest of the model as it was.
layers = [keras.Input((28, 28, 1)), keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
          keras.layers.Conv2D(32, 3, activation="relu", name="conv2d_extra"), keras.layers.Flatten(),
          keras.layers.Dense(10, activation="softmax")]
changed = keras.Sequential(layers, name="small_cnn_2")
changed.compile(loss=model.loss, optimizer=keras.optimizers.Adam(1e-3), metrics=["sparse_categorical_accuracy"])

imported = nnconf.from_keras(changed)
print(nnconf.summary(imported))
print("lint:", ", ".join(f.rule for f in nnconf.lint(imported).findings) or "clean")
print("layers:", [layer.type for layer in imported.model.layers], "loss:", imported.loss.name)

# A model that was never compiled does not say its task or loss: from_keras asks for them.
plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
try:
    nnconf.from_keras(plain)
except Exception as error:  # UnsupportedModel, naming what it could not know
    print(f"{type(error).__name__}: {error}")
print(nnconf.from_keras(plain, task="regression", loss="mse").loss.name)
