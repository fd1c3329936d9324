"""TransformerEncoder: shapes, masking, positions, encode_stepwise, config."""

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import TransformerEncoder

SRC = np.array([[5, 6, 7, 0, 0], [4, 5, 6, 7, 8], [9, 4, 0, 0, 0]], "int32")
SMALL = dict(embedding_dim=16, num_layers=2, num_heads=4, feedforward_dim=32, dropout=0.0)


def _encoder(**kwargs):
    keras.utils.set_random_seed(5)
    return TransformerEncoder(10, **{**SMALL, **kwargs})


def test_outputs_carry_the_source_mask():
    outputs = _encoder()(SRC)
    assert outputs.shape == (3, 5, 16)
    np.testing.assert_array_equal(outputs._keras_mask, SRC != 0)
    assert np.isfinite(np.asarray(outputs)).all()


def test_padding_changes_nothing_and_is_never_attended():
    encoder = _encoder()
    outputs = np.asarray(encoder(SRC))
    padded = np.asarray(encoder(np.pad(SRC, [(0, 0), (0, 4)])))
    real = SRC != 0
    np.testing.assert_allclose(padded[:, :5][real], outputs[real], atol=1e-5)
    # A token in the padding's place would have changed the real outputs.
    filled = SRC.copy()
    filled[0, 3] = 9
    assert not np.allclose(np.asarray(encoder(filled))[0, :3], outputs[0, :3], atol=1e-3)


def test_every_position_sees_the_whole_sentence_in_order():
    encoder = _encoder()
    outputs = np.asarray(encoder(SRC))
    changed = SRC.copy()
    changed[1, 4] = 9  # the last token: earlier outputs change too (not causal)
    assert not np.allclose(np.asarray(encoder(changed))[1, 0], outputs[1, 0], atol=1e-4)
    # Positions are encoded: swapping two tokens does not just swap their outputs.
    swapped = SRC.copy()
    swapped[1, [0, 1]] = swapped[1, [1, 0]]
    assert not np.allclose(np.asarray(encoder(swapped))[1, [1, 0]], outputs[1, [0, 1]], atol=1e-3)


def test_encode_stepwise_is_the_inference_mode_call():
    encoder = _encoder(dropout=0.3)
    outputs, state = encoder.encode_stepwise(SRC)
    assert state == []
    np.testing.assert_array_equal(outputs, encoder(SRC, training=False))
    assert not np.allclose(encoder(SRC, training=True), outputs)


def test_mixed_precision_outputs_in_the_compute_dtype():
    encoder = _encoder(dtype="mixed_bfloat16")
    outputs = encoder(SRC)
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    assert all(w.dtype == "float32" for w in encoder.weights)
    reference = _encoder()
    reference(SRC)
    reference.set_weights(encoder.get_weights())
    np.testing.assert_allclose(np.asarray(keras.ops.cast(outputs, "float32")), reference(SRC), atol=0.1)


def test_config_and_the_shared_layer_checks(tmp_path):
    config = _encoder(num_heads=2, dropout=0.25).get_config()
    assert {k: config[k] for k in ("vocab_size", "embedding_dim", "num_layers", "num_heads", "dropout")} == {
        "vocab_size": 10,
        "embedding_dim": 16,
        "num_layers": 2,
        "num_heads": 2,
        "dropout": 0.25,
    }
    run_layer_test(
        lambda **kw: TransformerEncoder(10, **SMALL, **kw),
        [SRC],
        call_kwargs={"training": False},
        expected_output_shapes=[(3, 5, 16)],
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(embedding_dim=10, num_heads=3), r"Received: num_heads=3, embedding_dim=10"),
        (dict(vocab_size=-1), "vocab_size=-1"),
        (dict(num_heads=0), "num_heads=0"),
        (dict(num_layers=True), "num_layers=True"),
        (dict(dropout=-0.1), "dropout=-0.1"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"vocab_size": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        TransformerEncoder(**kwargs)
