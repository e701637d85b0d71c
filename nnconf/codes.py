"""Codes of the findings that come before lint rules: reading, schema and graph problems.

Lint rules own the codes NN100 and up; these are the fixed ones below that range.
"""

YAML = "NN001"  # the file is not safe, well-formed, single-document YAML with a mapping at the top
SCHEMA = "NN002"  # a value does not fit the config schema
OVERRIDE = "NN003"  # a --set expression is malformed or points nowhere
GRAPH = "NN004"  # shapes, references or the layer graph do not work out
UNUSED_LAYER = "NN005"  # a functional layer that no output depends on
UNUSED_IGNORE = "NN006"  # a lint ignore that silences nothing
DATA = "NN007"  # the data does not fit the model
