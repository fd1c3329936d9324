"""Properties every attention layer shares through `BaseAttention`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import (
    AdditiveAttention,
    BaseAttention,
    MultiplicativeAttention,
    ScaledDotProductAttention,
)

LAYERS = {
    "additive": lambda **kw: AdditiveAttention(units=8, **kw),
    "additive_normed": lambda **kw: AdditiveAttention(units=8, normalize=True, **kw),
    "dot": lambda **kw: MultiplicativeAttention("dot", **kw),
    "general_scaled": lambda **kw: MultiplicativeAttention("general", scale=True, **kw),
    "scaled_dot": lambda **kw: ScaledDotProductAttention(**kw),
    "multi_head": lambda **kw: ScaledDotProductAttention(num_heads=2, key_dim=4, **kw),
}
KINDS = pytest.mark.parametrize("kind", sorted(LAYERS))

rng = np.random.default_rng(0)
Q = rng.normal(size=(3, 4, 6)).astype("float32")
V = rng.normal(size=(3, 5, 6)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)


@KINDS
def test_rows_sum_to_one_and_masked_weights_are_exactly_zero(kind):
    context, weights = LAYERS[kind]()(Q, V, value_mask=MASK, return_attention_scores=True)
    w = np.asarray(weights)
    sums = w.sum(-1)
    np.testing.assert_allclose(sums[:2], 1.0, atol=1e-5)
    assert np.all(w[0, ..., 3:] == 0.0)
    # Fully masked row: zero weights, zero context, never NaN.
    assert np.all(w[2] == 0.0) and np.all(np.asarray(context)[2] == 0.0)
    assert not np.isnan(np.asarray(context)).any()


@KINDS
def test_query_mask_zeroes_masked_query_rows(kind):
    layer = LAYERS[kind]()
    query_mask = np.array([[1, 1, 0, 0]] * 3, bool)
    context, weights = layer(Q, V, query_mask=query_mask, return_attention_scores=True)
    assert np.all(np.asarray(context)[:, 2:] == 0.0)
    assert np.all(np.asarray(weights)[..., 2:, :] == 0.0)
    full = layer(Q, V)
    np.testing.assert_allclose(np.asarray(context)[:, :2], np.asarray(full)[:, :2], atol=1e-6)


@KINDS
def test_permuting_value_positions_permutes_weights(kind):
    layer = LAYERS[kind]()
    perm = np.array([3, 0, 4, 1, 2])
    context, weights = layer(Q, V, return_attention_scores=True)
    p_context, p_weights = layer(Q, V[:, perm], return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(weights)[..., perm], p_weights, atol=1e-6)
    np.testing.assert_allclose(context, p_context, atol=1e-5)


@KINDS
def test_single_step_query_equals_sequence_query(kind):
    layer = LAYERS[kind]()
    context, weights = layer(Q, V, value_mask=MASK, return_attention_scores=True)
    step_context, step_weights = layer(Q[:, 2], V, value_mask=MASK, return_attention_scores=True)
    np.testing.assert_allclose(step_context, np.asarray(context)[:, 2], atol=1e-5)
    np.testing.assert_allclose(step_weights, np.asarray(weights)[..., 2, :], atol=1e-6)


@KINDS
def test_prepare_memory_once_then_attend_equals_call(kind):
    layer = LAYERS[kind]()
    expected = layer(Q, V, value_mask=MASK)
    keys, values = layer.prepare_memory(V)
    for t in range(Q.shape[1]):
        step = layer.attend(Q[:, t], keys, values, value_mask=MASK)
        np.testing.assert_allclose(step, np.asarray(expected)[:, t], atol=1e-5)


@KINDS
def test_a_memory_row_serves_its_sentences_rows(kind):
    """A rank-2 query of N = M·K rows attends M memory rows: row n → memory row n // K.

    What beam search's K hypotheses do with one memory row per sentence; the
    result is the single-step attention over the memory tiled to N rows.
    """
    layer = LAYERS[kind]()
    layer(Q, V)  # builds the weights
    keys, values = layer.prepare_memory(V)  # M = 3 rows
    queries = Q.reshape(12, 6)  # N = 12: K = 4 rows per memory row
    context, weights = layer.attend(queries, keys, values, value_mask=MASK, return_attention_scores=True)
    tiled = [np.repeat(keras.ops.convert_to_numpy(x), 4, axis=0) for x in (keys, values, MASK)]
    expected = layer.attend(queries, tiled[0], tiled[1], value_mask=tiled[2], return_attention_scores=True)
    context, weights, *expected = (keras.ops.convert_to_numpy(x) for x in (context, weights, *expected))
    np.testing.assert_allclose(context, expected[0], atol=1e-5)
    np.testing.assert_allclose(weights, expected[1], atol=1e-6)
    assert weights.shape == expected[1].shape  # (N, [H,] S)


@KINDS
def test_gradients_reach_every_weight(kind):
    layer = LAYERS[kind]()
    layer(Q, V)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(Q, V, value_mask=MASK)))
    grads = tape.gradient(loss, layer.trainable_weights)
    assert len(grads) == len(layer.trainable_weights)
    for w, g in zip(layer.trainable_weights, grads):
        assert g is not None and np.any(np.asarray(g) != 0), w.name


@KINDS
def test_implicit_masks_from_embedding_in_functional_api(kind):
    query_ids = keras.Input((None,), dtype="int32")
    value_ids = keras.Input((None,), dtype="int32")
    q = keras.layers.Embedding(10, 6, mask_zero=True)(query_ids)
    v = keras.layers.Embedding(10, 6, mask_zero=True)(value_ids)
    context, weights = LAYERS[kind]()(q, v, return_attention_scores=True)
    model = keras.Model([query_ids, value_ids], [context, weights])
    qi = np.array([[1, 2, 0], [3, 4, 5]], "int32")
    vi = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0]], "int32")
    context, weights = model.predict([qi, vi], verbose=0)
    assert np.all(weights[0, ..., 3:] == 0.0) and np.all(weights[1, ..., 1:] == 0.0)
    assert np.all(context[0, 2] == 0.0)  # padded query position
    np.testing.assert_allclose(weights[1, ..., 0], 1.0, atol=1e-6)


@KINDS
def test_dropout_applies_in_training_only(kind):
    layer = LAYERS[kind](dropout=0.5)
    inference = [np.asarray(layer(Q, V, training=False)) for _ in range(2)]
    np.testing.assert_array_equal(inference[0], inference[1])
    training = np.asarray(layer(Q, V, training=True))
    assert not np.allclose(training, inference[0])


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@KINDS
def test_masking_holds_under_mixed_precision(kind, policy):
    # Closeness to float32, dtypes and the .keras round trip are checked by
    # `run_layer_test` in each layer's own test file.
    layer = LAYERS[kind](dtype=policy)
    context, weights = layer(Q, V, value_mask=MASK, return_attention_scores=True)
    weights = np.asarray(weights, "float32")
    assert np.all(weights[0, ..., 3:] == 0) and np.all(weights[2] == 0)
    np.testing.assert_allclose(weights[:2].sum(-1), 1.0, atol=1e-2)
    assert not np.isnan(np.asarray(context, "float32")).any()


def test_wrong_ranks_are_rejected():
    layer = AdditiveAttention(units=4)
    with pytest.raises(ValueError, match=r"value.shape=\(2, 5\)"):
        layer(np.zeros((2, 3), "float32"), np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"query.shape=\(2, 3, 4, 5\)"):
        layer(np.zeros((2, 3, 4, 5), "float32"), np.zeros((2, 5, 5), "float32"))


def test_base_layer_has_no_score_function():
    with pytest.raises(NotImplementedError):
        BaseAttention()(Q, V)


@pytest.mark.parametrize("kind", sorted(k for k in LAYERS if k not in ("scaled_dot", "multi_head")))
def test_query_positions_are_refused_without_a_causal_mask(kind):
    with pytest.raises(ValueError, match=r"has no causal mask.*query_positions.shape=\(3, 4\)"):
        LAYERS[kind]()(Q, V, query_positions=np.zeros((3, 4), "int32"))
