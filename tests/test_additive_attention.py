import math

import numpy as np
import pytest
from layer_testing import run_layer_test

from keras_s2s.layers import AdditiveAttention


def _set(layer, **weights):
    for name, value in weights.items():
        getattr(layer, name).assign(np.asarray(value, "float32"))


def _softmax(xs):
    e = [math.exp(x - max(xs)) for x in xs]
    return [v / sum(e) for v in e]


def test_hand_computed_scores():
    layer = AdditiveAttention(units=2)
    q = np.array([[1.0, 0.0]], "float32")  # (1, 2) single step
    v = np.array([[[0.0, 0.0], [1.0, 1.0]]], "float32")  # (1, 2, 2)
    layer(q, v)
    _set(layer, query_kernel=np.eye(2), key_kernel=np.eye(2), score_vector=[1.0, 1.0])
    context, weights = layer(q, v, return_attention_scores=True)
    s1 = math.tanh(1) + math.tanh(0)  # vᵀ tanh(W_q q + W_k k1)
    s2 = math.tanh(2) + math.tanh(1)
    w = _softmax([s1, s2])
    np.testing.assert_allclose(weights, [w], atol=1e-6)
    np.testing.assert_allclose(context, [[w[1], w[1]]], atol=1e-6)


def test_hand_computed_normalized_scores():
    layer = AdditiveAttention(units=2, normalize=True)
    q = np.array([[[1.0, 0.0]]], "float32")  # (1, 1, 2)
    v = np.array([[[0.0, 0.0], [1.0, 1.0]]], "float32")
    layer(q, v)
    _set(
        layer,
        query_kernel=np.eye(2),
        key_kernel=np.eye(2),
        score_vector=[3.0, 4.0],  # ‖v‖ = 5
        score_gain=2.0,
        score_bias=[0.5, -0.5],
    )
    _, weights = layer(q, v, return_attention_scores=True)
    g_v = [2.0 * 3 / 5, 2.0 * 4 / 5]
    s1 = g_v[0] * math.tanh(1 + 0.5) + g_v[1] * math.tanh(0 - 0.5)
    s2 = g_v[0] * math.tanh(2 + 0.5) + g_v[1] * math.tanh(1 - 0.5)
    np.testing.assert_allclose(weights, [[_softmax([s1, s2])]], atol=1e-6)


def test_normalize_gain_initialized_to_sqrt_inverse_units():
    layer = AdditiveAttention(units=16, normalize=True)
    layer(np.zeros((1, 4), "float32"), np.zeros((1, 3, 4), "float32"))
    assert float(layer.score_gain.numpy()) == pytest.approx(math.sqrt(1 / 16))


def test_weight_shapes_follow_design():
    layer = AdditiveAttention(units=5)
    layer(np.zeros((2, 3, 4), "float32"), np.zeros((2, 6, 7), "float32"))
    assert tuple(layer.query_kernel.shape) == (4, 5)
    assert tuple(layer.key_kernel.shape) == (7, 5)
    assert tuple(layer.score_vector.shape) == (5,)


def test_key_differs_from_value():
    layer = AdditiveAttention(units=3)
    q = np.random.rand(2, 4, 5).astype("float32")
    v = np.random.rand(2, 6, 7).astype("float32")
    k = np.random.rand(2, 6, 3).astype("float32")
    context, weights = layer(q, v, key=k, return_attention_scores=True)
    assert context.shape == (2, 4, 7)
    assert weights.shape == (2, 4, 6)
    np.testing.assert_allclose(np.einsum("bqt,btd->bqd", weights, v), context, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, "units=0"),
        ({"units": "8"}, "units='8'"),
        ({"units": 4, "normalize": "yes"}, "normalize='yes'"),
        ({"units": 4, "dropout": 1.5}, "dropout=1.5"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdditiveAttention(**kwargs)


def test_get_config_round_trip():
    layer = AdditiveAttention(units=7, normalize=True, dropout=0.25, name="att")
    clone = AdditiveAttention.from_config(layer.get_config())
    assert (clone.units, clone.normalize, clone.dropout, clone.name) == (7, True, 0.25, "att")


Q = np.random.default_rng(1).normal(size=(2, 3, 6)).astype("float32")
V = np.random.default_rng(2).normal(size=(2, 5, 4)).astype("float32")


@pytest.mark.parametrize("normalize", [False, True])
def test_shared_layer_checks(normalize, tmp_path):
    run_layer_test(
        lambda **kw: AdditiveAttention(units=7, normalize=normalize, **kw),
        [Q, V],
        call_kwargs={"return_attention_scores": True},
        expected_output_shapes=[(2, 3, 4), (2, 3, 5)],
        tmp_path=tmp_path,
    )
