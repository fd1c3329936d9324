import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_s2s.decoding.row_ops import _chunk_size, log_max_softmax, row_top_k, take_along_rows, tile_rows


def test_tile_rows_repeats_each_row_consecutively():
    x = np.array([[1, 2], [3, 4]], "int32")
    np.testing.assert_array_equal(tile_rows(x, 3), [[1, 2]] * 3 + [[3, 4]] * 3)
    assert tile_rows(np.zeros((2, 5, 4), "float32"), 2).shape == (4, 5, 4)


def test_tile_rows_with_an_unknown_batch_in_a_tf_function():
    f = tf.function(lambda x: tile_rows(x, 2), input_signature=[tf.TensorSpec([None], tf.float32)])
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])), [1.0, 1.0, 2.0, 2.0])


def test_take_along_rows_picks_one_value_per_row():
    values = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]], "float32")
    np.testing.assert_array_equal(take_along_rows(values, np.array([2, 0], "int32")), values[[0, 1], [2, 0]])


@pytest.mark.parametrize("width", [7, 255, 256, 4999, 5000, 8003])
@pytest.mark.parametrize("kind", ["normal", "ties", "-inf rows"])
def test_row_top_k_equals_top_k_values_columns_and_tie_order(width, kind):
    rng = np.random.default_rng(width)
    if kind == "ties":  # three distinct values: ties everywhere, lower column first
        x = rng.integers(0, 3, size=(6, width)).astype("float32")
    else:
        x = rng.normal(size=(6, width)).astype("float32")
    if kind == "-inf rows":  # a not-yet-live beam, a half-blocked row
        x[0] = -np.inf
        x[1, : width // 2] = -np.inf
    for k in (1, 4, 5):
        expected_values, expected_columns = ops.top_k(x, k)
        values, columns = row_top_k(tf.constant(x), k)
        np.testing.assert_array_equal(values, expected_values)
        np.testing.assert_array_equal(columns, expected_columns)
        assert columns.dtype == tf.int32


@pytest.mark.backends
@pytest.mark.parametrize("width", [7, 5000])
def test_row_top_k_puts_ties_at_the_lower_column_on_every_backend(width):
    """Ties everywhere (three distinct values): the k largest in a stable
    descending order, as TensorFlow's `top_k` gives and PyTorch's `topk` does not promise."""
    x = np.random.default_rng(width).integers(0, 3, size=(6, width)).astype("float32")
    expected_columns = np.argsort(-x, axis=1, kind="stable")[:, :5]  # (6, 5)
    values, columns = row_top_k(ops.convert_to_tensor(x), 5)
    np.testing.assert_array_equal(ops.convert_to_numpy(columns), expected_columns)
    np.testing.assert_array_equal(ops.convert_to_numpy(values), np.take_along_axis(x, expected_columns, 1))


def test_row_top_k_in_a_tf_function_with_unknown_rows():
    f = tf.function(lambda x: row_top_k(x, 3), input_signature=[tf.TensorSpec([None, 1000], tf.float32)])
    x = np.random.default_rng(0).normal(size=(4, 1000)).astype("float32")
    values, columns = f(tf.constant(x))
    np.testing.assert_array_equal(columns, np.argsort(-x, axis=1, kind="stable")[:, :3])
    np.testing.assert_array_equal(values, -np.sort(-x, axis=1)[:, :3])
    assert f(tf.zeros([0, 1000]))[1].shape == (0, 3)


def test_log_max_softmax_hand_computed():
    inf = float("inf")
    logits = np.array(
        [
            [0.0, np.log(3.0), -inf],  # p = 1/4, 3/4, 0
            [0.0, 0.0, 0.0],  # ties: 1/3 at any maximum
            [1e4, 1e4 - 1.0, -1e4],  # large logits: 1 / (1 + 1/e) at the maximum, no overflow
            [100.0, 0.0, -100.0],  # exp(-100) is lost next to 1: log p = 0
            [-inf, 2.0, 2.0],  # a blocked column: 1/2
        ],
        "float32",
    )
    got = log_max_softmax(tf.constant(logits), tf.constant([1, 2, 0, 0, 2]))
    np.testing.assert_allclose(
        got, np.log([0.75, 1 / 3, 1 / (1 + np.exp(-1.0)), 1.0, 0.5]), rtol=1e-6, atol=1e-7
    )
    assert got.dtype == tf.float32


@pytest.mark.parametrize("width", [3, 5000])
def test_log_max_softmax_equals_log_softmax_at_the_argmax(width):
    x = np.random.default_rng(width).normal(0.0, 4.0, size=(7, width)).astype("float32")
    columns = np.argmax(x, axis=1).astype("int32")
    expected = np.take_along_axis(ops.convert_to_numpy(ops.log_softmax(x, axis=-1)), columns[:, None], 1)[
        :, 0
    ]
    np.testing.assert_allclose(log_max_softmax(tf.constant(x), tf.constant(columns)), expected, atol=1e-6)


def test_log_max_softmax_in_a_tf_function_with_unknown_shapes():
    f = tf.function(
        log_max_softmax, input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None], tf.int32)]
    )
    x = np.array([[1.0, 2.0], [0.0, -1.0]], "float32")
    np.testing.assert_allclose(f(x, tf.constant([1, 0])), -np.log1p(np.exp(-1.0)) * np.ones(2), rtol=1e-6)
    assert f(tf.zeros([0, 7]), tf.zeros([0], tf.int32)).shape == (0,)


def test_chunk_size_is_a_divisor_near_the_square_root_or_pads():
    assert _chunk_size(5000) == 50  # 5000 = 100 chunks of 50
    assert _chunk_size(32000) in (160, 200)
    assert _chunk_size(4999) == 71  # prime: 71 columns, the last chunk padded with -inf
