import math

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

from keras_s2s.layers import ScaledDotProductAttention


def test_hand_computed_scores():
    layer = ScaledDotProductAttention()
    q = np.array([[2.0, 0.0, 0.0, 0.0]], "float32")
    v = np.array([[[1.0, 0, 0, 0], [0.0, 1, 0, 0]]], "float32")
    _, weights = layer(q, v, return_attention_scores=True)
    s = [2.0 / math.sqrt(4), 0.0]  # qᵀk / √d_k
    e = [math.exp(x) for x in s]
    np.testing.assert_allclose(weights, [[e[0] / sum(e), e[1] / sum(e)]], atol=1e-6)


def test_equals_keras_dot_product_attention():
    q = np.random.rand(2, 3, 8).astype("float32")
    k = np.random.rand(2, 5, 8).astype("float32")
    v = np.random.rand(2, 5, 6).astype("float32")
    ours = ScaledDotProductAttention()(q, v, key=k)
    ref = keras.ops.dot_product_attention(q[:, :, None], k[:, :, None], v[:, :, None])
    np.testing.assert_allclose(ours, np.asarray(ref)[:, :, 0], atol=1e-5)


def test_causal_mask_equals_keras_dot_product_attention():
    x = np.random.rand(2, 4, 8).astype("float32")
    ours, weights = ScaledDotProductAttention(use_causal_mask=True)(x, x, return_attention_scores=True)
    ref = keras.ops.dot_product_attention(x[:, :, None], x[:, :, None], x[:, :, None], is_causal=True)
    np.testing.assert_allclose(ours, np.asarray(ref)[:, :, 0], atol=1e-5)
    assert np.all(np.asarray(weights)[:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)


def test_multi_head_shapes_and_masking():
    layer = ScaledDotProductAttention(num_heads=2, key_dim=3)
    q = np.random.rand(2, 4, 6).astype("float32")
    v = np.random.rand(2, 5, 7).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    context, weights = layer(q, v, value_mask=mask, return_attention_scores=True)
    assert context.shape == (2, 4, 7)
    assert weights.shape == (2, 2, 4, 5)
    np.testing.assert_allclose(np.sum(weights, -1), 1.0, atol=1e-6)
    assert np.all(np.asarray(weights)[0, :, :, 2:] == 0)
    assert tuple(layer.query_kernel.shape) == (6, 2, 3)
    assert tuple(layer.output_kernel.shape) == (2, 3, 7)
    step_context, step_weights = layer(q[:, 1], v, value_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(step_context, np.asarray(context)[:, 1], atol=1e-5)
    assert step_weights.shape == (2, 2, 5)


def test_multi_head_matches_manual_heads():
    layer = ScaledDotProductAttention(num_heads=2, key_dim=2)
    q = np.random.rand(1, 3, 4).astype("float32")
    v = np.random.rand(1, 5, 4).astype("float32")
    context = layer(q, v)
    wq, wk, wv, wo = (
        np.asarray(w) for w in (layer.query_kernel, layer.key_kernel, layer.value_kernel, layer.output_kernel)
    )
    expected = 0
    for h in range(2):
        qh, kh, vh = q[0] @ wq[:, h], v[0] @ wk[:, h], v[0] @ wv[:, h]
        s = qh @ kh.T / math.sqrt(2)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        expected = expected + (a @ vh) @ wo[h]
    np.testing.assert_allclose(context[0], expected, atol=1e-5)


def test_single_head_with_key_dim_has_rank3_weights():
    layer = ScaledDotProductAttention(key_dim=4)
    _, weights = layer(
        np.zeros((2, 3, 6), "float32"), np.zeros((2, 5, 8), "float32"), return_attention_scores=True
    )
    assert weights.shape == (2, 3, 5)


def test_unprojected_depth_mismatch_is_rejected():
    with pytest.raises(ValueError, match="dq=3, key depth dk=4"):
        ScaledDotProductAttention()(np.zeros((1, 2, 3), "float32"), np.zeros((1, 2, 4), "float32"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_heads": 0}, "num_heads=0"),
        ({"key_dim": -1}, "key_dim=-1"),
        ({"use_causal_mask": "no"}, "use_causal_mask='no'"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ScaledDotProductAttention(**kwargs)


def test_get_config_round_trip():
    layer = ScaledDotProductAttention(num_heads=4, key_dim=8, dropout=0.2, use_causal_mask=True)
    clone = ScaledDotProductAttention.from_config(layer.get_config())
    assert (clone.num_heads, clone.key_dim, clone.dropout, clone.use_causal_mask) == (4, 8, 0.2, True)


Q = np.random.default_rng(1).normal(size=(2, 3, 6)).astype("float32")
V = np.random.default_rng(2).normal(size=(2, 5, 6)).astype("float32")


@pytest.mark.parametrize(
    "kwargs, weights_shape",
    [({}, (2, 3, 5)), ({"num_heads": 2, "key_dim": 4}, (2, 2, 3, 5)), ({"use_causal_mask": True}, (2, 3, 5))],
    ids=["single", "multi_head", "causal"],
)
def test_shared_layer_checks(kwargs, weights_shape, tmp_path):
    run_layer_test(
        lambda **kw: ScaledDotProductAttention(**kwargs, **kw),
        [Q, V],
        call_kwargs={"return_attention_scores": True},
        expected_output_shapes=[(2, 3, 6), weights_shape],
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize("num_heads", [1, 2])
def test_query_positions_place_a_causal_mask_by_absolute_position(num_heads):
    layer = ScaledDotProductAttention(num_heads=num_heads, key_dim=4, use_causal_mask=True)
    x = np.random.rand(2, 5, 8).astype("float32")
    context, weights = layer(x, x, return_attention_scores=True)  # (B, T, d), (B, [H,] T, T)
    # The default positions are 0 … Tq-1: the same numbers as passing them.
    positions = np.tile(np.arange(5, dtype="int32"), (2, 1))  # (B, T)
    same = layer(x, x, query_positions=positions)
    np.testing.assert_allclose(same, context, atol=1e-6)
    keys, values = layer.prepare_memory(x)
    for t in range(5):
        # One query at position t against all 5 keys: keys after t are masked
        # by absolute position, as in the teacher-forced call...
        step, step_weights = layer.attend(
            x[:, t], keys, values, query_positions=np.full((2,), t, "int32"), return_attention_scores=True
        )
        np.testing.assert_allclose(step, np.asarray(context)[:, t], atol=1e-5)
        np.testing.assert_allclose(step_weights, np.asarray(weights)[..., t, :], atol=1e-6)
        assert np.all(np.asarray(step_weights)[..., t + 1 :] == 0)
    # ... where a mask built from the one-step query's length sees key 0 only.
    _, trap = layer.attend(x[:, 3], keys, values, return_attention_scores=True)
    assert np.all(np.asarray(trap)[..., 1:] == 0)


def test_query_positions_differ_per_row():
    layer = ScaledDotProductAttention(use_causal_mask=True)
    q = np.random.rand(2, 8).astype("float32")  # one query per row
    v = np.random.rand(2, 4, 8).astype("float32")
    _, weights = layer(q, v, query_positions=np.array([0, 2], "int32"), return_attention_scores=True)
    w = np.asarray(weights)  # (B, Tv)
    assert w[0, 0] == pytest.approx(1.0) and np.all(w[0, 1:] == 0)
    assert np.all(w[1, :3] > 0) and w[1, 3] == 0
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-6)
