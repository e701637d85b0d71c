"""The Keras side: the only part of nnconf that imports TensorFlow or Keras, always lazily."""
