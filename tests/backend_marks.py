"""Marks for the tests that `make test` runs on every Keras backend.

A module marked `pytest.mark.backends` runs under TensorFlow, JAX and
PyTorch (`KERAS_BACKEND=jax pytest -m backends`); its tests that need
something only one backend has are skipped elsewhere, with the reason.
"""

import keras
import pytest

BACKEND = keras.backend.backend()

#: A test of a TensorFlow graph: `tf.function`, SavedModel, LiteRT, `tf.TensorSpec`.
tensorflow_only = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="a TensorFlow graph (tf.function / SavedModel / LiteRT): TensorFlow only"
)


def not_on(backend, reason):
    """Skips the test on `backend`, saying why."""
    return pytest.mark.skipif(BACKEND == backend, reason=f"not on {backend}: {reason}")
