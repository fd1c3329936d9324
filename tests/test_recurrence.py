"""keras_s2s.layers.GRU / LSTM (layers/recurrence.py) against Keras' GRU / LSTM."""

import keras
import numpy as np
import pytest

from keras_s2s import layers
from keras_s2s.layers import recurrence

PAIRS = {"gru": (keras.layers.GRU, layers.GRU), "lstm": (keras.layers.LSTM, layers.LSTM)}


def _inputs(seed=0, batch=3, length=6, dim=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, length, dim)).astype("float32")
    mask = np.ones((batch, length), bool)
    mask[1, 4:] = False  # padded row
    mask[2, 1:] = False  # one real token
    return x, mask


def _pair(kind, units=4, **kwargs):
    """A Keras layer and a projected one with the same (random, nonzero-bias) weights."""
    keras_cls, projected_cls = PAIRS[kind]
    reference = keras_cls(units, return_sequences=True, return_state=True, **kwargs)
    projected = projected_cls(units, return_sequences=True, return_state=True, **kwargs)
    reference.build((None, None, 5))
    projected.build((None, None, 5))
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in reference.get_weights()]
    reference.set_weights(weights)
    projected.set_weights(weights)
    return reference, projected


def test_the_hoisted_loop_is_used_on_this_machine():
    layer = layers.GRU(4)
    layer.build((None, None, 5))
    assert recurrence.hoisting_applies(layer, training=True)
    assert not recurrence.hoisting_applies(layers.GRU(4, dropout=0.5), training=True)
    assert not recurrence.hoisting_applies(layers.GRU(4, unroll=True), training=False)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_outputs_and_states_equal_keras_with_a_mask(kind, go_backwards, zero_output_for_mask):
    reference, projected = _pair(kind, go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask)
    x, mask = _inputs()
    state = [np.full((3, 4), 0.3, "float32")] * (2 if kind == "lstm" else 1)
    expected = reference(x, mask=mask, initial_state=state)
    got = projected(x, mask=mask, initial_state=state)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(g), keras.ops.convert_to_numpy(e), atol=1e-6)
    outputs = keras.ops.convert_to_numpy(got[0])
    if not go_backwards:  # masked steps: 0, or the last real step's output
        expected_tail = 0.0 if zero_output_for_mask else np.broadcast_to(outputs[1, 3], (2, 4))
        np.testing.assert_array_equal(outputs[1, 4:], expected_tail)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_bidirectional_and_gradients_equal_keras(kind):
    reference, projected = _pair(kind)
    ref_bi = keras.layers.Bidirectional(reference)
    proj_bi = keras.layers.Bidirectional(projected)
    x, mask = _inputs(seed=2)
    ref_bi.build(x.shape)
    proj_bi.build(x.shape)
    proj_bi.set_weights(ref_bi.get_weights())
    assert type(proj_bi.backward_layer) is type(projected)
    assert [w.path.split("/")[-1] for w in proj_bi.weights] == [w.path.split("/")[-1] for w in ref_bi.weights]

    import tensorflow as tf

    def loss_and_grads(layer):
        with tf.GradientTape() as tape:
            outputs = layer(x, mask=mask)[0]  # (B, T, 2u)
            loss = tf.reduce_sum(outputs * tf.range(1.0, 9.0)[None, None, :])
        return loss, tape.gradient(loss, layer.trainable_variables)

    ref_loss, ref_grads = loss_and_grads(ref_bi)
    loss, grads = loss_and_grads(proj_bi)
    np.testing.assert_allclose(float(loss), float(ref_loss), rtol=1e-6)
    for g, e in zip(grads, ref_grads):
        np.testing.assert_allclose(g.numpy(), e.numpy(), atol=1e-5)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_project_then_step_equals_the_cell(kind):
    reference, _ = _pair(kind)
    cell = reference.cell
    rng = np.random.default_rng(3)
    x_t = rng.normal(size=(2, 5)).astype("float32")
    states = [rng.normal(size=(2, 4)).astype("float32") for _ in range(2 if kind == "lstm" else 1)]
    expected_h, expected_states = cell(x_t, states)
    h, new_states = recurrence.recurrent_step(cell, recurrence.project_inputs(cell, x_t), states)
    np.testing.assert_allclose(np.asarray(h), np.asarray(expected_h), atol=1e-6)
    for g, e in zip(new_states, expected_states):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=1e-6)


def test_weights_of_a_keras_gru_load_into_the_projected_one(tmp_path):
    """The shipped models were saved with keras.layers.GRU: same weight files."""
    reference = keras.layers.GRU(4, return_sequences=True, return_state=True, name="gru_0")
    reference.build((None, None, 5))
    reference.set_weights([w + 0.1 for w in reference.get_weights()])
    path = str(tmp_path / "gru.weights.h5")
    inputs = keras.Input((None, 5))
    keras.Model(inputs, reference(inputs)[0]).save_weights(path)
    projected = layers.GRU(4, return_sequences=True, return_state=True, name="gru_0")
    inputs = keras.Input((None, 5))
    model = keras.Model(inputs, projected(inputs)[0])
    model.load_weights(path)
    for a, b in zip(projected.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_cells_the_hoisted_loop_does_not_cover_run_keras_loop():
    layer = layers.GRU(4, reset_after=False, return_sequences=True)
    layer.build((None, None, 5))
    assert not recurrence.can_hoist(layer.cell, training=False)
    x, mask = _inputs()
    reference = keras.layers.GRU(4, reset_after=False, return_sequences=True)
    reference.build((None, None, 5))
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        np.asarray(layer(x, mask=mask)), np.asarray(reference(x, mask=mask)), atol=1e-6
    )
