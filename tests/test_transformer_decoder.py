"""TransformerDecoder: teacher forcing, the cached step, masking, weights, config."""

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import TransformerDecoder, TransformerEncoder

# Stepping eagerly, the first token attends a prefix of one key, and Keras
# warns about any softmax over an axis of static size 1 (in a traced decode
# the prefix length is dynamic and nothing is said).
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")

SRC = np.array([[5, 6, 7, 0, 0], [4, 5, 6, 7, 8], [9, 4, 0, 0, 0]], "int32")
TGT = np.array([[2, 9, 8, 0, 0, 0], [2, 4, 5, 6, 7, 11], [2, 3, 0, 0, 0, 0]], "int32")
SMALL = dict(embedding_dim=16, num_layers=2, num_heads=4, feedforward_dim=32, dropout=0.0)


def _encode(src=SRC):
    keras.utils.set_random_seed(3)
    return TransformerEncoder(10, **SMALL)(src)


def _decoder(**kwargs):
    keras.utils.set_random_seed(4)
    return TransformerDecoder(12, **{**SMALL, **kwargs})


CONFIGS = [
    {},
    dict(tie_embeddings=False),
    dict(num_heads=1, num_layers=1),
    dict(num_heads=2, num_layers=3, embedding_dim=8, feedforward_dim=8),
]


@pytest.mark.parametrize("max_length", [None, 8], ids=["growing", "fixed"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_cached_step_equals_teacher_forcing_position_by_position(config, max_length):
    decoder = _decoder(**config)
    encoder = TransformerEncoder(10, **{**SMALL, "embedding_dim": decoder.embedding_dim})
    outputs = encoder(SRC)
    logits, weights = decoder(TGT, outputs, encoder_outputs_mask=SRC != 0, return_attention_scores=True)
    assert logits.shape == (3, 6, 12) and weights.shape == (3, 6, 5)
    memory = decoder.prepare_memory(outputs, SRC != 0)
    state = decoder.initial_state(3, max_length)  # growing, or fixed buffers longer than the target
    for t in range(TGT.shape[1]):
        step_logits, state, step_weights = decoder.step(TGT[:, t], state, memory)
        assert step_logits.dtype == "float32" and step_weights.shape == (3, 5)
        real = TGT[:, t] != 0  # teacher forcing masks the padded positions
        np.testing.assert_allclose(np.asarray(step_logits)[real], np.asarray(logits)[real, t], atol=1e-5)
        np.testing.assert_allclose(np.asarray(step_weights)[real], np.asarray(weights)[real, t], atol=1e-6)
        if max_length is None:
            assert state["keys"][0].shape[2] == t + 1
        else:
            np.testing.assert_array_equal(state["position"], t + 1)


def test_a_growing_cache_holds_the_tokens_so_far():
    decoder = _decoder()
    memory = decoder.prepare_memory(_encode())
    state = decoder.initial_state(3, None)
    assert set(state) == {"keys", "values"} and state["keys"][0].shape == (3, 4, 0, 4)
    fixed = decoder.initial_state(3, 7)
    for t in range(3):
        logits, state, _ = decoder.step(TGT[:, t], state, memory)
        fixed_logits, fixed, _ = decoder.step(TGT[:, t], fixed, memory)
        np.testing.assert_allclose(logits, fixed_logits, atol=1e-5)
    for grown, buffer in zip(state["keys"] + state["values"], fixed["keys"] + fixed["values"]):
        assert grown.shape == (3, 4, 3, 4)  # (N, H, t, k)
        np.testing.assert_allclose(grown, np.asarray(buffer)[:, :, :3], atol=1e-6)


def test_the_cache_holds_each_token_in_its_slot_and_nothing_after_it():
    decoder = _decoder()
    memory = decoder.prepare_memory(_encode())
    state = decoder.initial_state(3, 7)
    assert set(state) == {"position", "keys", "values"} and len(state["keys"]) == 2
    assert state["keys"][0].shape == (3, 4, 7, 4) and state["position"].dtype == "int32"
    for t in range(3):
        _, state, _ = decoder.step(TGT[:, t], state, memory)
    for buffer in state["keys"] + state["values"]:
        b = np.asarray(buffer)  # (N, H, L, k)
        assert np.all(np.abs(b[:, :, :3]).sum(-1) > 0) and np.all(b[:, :, 3:] == 0)
    # Slot 0 is the [START] token's key whatever came later.
    block = decoder.blocks[0]
    x = np.asarray(decoder._embed(TGT[:, :1]))  # (N, 1, d)
    expected, _ = block.self_attention.prepare_memory(block.self_attention_norm(x))
    np.testing.assert_allclose(np.asarray(state["keys"][0])[:, :, :1], expected, atol=1e-6)


def test_future_targets_and_padding_change_nothing():
    decoder = _decoder()
    outputs = _encode()
    logits = np.asarray(decoder(TGT, outputs, encoder_outputs_mask=SRC != 0))
    changed = TGT.copy()
    changed[1, 4:] = [10, 10]  # later tokens: causal, earlier logits unchanged
    other = np.asarray(decoder(changed, outputs, encoder_outputs_mask=SRC != 0))
    np.testing.assert_allclose(other[1, :4], logits[1, :4], atol=1e-6)
    assert not np.allclose(other[1, 4:], logits[1, 4:])
    # More padding on both sides: the same logits at the real positions.
    src = np.pad(SRC, [(0, 0), (0, 3)])
    tgt = np.pad(TGT, [(0, 0), (0, 4)])
    padded = np.asarray(decoder(tgt, _encode(src), encoder_outputs_mask=src != 0))
    real = TGT != 0
    np.testing.assert_allclose(padded[:, :6][real], logits[real], atol=1e-5)
    # The encoder outputs at padded source positions are never read.
    noisy = np.asarray(outputs).copy()
    noisy[SRC == 0] = 100.0
    np.testing.assert_allclose(decoder(TGT, noisy, encoder_outputs_mask=SRC != 0), logits, atol=1e-5)


def test_cross_attention_weights_are_distributions_over_real_source_tokens():
    decoder = _decoder()
    _, weights = decoder(TGT, _encode(), encoder_outputs_mask=SRC != 0, return_attention_scores=True)
    w = np.asarray(weights)  # (B, T, S)
    real = TGT != 0
    np.testing.assert_allclose(w.sum(-1)[real], 1.0, atol=1e-5)
    assert np.all(w[~real] == 0)  # padded target rows
    assert np.all(w[0, :, 3:] == 0) and np.all(w[2, :, 2:] == 0)  # padded source columns
    assert np.all(w[1] > 0)


def test_the_source_mask_flows_in_from_the_encoder_in_the_functional_api():
    source_ids = keras.Input((None,), dtype="int32")
    target_ids = keras.Input((None,), dtype="int32")
    decoder = _decoder()
    _, weights = decoder(
        target_ids, TransformerEncoder(10, **SMALL)(source_ids), return_attention_scores=True
    )
    model = keras.Model([source_ids, target_ids], weights)
    w = np.asarray(model([SRC, TGT]))
    assert np.all(w[0, :, 3:] == 0) and np.all(w[2, :, 2:] == 0)


def test_tied_and_untied_output_projections():
    tied, untied = _decoder(), _decoder(tie_embeddings=False)
    outputs = _encode()
    logits = np.asarray(tied(TGT, outputs))
    untied(TGT, outputs)
    assert tied.output_layer is None and untied.output_layer.kernel.shape == (16, 12)
    assert len(untied.weights) == len(tied.weights) + 1
    tied.logits_bias.assign(np.arange(12, dtype="float32"))
    np.testing.assert_allclose(
        np.asarray(tied(TGT, outputs)) - logits, np.broadcast_to(np.arange(12), logits.shape), atol=1e-5
    )
    # The logits are the final hidden states times the embedding matrix.
    hidden = np.asarray(tied.final_norm(np.ones((1, 16), "float32")))  # (1, d)
    embeddings = np.asarray(tied.embedding.embeddings)  # (V, d)
    np.testing.assert_allclose(
        tied._logits(np.ones((1, 16), "float32")), hidden @ embeddings.T + np.arange(12), atol=1e-5
    )


def test_dropout_applies_in_training_only():
    decoder = _decoder(dropout=0.5)
    outputs = _encode()
    a, b = decoder(TGT, outputs), decoder(TGT, outputs)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(decoder(TGT, outputs, training=True), a)


@pytest.mark.parametrize("tie_embeddings", [True, False])
def test_config_and_the_shared_layer_checks(tie_embeddings, tmp_path):
    config = _decoder(tie_embeddings=tie_embeddings, dropout=0.2).get_config()
    assert {k: config[k] for k in ("vocab_size", "num_heads", "tie_embeddings", "dropout")} == {
        "vocab_size": 12,
        "num_heads": 4,
        "tie_embeddings": tie_embeddings,
        "dropout": 0.2,
    }
    run_layer_test(
        lambda **kw: TransformerDecoder(12, **SMALL, tie_embeddings=tie_embeddings, **kw),
        [TGT, np.asarray(_encode())],
        call_kwargs={"return_attention_scores": True, "training": False},
        expected_output_shapes=[(3, 6, 12), (3, 6, 5)],
        mixed_precision_output_dtype="float32",  # the logits, by design
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(embedding_dim=10, num_heads=3), r"Received: num_heads=3, embedding_dim=10"),
        (dict(vocab_size=0), "vocab_size=0"),
        (dict(num_layers=1.5), "num_layers=1.5"),
        (dict(feedforward_dim=None), "feedforward_dim=None"),
        (dict(dropout=1.0), "dropout=1.0"),
        (dict(tie_embeddings="yes"), "tie_embeddings='yes'"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"vocab_size": 12, **kwargs}
    with pytest.raises(ValueError, match=match):
        TransformerDecoder(**kwargs)


def test_encoder_outputs_of_another_depth_are_refused():
    with pytest.raises(ValueError, match=r"expects inputs of depth 16. Received: inputs.shape=\(3, 5, 8\)"):
        _decoder()(TGT, np.zeros((3, 5, 8), "float32"))
