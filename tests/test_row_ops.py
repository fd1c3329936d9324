import numpy as np
import tensorflow as tf

from keras_s2s.decoding.row_ops import take_along_rows, tile_rows


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
