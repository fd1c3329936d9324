import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401
from keras_s2s.layers import AttentionDecoder, MultiplicativeAttention, RNNEncoder

SRC = np.array([[5, 6, 7, 0, 0], [4, 5, 6, 7, 8]], "int32")
TGT = np.array([[2, 9, 8, 0], [2, 4, 5, 6]], "int32")

CONFIGS = [
    dict(attention="additive", cell="gru", num_layers=1),
    dict(attention="multiplicative", cell="lstm", num_layers=2),
    dict(attention="scaled_dot", cell="gru", num_layers=2, input_feeding=True),
    dict(attention="additive", cell="lstm", num_layers=1, input_feeding=True),
    dict(attention=None, cell="gru", num_layers=2),
]


def _encode(cell, num_layers):
    encoder = RNNEncoder(10, 4, 8, cell=cell, num_layers=num_layers)
    outputs, state = encoder(SRC)
    return outputs, state


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_step_is_the_same_computation_as_teacher_forcing(config):
    outputs, state = _encode(config["cell"], config["num_layers"])
    decoder = AttentionDecoder(12, 4, 8, **config)
    decoder(TGT, outputs, state, encoder_outputs_mask=SRC != 0)
    # Random weights everywhere, the biases included (a new GRU's are 0): the
    # teacher-forced pass splits them differently (input feeding: e_t·W[:E] + b
    # before the scan) from the step (the cell on [e_t; h̃_{t-1}]).
    weight_rng = np.random.default_rng(7)
    decoder.set_weights([weight_rng.normal(0, 0.5, w.shape).astype("float32") for w in decoder.get_weights()])
    logits, weights = decoder(
        TGT, outputs, state, encoder_outputs_mask=SRC != 0, return_attention_scores=True
    )
    assert logits.shape == (2, 4, 12) and weights.shape == (2, 4, 5)
    memory = decoder.prepare_memory(outputs, SRC != 0)
    step_state = decoder.initial_state(state)
    for t in range(TGT.shape[1]):
        step_logits, step_state, step_weights = decoder.step(TGT[:, t], step_state, memory)
        real = TGT[:, t] != 0  # padded teacher-forced positions are masked out
        np.testing.assert_allclose(np.asarray(step_logits)[real], np.asarray(logits)[real, t], atol=1e-5)
        np.testing.assert_allclose(np.asarray(step_weights)[real], np.asarray(weights)[real, t], atol=1e-6)


@pytest.mark.parametrize("config", CONFIGS[:4], ids=str)
def test_attention_weights_are_distributions_over_real_source_tokens(config):
    outputs, state = _encode(config["cell"], config["num_layers"])
    decoder = AttentionDecoder(12, 4, 8, **config)
    _, weights = decoder(TGT, outputs, state, encoder_outputs_mask=SRC != 0, return_attention_scores=True)
    w = np.asarray(weights)
    assert np.all(w[0, :, 3:] == 0)
    np.testing.assert_allclose(w[1].sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(w[0, :3].sum(-1), 1.0, atol=1e-5)


def test_baseline_sees_the_source_only_through_the_final_state():
    outputs, state = _encode("gru", 1)
    decoder = AttentionDecoder(12, 4, 8, attention=None)
    logits, weights = decoder(TGT, outputs, state, return_attention_scores=True)
    other_logits = decoder(TGT, np.random.rand(*outputs.shape).astype("float32"), state)
    np.testing.assert_allclose(logits, other_logits, atol=1e-6)
    assert np.all(np.asarray(weights) == 0)
    changed = decoder(TGT, outputs, [s + 1.0 for s in state])
    assert not np.allclose(logits, changed)


def test_attention_layer_instance_and_serialization():
    outputs, state = _encode("gru", 1)
    decoder = AttentionDecoder(12, 4, 8, attention=MultiplicativeAttention("general", scale=True))
    logits = decoder(TGT, outputs, state)
    config = decoder.get_config()
    assert config["attention"]["class_name"] == "MultiplicativeAttention"
    clone = AttentionDecoder.from_config(config)
    clone(TGT, outputs, state)
    clone.set_weights(decoder.get_weights())
    np.testing.assert_allclose(clone(TGT, outputs, state), logits, atol=1e-6)
    assert clone.attention.scale is True


def test_bad_arguments():
    with pytest.raises(ValueError, match="attention='luong'"):
        AttentionDecoder(12, 4, 8, attention="luong")
    with pytest.raises(ValueError, match="attention=None"):
        AttentionDecoder(12, 4, 8, attention=None, input_feeding=True)
    outputs, state = _encode("gru", 1)
    with pytest.raises(ValueError, match="expects 4 state tensors. Received: 1"):
        AttentionDecoder(12, 4, 8, cell="lstm", num_layers=2)(TGT, outputs, state)


def test_a_causal_cross_attention_is_refused():
    import pytest

    from keras_s2s.layers import AttentionDecoder, ScaledDotProductAttention

    with pytest.raises(ValueError, match=r"use_causal_mask=True\)"):
        AttentionDecoder(20, 8, 16, attention=ScaledDotProductAttention(use_causal_mask=True))
    AttentionDecoder(20, 8, 16, attention=ScaledDotProductAttention())  # the default is fine


@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[3]], ids=str)
def test_shared_layer_checks(config, tmp_path):
    outputs, state = _encode(config["cell"], config["num_layers"])
    outputs, state = np.asarray(outputs), [np.asarray(s) for s in state]
    run_layer_test(
        lambda **kw: AttentionDecoder(12, 4, 8, **config, **kw),
        [TGT, outputs, state],
        call_kwargs={"training": False},
        expected_output_shapes=[(2, 4, 12)],
        mixed_precision_output_dtype="float32",  # the logits, by design
        tmp_path=tmp_path,
    )
