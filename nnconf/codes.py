"""Codes of the findings that come before lint rules: reading, schema and graph problems.

Lint rules own the codes NN100 to NN599; these are the fixed ones below that range. NN600 and up
belong to the training diagnostics (nnconf.analysis.diagnostics), found while a run trains.
"""

YAML = "NN001"
SCHEMA = "NN002"
OVERRIDE = "NN003"
GRAPH = "NN004"
UNUSED_LAYER = "NN005"
UNUSED_IGNORE = "NN006"
DATA = "NN007"
MEMORY = "NN008"
WEIGHTS = "NN009"

DESCRIPTIONS = {
    YAML: ("yaml", "The file is not safe, well-formed, single-document YAML with a mapping at the top."),
    SCHEMA: ("schema", "A value does not fit the config schema: an unknown key, a wrong type, a value out of range."),
    OVERRIDE: ("override", "A --set expression is malformed or points nowhere in the config."),
    GRAPH: ("graph", "Shapes, references or the layer graph do not work out (found by TensorFlow-free inference)."),
    UNUSED_LAYER: ("unused-layer", "A functional layer or input that no model output depends on."),
    UNUSED_IGNORE: ("unused-ignore", "An entry of lint.ignore that silences nothing in its config."),
    DATA: ("data", "The data does not fit the model."),
    MEMORY: ("too-large", "A weight, or one sample's output of a layer, has more elements than one TensorFlow "
                          "tensor can hold safely (2**31 - 1)."),
    WEIGHTS: ("weights", "A backbone's pretrained weights cannot be found: a file that does not exist, or "
                         "ImageNet weights Keras has not downloaded and cannot download now."),
}
SILENCEABLE = {UNUSED_LAYER, UNUSED_IGNORE, DATA}
