import numpy as np
import pytest
from keras import ops

from keras_s2s.decoding.row_retirement import enough_leaving, retire, retire_memory

pytestmark = pytest.mark.backends


def test_retire_keeps_the_other_rows_and_saves_the_leaving_ones():
    done = np.array([False, True, False])  # active row 1 leaves
    rows = np.array([4, 0, 2], "int32")  # their buffer rows
    active = {"x": np.array([[1.0], [2.0], [3.0]], "float32")}
    saved = {"x": np.zeros((5, 1), "float32")}
    rows, active, saved = retire(done, rows, active, saved, active)
    np.testing.assert_array_equal(ops.convert_to_numpy(rows), [4, 2])
    np.testing.assert_array_equal(ops.convert_to_numpy(active["x"]), [[1.0], [3.0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(saved["x"])[:, 0], [2.0, 0.0, 3.0, 0.0, 1.0])


def test_retire_memory_drops_the_memory_rows_of_leaving_sentences():
    memory = (np.arange(3, dtype="float32") * 10,)  # one row per sentence
    done = np.array([False, False, True, True, False, False])  # K = 2: sentence 1 leaves
    (kept,) = retire_memory(done, memory, 2)
    np.testing.assert_array_equal(ops.convert_to_numpy(kept), [0.0, 20.0])
    (kept,) = retire_memory(done, (np.arange(6, dtype="float32"),))  # a memory row per decode row
    np.testing.assert_array_equal(ops.convert_to_numpy(kept), [0.0, 1.0, 4.0, 5.0])


def test_rows_leave_once_a_quarter_of_them_are_done():
    assert not bool(enough_leaving(np.array([True] + [False] * 4)))  # 1 of 5
    assert bool(enough_leaving(np.array([True] + [False] * 3)))  # 1 of 4
    assert not bool(enough_leaving(np.zeros(4, bool)))
