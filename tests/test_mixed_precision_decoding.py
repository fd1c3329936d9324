"""Decoding follows the dtype policy `fit` trained under (mixed_float16 / mixed_bfloat16)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_s2s.models import Seq2Seq


@pytest.fixture
def policy(request):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("attention", ["additive", "multiplicative", "scaled_dot", None])
def test_greedy_decoding_equals_the_teacher_forced_argmax(policy, attention):
    keras.utils.set_random_seed(0)
    model = Seq2Seq(20, 20, embedding_dim=8, units=16, attention=attention)
    source = np.random.RandomState(0).randint(4, 20, size=(8, 7)).astype("int32")  # (B, S)
    source[:, 0], source[:, -1] = 2, 3
    out = model.generate(source, "greedy", max_length=6)
    ids = out["ids"].numpy()  # (B, L)
    # Feeding [START] + the decoded ids through the training graph (`call`,
    # as `fit` runs it) must pick the same tokens with the same log-probs.
    target_in = np.concatenate([np.full((8, 1), 2, "int32"), ids[:, :-1]], axis=1)  # (B, L)
    logits = model({"source_ids": source, "target_ids": target_in})  # (B, L, V)
    assert model.decoder.compute_dtype == policy.split("_")[-1]
    live = (np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0  # up to and including [END]
    # An untrained model may emit [PAD] (0), which teacher forcing masks: compare before it.
    live &= np.cumsum(ids == 0, axis=1) == 0
    assert live.sum() > 20
    np.testing.assert_array_equal(np.argmax(logits, -1)[live], ids[live])
    log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32)).numpy()
    picked = np.take_along_axis(log_probs, ids[..., None], -1)[..., 0]  # (B, L)
    whole = ~np.any((ids == 0) & ((np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0), axis=1)
    assert whole.sum() >= 2  # rows that never emitted [PAD]: their whole score
    np.testing.assert_allclose((picked * live).sum(1)[whole], out["scores"].numpy()[whole], atol=1e-3)
