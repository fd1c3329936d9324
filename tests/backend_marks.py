"""Marks for the tests that `make test` runs on every Keras backend.

A test marked `pytest.mark.backends` runs under TensorFlow, JAX and PyTorch
(`KERAS_BACKEND=jax pytest -m backends`); a test of a TensorFlow graph is
left unmarked, or marked `tensorflow_only` so that it says why it is skipped
when its module runs on another backend.
"""

import keras
import pytest

BACKEND = keras.backend.backend()

#: A test of a TensorFlow graph: `tf.function`, SavedModel, LiteRT, `tf.TensorSpec`.
tensorflow_only = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="a TensorFlow graph (tf.function / SavedModel / LiteRT): TensorFlow only"
)
