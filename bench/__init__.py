"""nnconf against the plain Keras it replaces: ``python -m bench`` measures both and writes BENCHMARKS.md."""
