"""The configs the diagnostics' examples are made of: small models on scikit-learn's bundled data
(no network), trained in seconds. Each diagnostic shows one of them with a fault planted, and the
same config fixed; the tests train both."""

_REGRESSION = """
task: regression
seed: 1
model:
  input_shape: [10]
  layers:
    - {{type: Dense, units: 32, activation: relu}}
    - {{type: Dense, units: 32, activation: relu}}
    - {{type: Dense, units: 1}}
loss: mse
optimizer: {optimizer}
data: {{source: sklearn.diabetes, standardize: true, max_samples: 300}}
training: {{epochs: 3, tensorboard: false}}
"""

_DIGITS = """
task: multiclass
seed: 1
model:
  input_shape: [64]
  layers:
{layers}
loss: {loss}
{optimizer}data: {{source: sklearn.digits, {scale}max_samples: 300}}
training: {{epochs: {epochs}, tensorboard: false}}
"""

HE_RELU = "{type: Dense, units: 32, activation: relu, kernel_initializer: he_normal}"
LOGITS = "{name: sparse_categorical_crossentropy, from_logits: true}"


def regression(optimizer: str) -> str:
    """A regression MLP on the diabetes data, whose targets (25 to 346) are left unscaled."""
    return _REGRESSION.format(optimizer=optimizer)


def digits(hidden: list[str], *, optimizer: str | None = None, epochs: int = 3, scaled: bool = True) -> str:
    """A classifier of the 8x8 digits: the hidden layers given, then ten logits (or, without an
    optimizer given, ten softmax units and Keras's default Adam)."""
    output = "{type: Dense, units: 10}" if optimizer else "{type: Dense, units: 10, activation: softmax}"
    layers = "".join(f"    - {layer}\n" for layer in [*hidden, output]).rstrip("\n")
    return _DIGITS.format(layers=layers, loss=LOGITS if optimizer else "sparse_categorical_crossentropy",
                          optimizer=f"optimizer: {optimizer}\n" if optimizer else "",
                          scale="scale: 16, " if scaled else "", epochs=epochs)
