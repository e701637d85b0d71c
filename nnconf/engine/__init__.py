"""The Keras side: the only part of nnconf that imports TensorFlow or Keras, always lazily."""

import os

# TensorFlow's C++ start-up chatter (CUDA probes, CPU instruction notes) tells nnconf's users nothing.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
