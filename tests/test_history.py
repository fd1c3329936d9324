import numpy as np
import pytest
import tensorflow as tf
from backend_marks import tensorflow_only

from keras_s2s.decoding.history import append_step, gather_hypotheses, in_step_order

pytestmark = pytest.mark.backends


def _run(steps, rows=None, num_rows=3, length=5, width=2):
    """Appends `steps` (a list of (A, S) arrays) to a zero buffer."""
    history = np.zeros((num_rows, length, width), "float32")
    for weights in steps:
        history = append_step(history, np.asarray(weights, "float32"), rows)
    return np.asarray(history)


def test_append_shifts_left_and_writes_the_last_column():
    steps = [np.full((3, 2), t + 1.0) for t in range(3)]  # step t: all t + 1
    history = _run(steps)
    np.testing.assert_array_equal(history[:, :2], 0.0)  # not written yet
    np.testing.assert_array_equal(history[0, 2:, 0], [1.0, 2.0, 3.0])


def test_in_step_order_puts_step_t_in_column_t_and_zeros_after():
    steps = [np.arange(6, dtype="float32").reshape(3, 2) + 10 * t for t in range(3)]
    ordered = np.asarray(in_step_order(_run(steps), 3))
    for t, weights in enumerate(steps):
        np.testing.assert_array_equal(ordered[:, t], weights)
    np.testing.assert_array_equal(ordered[:, 3:], 0.0)
    np.testing.assert_array_equal(np.asarray(in_step_order(_run([]), 0)), 0.0)  # no step run


def test_active_rows_go_to_their_buffer_rows_and_the_others_get_zeros():
    # Rows 2 and 0 are active (in that order); row 1 has left the decode.
    history = _run([[[1.0, 2.0], [3.0, 4.0]]], rows=np.array([2, 0], "int32"))
    np.testing.assert_array_equal(history[:, -1], [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]])


def test_a_full_buffer_keeps_the_last_steps():
    steps = [np.full((3, 2), t + 1.0) for t in range(7)]  # 7 steps into 5 columns
    np.testing.assert_array_equal(_run(steps)[0, :, 0], [3.0, 4.0, 5.0, 6.0, 7.0])


def test_gather_hypotheses_follows_the_source_rows():
    attention = np.arange(2 * 3 * 2, dtype="float32").reshape(2, 3, 2)  # (N, L, S)
    sources = np.array([[1, 0, -1], [0, 0, 1]], "int32")  # (N, L)
    out = np.asarray(gather_hypotheses(attention, sources))
    np.testing.assert_array_equal(out[0], [attention[1, 0], attention[0, 1], [0.0, 0.0]])
    np.testing.assert_array_equal(out[1], [attention[0, 0], attention[0, 1], attention[1, 2]])


@tensorflow_only
def test_works_on_unknown_shapes_in_a_tf_function():
    spec = tf.TensorSpec([None, None, None], tf.float32)

    @tf.function(input_signature=[spec, tf.TensorSpec([None, None], tf.float32)])
    def run(history, weights):
        return in_step_order(append_step(history, weights, tf.constant([1, 0])), 1)

    out = run(tf.zeros((2, 4, 3)), tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).numpy()
    np.testing.assert_array_equal(out[:, 0], [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(out[:, 1:], 0.0)
