"""keras_s2s.training.dtype_policy: the global dtype policy scope."""

import keras
import pytest

from keras_s2s.training.dtype_policy import global_dtype_policy


def test_layers_built_inside_keep_the_policy_and_the_global_one_is_restored():
    with global_dtype_policy("mixed_bfloat16"):
        layer = keras.layers.Dense(2)
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    assert (layer.compute_dtype, layer.variable_dtype) == ("bfloat16", "float32")


def test_the_policy_is_restored_after_an_error_and_none_changes_nothing():
    with pytest.raises(RuntimeError), global_dtype_policy("mixed_float16"):
        raise RuntimeError("boom")
    assert keras.mixed_precision.global_policy().name == "float32"
    with global_dtype_policy(None):
        assert keras.mixed_precision.global_policy().name == "float32"
