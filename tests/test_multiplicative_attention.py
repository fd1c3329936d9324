import math

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

from keras_s2s.layers import MultiplicativeAttention


def test_hand_computed_dot_scores():
    layer = MultiplicativeAttention(score="dot")
    q = np.array([[1.0, 2.0]], "float32")
    v = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], "float32")
    context, weights = layer(q, v, return_attention_scores=True)
    e = [math.exp(1), math.exp(2), math.exp(3)]  # qᵀk = 1, 2, 3
    w = [x / sum(e) for x in e]
    np.testing.assert_allclose(weights, [w], atol=1e-6)
    np.testing.assert_allclose(context, [[w[0] + w[2], w[1] + w[2]]], atol=1e-6)


def test_hand_computed_general_and_scale():
    layer = MultiplicativeAttention(score="general", scale=True)
    q = np.array([[[1.0, 1.0]]], "float32")  # dq = 2
    v = np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]], "float32")  # dk = 3
    layer(q, v)
    layer.kernel.assign(np.array([[1, 0, 2], [0, 1, 0]], "float32"))  # (dq, dk)
    layer.score_gain.assign(0.5)
    _, weights = layer(q, v, return_attention_scores=True)
    s = [0.5 * 1.0, 0.5 * 2.0]  # g · qᵀ W k
    e = [math.exp(x) for x in s]
    np.testing.assert_allclose(weights, [[[e[0] / sum(e), e[1] / sum(e)]]], atol=1e-6)


def test_dot_equals_keras_attention():
    q = np.random.rand(2, 3, 4).astype("float32")
    v = np.random.rand(2, 5, 4).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    ours, ours_w = MultiplicativeAttention("dot")(q, v, value_mask=mask, return_attention_scores=True)
    ref, ref_w = keras.layers.Attention()([q, v], mask=[None, mask], return_attention_scores=True)
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    np.testing.assert_allclose(ours_w, ref_w, atol=1e-6)


def test_dot_with_mismatched_depths_is_rejected():
    with pytest.raises(ValueError, match="dq=3, key depth dk=4"):
        MultiplicativeAttention("dot")(np.zeros((1, 3), "float32"), np.zeros((1, 2, 4), "float32"))


@pytest.mark.parametrize(
    "kwargs, match",
    [({"score": "concat"}, "score='concat'"), ({"scale": 1}, "scale=1"), ({"dropout": -0.1}, "dropout=-0.1")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiplicativeAttention(**kwargs)


def test_get_config_round_trip():
    layer = MultiplicativeAttention(score="dot", scale=True, dropout=0.1)
    clone = MultiplicativeAttention.from_config(layer.get_config())
    assert (clone.score_name, clone.scale, clone.dropout) == ("dot", True, 0.1)


Q = np.random.default_rng(1).normal(size=(2, 3, 6)).astype("float32")
V = np.random.default_rng(2).normal(size=(2, 5, 6)).astype("float32")


@pytest.mark.parametrize("score, scale", [("dot", False), ("general", True)])
def test_shared_layer_checks(score, scale, tmp_path):
    run_layer_test(
        lambda **kw: MultiplicativeAttention(score, scale=scale, **kw),
        [Q, V],
        call_kwargs={"return_attention_scores": True},
        expected_output_shapes=[(2, 3, 6), (2, 3, 5)],
        tmp_path=tmp_path,
    )
