import keras
import numpy as np
import pytest

from keras_s2s.layers.stepwise_rnn import run_cell


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("reverse", [False, True])
def test_run_cell_equals_the_keras_rnn_layer_with_a_mask(kind, reverse):
    keras.utils.set_random_seed(0)
    cls = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[kind]
    layer = cls(5, return_sequences=True, return_state=True, go_backwards=reverse)
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], bool)
    expected, *expected_states = layer(x, mask=mask)
    outputs, states = run_cell(layer.cell, x, mask, reverse=reverse)
    expected = np.asarray(expected)
    if reverse:  # Keras returns a backward layer's outputs in processing order
        expected = expected[:, ::-1]
    np.testing.assert_allclose(np.asarray(outputs)[mask], expected[mask], atol=1e-6)
    assert not np.asarray(outputs)[~mask].any()  # masked steps output zeros
    for a, b in zip(states, expected_states):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_run_cell_on_an_empty_time_axis_returns_zero_states():
    cell = keras.layers.GRUCell(3)
    cell.build((None, 2))
    outputs, (h,) = run_cell(cell, np.zeros((2, 0, 2), "float32"), np.zeros((2, 0), bool))
    assert outputs.shape == (2, 0, 3)
    np.testing.assert_array_equal(h, np.zeros((2, 3)))
