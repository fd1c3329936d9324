"""TransformerEncoderBlock: the pre-LN formula, masking, argument checks."""

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import TransformerEncoderBlock
from keras_s2s.layers.transformer_encoder_block import check_transformer_args

rng = np.random.default_rng(0)
X = rng.normal(size=(2, 4, 8)).astype("float32")
MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)


def test_the_pre_layer_norm_residual_formula():
    block = TransformerEncoderBlock(8, 2, 16)
    y = np.asarray(block(X, padding_mask=MASK))
    # h = x + SelfAttention(LN(x)); y = h + W_2 relu(W_1 LN(h) + b_1) + b_2
    n = block.self_attention_norm(X)
    h = X + np.asarray(block.self_attention(n, n, query_mask=MASK, value_mask=MASK))
    w1, b1 = (np.asarray(w) for w in block.feedforward_inner.weights)
    w2, b2 = (np.asarray(w) for w in block.feedforward_output.weights)
    expected = h + np.maximum(np.asarray(block.feedforward_norm(h)) @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert block.self_attention.num_heads == 2 and block.self_attention.key_dim == 4
    assert not block.self_attention.use_causal_mask


def test_padded_positions_are_not_attended():
    block = TransformerEncoderBlock(8, 2, 16)
    y = np.asarray(block(X, padding_mask=MASK))
    noisy = X.copy()
    noisy[0, 3] = 50.0
    np.testing.assert_allclose(np.asarray(block(noisy, padding_mask=MASK))[0, :3], y[0, :3], atol=1e-5)


def test_a_single_head_still_learns_its_projections():
    block = TransformerEncoderBlock(8, 1, 16)
    block(X)
    assert block.self_attention.query_kernel.shape == (8, 1, 8)


def test_config_round_trip_and_depth_check():
    block = TransformerEncoderBlock(8, 4, 32, dropout=0.1, name="b")
    config = block.get_config()
    assert TransformerEncoderBlock.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"expects inputs of depth 8. Received: inputs.shape=\(2, 4, 6\)"):
        block(np.zeros((2, 4, 6), "float32"))


@pytest.mark.parametrize(
    "args, match",
    [
        ((10, 3, 8, 0.0), "Received: num_heads=3, embedding_dim=10"),
        ((8, 2, 0, 0.0), "feedforward_dim=0"),
        ((8, 2, 8, 1.5), "dropout=1.5"),
        ((8, 2, 8, True), "dropout=True"),
    ],
)
def test_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        TransformerEncoderBlock(*args)
    with pytest.raises(ValueError, match="num_layers=0"):
        check_transformer_args(8, 2, 8, 0.0, num_layers=0)
    assert keras.saving.get_registered_name(TransformerEncoderBlock) == "keras_s2s>TransformerEncoderBlock"


def test_shared_layer_checks(tmp_path):
    run_layer_test(
        lambda **kw: TransformerEncoderBlock(8, 2, 16, **kw),
        [X, MASK],
        call_kwargs={"training": False},
        expected_output_shapes=[(2, 4, 8)],
        tmp_path=tmp_path,
    )
