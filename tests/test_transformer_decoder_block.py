"""TransformerDecoderBlock: causal teacher forcing, the cached step, `write_at`."""

import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import TransformerDecoderBlock
from keras_s2s.layers.transformer_decoder_block import write_at

# Stepping eagerly, the first token attends a prefix of one key, and Keras
# warns about any softmax over an axis of static size 1 (in a traced decode
# the prefix length is dynamic and nothing is said).
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")

rng = np.random.default_rng(1)
X = rng.normal(size=(2, 5, 8)).astype("float32")  # (B, T, d) embedded targets
ENC = rng.normal(size=(2, 3, 8)).astype("float32")  # (B, S, d)
ENC_MASK = np.array([[1, 1, 0], [1, 1, 1]], bool)


@pytest.mark.parametrize("fixed", [False, True], ids=["growing", "fixed"])
def test_step_with_the_cache_equals_the_causal_call(fixed):
    block = TransformerDecoderBlock(8, 2, 16)
    y, weights = block(X, ENC, encoder_outputs_mask=ENC_MASK, return_attention_scores=True)
    assert y.shape == (2, 5, 8) and weights.shape == (2, 2, 5, 3)
    assert block.self_attention.use_causal_mask and not block.cross_attention.use_causal_mask
    memory = block.prepare_memory(ENC)
    # (N, H, L, k) with L > T, or an empty cache that grows
    cache = (np.zeros((2, 2, 6 if fixed else 0, 4), "float32"),) * 2
    for t in range(5):
        position = np.full((2,), t, "int32") if fixed else None
        out, cache, w = block.step(X[:, t], cache, memory, ENC_MASK, position=position)
        assert cache[0].shape == (2, 2, 6 if fixed else t + 1, 4)
        np.testing.assert_allclose(out, np.asarray(y)[:, t], atol=1e-5)
        np.testing.assert_allclose(w, np.asarray(weights)[:, :, t], atol=1e-6)
    assert np.all(np.asarray(weights)[0, :, :, 2] == 0)


def test_write_at_sets_one_slot_per_row_in_every_head():
    cache = np.zeros((3, 2, 4, 5), "float32")
    update = rng.normal(size=(3, 2, 1, 5)).astype("float32")
    out = np.asarray(write_at(cache, update, np.array([0, 3, 1], "int32")))
    expected = cache.copy()
    for n, p in enumerate([0, 3, 1]):
        expected[n, :, p] = update[n, :, 0]
    np.testing.assert_array_equal(out, expected)


def test_encoder_outputs_of_another_depth_are_refused():
    with pytest.raises(ValueError, match=r"depth 8. Received: inputs.shape=\(2, 3, 4\)"):
        TransformerDecoderBlock(8, 2, 16)(X, np.zeros((2, 3, 4), "float32"))


def test_config_round_trip():
    block = TransformerDecoderBlock(8, 4, 32, dropout=0.1, name="b")
    config = block.get_config()
    assert TransformerDecoderBlock.from_config(config).get_config() == config
    assert block.head_dim == 2


def test_shared_layer_checks(tmp_path):
    run_layer_test(
        lambda **kw: TransformerDecoderBlock(8, 2, 16, **kw),
        [X, ENC],
        call_kwargs={"return_attention_scores": True, "training": False},
        expected_output_shapes=[(2, 5, 8), (2, 2, 5, 3)],
        tmp_path=tmp_path,
    )
