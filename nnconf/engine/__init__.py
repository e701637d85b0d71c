"""The Keras side: the only part of nnconf that imports TensorFlow or Keras, always lazily."""

import os

from nnconf.engine import startup

# TensorFlow's C++ start-up chatter (CUDA probes, CPU instruction notes) tells nnconf's users nothing;
# the first import of TensorFlow, wherever it happens, also hides what it prints before reading this.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
startup.install()
