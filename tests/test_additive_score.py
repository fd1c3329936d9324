"""layers/additive_score.py: the hand-written gradient against automatic differentiation.

Marked `backends`: the custom gradient (`keras.ops.custom_gradient`) runs on
TensorFlow, JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_s2s.layers import AdditiveAttention
from keras_s2s.layers.additive_score import additive_score

pytestmark = pytest.mark.backends


def _plain(query, keys, vector):
    hidden = ops.tanh(ops.expand_dims(query, 2) + ops.expand_dims(keys, 1))  # (B, Tq, Tv, u)
    return ops.sum(hidden * vector, axis=-1)


def _value_and_gradients(fn, arrays, weights):
    """`sum(fn(*arrays) * weights)` and its gradients w.r.t. every array."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            loss = tf.reduce_sum(fn(*tensors) * weights)
        return float(loss), [g.numpy() for g in tape.gradient(loss, tensors)]
    if backend == "jax":
        import jax

        def loss(*xs):
            return (fn(*xs) * weights).sum()

        value, grads = jax.value_and_grad(loss, argnums=tuple(range(len(arrays))))(*arrays)
        return float(value), [np.asarray(g) for g in grads]
    import torch

    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = (fn(*tensors) * torch.tensor(weights)).sum()
    loss.backward()
    return float(loss), [t.grad.numpy() for t in tensors]


def _arrays(seed=0, batch=2, tq=3, tv=4, units=5):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(batch, tq, units)).astype("float32")
    keys = rng.normal(size=(batch, tv, units)).astype("float32")
    vector = rng.normal(size=(units,)).astype("float32")
    weights = rng.normal(size=(batch, tq, tv)).astype("float32")
    return [query, keys, vector], weights


@pytest.mark.parametrize(
    "tq, custom_gradient",
    [(3, True), (1, True), (3, False)],
    ids=["hand_written_gradient", "one_query", "decoding_step_plain_ops"],
)
def test_scores_and_gradients_equal_automatic_differentiation(tq, custom_gradient):
    arrays, weights = _arrays(tq=tq)

    def score(*xs):
        return additive_score(*xs, custom_gradient=custom_gradient)

    value, grads = _value_and_gradients(score, arrays, weights)
    expected_value, expected_grads = _value_and_gradients(_plain, arrays, weights)
    assert value == pytest.approx(expected_value, rel=1e-6)
    for got, expected, name in zip(grads, expected_grads, ["query", "keys", "vector"]):
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_gradient_by_hand_for_one_query_and_one_key():
    # B = Tq = Tv = 1, u = 2: score = v·tanh(q + k); d/dq = d/dk = v ⊙ (1 - tanh²), d/dv = tanh.
    query = np.array([[[0.5, -1.0]]], "float32")
    keys = np.array([[[0.25, 0.5]]], "float32")
    vector = np.array([2.0, -3.0], "float32")
    weights = np.ones((1, 1, 1), "float32")
    value, (d_query, d_keys, d_vector) = _value_and_gradients(additive_score, [query, keys, vector], weights)
    hidden = np.tanh([0.75, -0.5])
    assert value == pytest.approx(2.0 * hidden[0] - 3.0 * hidden[1], rel=1e-6)
    expected = np.array([2.0, -3.0]) * (1.0 - hidden**2)
    np.testing.assert_allclose(d_query[0, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(d_keys[0, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(d_vector, hidden, rtol=1e-6)


@pytest.mark.parametrize("normalize", [False, True])
def test_layer_scores_are_the_formula(normalize):
    layer = AdditiveAttention(5, normalize=normalize)
    arrays, _ = _arrays(seed=1)
    query, keys = arrays[0], arrays[1]
    layer.build(query.shape, keys.shape)
    projected = keras.ops.convert_to_numpy(layer.project_keys(keys))  # (B, Tv, u)
    got = keras.ops.convert_to_numpy(layer.score(query, projected))
    q = query @ keras.ops.convert_to_numpy(layer.query_kernel)  # (B, Tq, u)
    v = keras.ops.convert_to_numpy(layer.score_vector)
    if normalize:
        q = q + keras.ops.convert_to_numpy(layer.score_bias)
        v = float(keras.ops.convert_to_numpy(layer.score_gain)) * v / np.linalg.norm(v)
    expected = (np.tanh(q[:, :, None, :] + projected[:, None, :, :]) * v).sum(-1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
