"""Training on arrays made in Python: saved as an .npz file that the config's data section names.

Run: python examples/train_on_arrays.py  (writes arrays.npz and runs/ in the current folder)
"""

import logging

import numpy as np

import nnconf
from nnconf.layers import Dense, Dropout

logging.basicConfig(level=logging.INFO, format="%(message)s")  # nnconf's findings and progress notes

# Two noisy classes of points in 8 dimensions.
rng = np.random.default_rng(0)
labels = rng.integers(0, 2, size=400)
points = rng.normal(size=(400, 8)) + labels[:, None] * 1.5
np.savez("arrays.npz", x=points.astype("float32"), y=labels)

config = nnconf.Config(
    name="arrays-mlp",
    task="binary",
    seed=0,
    model=nnconf.Sequential(input_shape=[8], layers=[
        Dense(16, activation="relu"), Dropout(0.1), Dense(1, activation="sigmoid")]),
    loss="binary_crossentropy",
    optimizer=nnconf.optimizers.Adam(0.01),
    metrics=["BinaryAccuracy"],
    data={"source": "npz", "path": "arrays.npz", "validation_split": 0.2, "test_split": 0.2, "standardize": True},
    training={"epochs": 5, "batch_size": 32},
)
run = nnconf.train(config, verbose=2)
print("test metrics:", run.metrics)
print("findings:", [f.rule for f in run.findings] or "none")
print("predictions:", nnconf.predict(run.directory, points[:3])["y"].ravel())
