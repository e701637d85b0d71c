"""Models built in a loop over depths and widths, each linted and summarised without TensorFlow.

Run: python examples/build_in_a_loop.py
"""

import nnconf
from nnconf.layers import Dense, Dropout, Flatten
from nnconf.losses import SparseCategoricalCrossentropy
from nnconf.optimizers import Adam


def mlp(depth: int, width: int) -> nnconf.Config:
    hidden = []
    for _ in range(depth):
        hidden += [Dense(width, activation="relu"), Dropout(0.2)]
    return nnconf.Config(
        name=f"mlp-{depth}x{width}",
        task="multiclass",
        model=nnconf.Sequential(input_shape=(28, 28), layers=[Flatten(), *hidden, Dense(10)]),
        loss=SparseCategoricalCrossentropy(from_logits=True),
        optimizer=Adam(1e-3),
        metrics=["accuracy"],
    )


for depth in (1, 2, 3):
    for width in (64, 256):
        config = mlp(depth, width)
        report = nnconf.lint(config)
        summary = nnconf.summary(config)
        problems = ", ".join(f.rule for f in report.findings) or "clean"
        print(f"{config.name:>10}: {summary.total_params:>9,} parameters, lint: {problems}")

# A change is a checked copy; a mistake is a ConfigError with the findings `nnconf lint` gives.
deep = mlp(3, 256)
print(nnconf.summary(deep.replace("model.layers[1].units", 512)))
try:
    deep.replace("model.layers[1].units", 0)
except nnconf.ConfigError as error:
    print(error)
