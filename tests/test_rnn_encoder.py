import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

from keras_s2s.layers import RNNEncoder

SRC = np.array([[5, 6, 7, 0, 0], [4, 5, 6, 7, 8]], "int32")


@pytest.mark.parametrize(
    "cell, num_layers, bidirectional, expected_dim, n_states",
    [("gru", 1, True, 16, 1), ("lstm", 2, True, 16, 4), ("gru", 2, False, 8, 2), ("lstm", 1, False, 8, 2)],
)
def test_output_and_state_shapes(cell, num_layers, bidirectional, expected_dim, n_states):
    encoder = RNNEncoder(10, 4, 8, cell=cell, num_layers=num_layers, bidirectional=bidirectional)
    outputs, state = encoder(SRC)
    assert outputs.shape == (2, 5, expected_dim)
    assert len(state) == n_states
    assert all(s.shape == (2, 8) for s in state)


def test_state_units_bridge_to_decoder_size():
    encoder = RNNEncoder(10, 4, 8, cell="lstm", state_units=12)
    _, state = encoder(SRC)
    assert [s.shape for s in state] == [(2, 12), (2, 12)]
    assert len(encoder.bridges) == 2


@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_does_not_change_outputs_or_final_state(bidirectional):
    encoder = RNNEncoder(10, 4, 8, num_layers=2, bidirectional=bidirectional)
    short = np.array([[5, 6, 7]], "int32")
    padded = np.array([[5, 6, 7, 0, 0, 0]], "int32")
    out_short, state_short = encoder(short)
    out_padded, state_padded = encoder(padded)
    np.testing.assert_allclose(out_short, np.asarray(out_padded)[:, :3], atol=1e-6)
    for a, b in zip(state_short, state_padded):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_sequence_outputs_carry_the_source_mask_in_functional_api():
    ids = keras.Input((None,), dtype="int32")
    outputs, _ = RNNEncoder(10, 4, 8)(ids)
    mask = outputs._keras_mask
    assert mask is not None
    model = keras.Model(ids, mask)
    np.testing.assert_array_equal(model(SRC), SRC != 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "rnn"}, "cell='rnn'"),
        ({"units": 0}, "units=0"),
        ({"num_layers": 1.5}, "num_layers=1.5"),
        ({"dropout": 1.0}, "dropout=1.0"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"vocab_size": 10, "embedding_dim": 4, "units": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        RNNEncoder(**args)


@pytest.mark.parametrize(
    "cell, num_layers, bidirectional, state_units",
    [("gru", 1, True, None), ("lstm", 2, True, 12), ("gru", 2, False, None), ("lstm", 1, False, None)],
)
def test_encode_stepwise_equals_call(cell, num_layers, bidirectional, state_units):
    # The exporters' TensorList-free path must be the encoder `fit` trained.
    keras.utils.set_random_seed(1)
    encoder = RNNEncoder(
        10, 4, 8, cell=cell, num_layers=num_layers, bidirectional=bidirectional, state_units=state_units
    )
    outputs, state = encoder(SRC, training=False)
    step_outputs, step_state = encoder.encode_stepwise(SRC)
    real = SRC != 0  # Keras repeats the last output at padding, which is masked anyway
    np.testing.assert_allclose(np.asarray(step_outputs)[real], np.asarray(outputs)[real], atol=1e-6)
    assert not np.asarray(step_outputs)[~real].any()  # the stepwise path writes zeros there
    assert len(step_state) == len(state)
    for a, b in zip(step_state, state):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, shapes",
    [
        ({"cell": "gru"}, [(2, 5, 16), (2, 8)]),
        ({"cell": "lstm", "num_layers": 2, "bidirectional": False}, [(2, 5, 8)] + [(2, 8)] * 4),
    ],
    ids=["bigru", "lstm2"],
)
def test_shared_layer_checks(kwargs, shapes, tmp_path):
    run_layer_test(
        lambda **kw: RNNEncoder(10, 4, 8, **kwargs, **kw),
        [SRC],
        call_kwargs={"training": False},
        expected_output_shapes=shapes,
        tmp_path=tmp_path,
    )
