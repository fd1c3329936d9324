import math

import keras
import numpy as np
import pytest
from layer_testing import run_layer_test

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.layers import SinusoidalPositionEncoding


def test_hand_computed_values():
    x = np.zeros((2, 3, 4), "float32")
    encoding = np.asarray(SinusoidalPositionEncoding()(x))  # (B, T, d)
    # PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(...), d = 4.
    expected = [[math.sin(p), math.cos(p), math.sin(p / 100), math.cos(p / 100)] for p in range(3)]
    np.testing.assert_allclose(encoding, np.broadcast_to(expected, (2, 3, 4)), atol=1e-6)


def test_odd_depth_and_another_wavelength():
    encoding = np.asarray(SinusoidalPositionEncoding(max_wavelength=16)(np.zeros((1, 2, 3), "float32")))
    p = 1.0
    expected = [math.sin(p), math.cos(p), math.sin(p / 16 ** (2 / 3))]
    np.testing.assert_allclose(encoding[0, 1], expected, atol=1e-6)


def test_positions_give_the_rows_of_those_positions():
    layer = SinusoidalPositionEncoding()
    full = np.asarray(layer(np.zeros((1, 12, 8), "float32")))[0]  # (T, d)
    positions = np.array([[3, 4], [11, 0]], "int32")  # (B, T)
    picked = np.asarray(layer(np.zeros((2, 2, 8), "float32"), positions=positions))
    np.testing.assert_allclose(picked, full[positions], atol=1e-6)


def test_no_weights_and_no_maximum_length():
    layer = SinusoidalPositionEncoding()
    encoding = np.asarray(layer(np.zeros((1, 5000, 6), "float32")))
    assert layer.weights == []
    assert np.all(np.abs(encoding) <= 1.0) and np.isfinite(encoding).all()
    # The waves of position 4999 are those of the formula, not a clipped table.
    np.testing.assert_allclose(encoding[0, 4999, 0], math.sin(4999), atol=1e-3)


def test_compute_dtype_and_masks_pass_through():
    layer = SinusoidalPositionEncoding(dtype="mixed_float16")
    out = layer(np.zeros((2, 3, 4), "float16"))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    assert SinusoidalPositionEncoding().compute_mask(x, mask="the mask") == "the mask"


def test_bad_arguments_and_config():
    for bad in (1, 0, -3, "10000", True):
        with pytest.raises(ValueError, match=f"max_wavelength={bad!r}"):
            SinusoidalPositionEncoding(max_wavelength=bad)
    with pytest.raises(ValueError, match=r"positions.shape=\(2,\)"):
        SinusoidalPositionEncoding()(np.zeros((2, 3, 4), "float32"), positions=np.zeros((2,), "int32"))
    layer = SinusoidalPositionEncoding(max_wavelength=500, name="pe")
    clone = SinusoidalPositionEncoding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.max_wavelength == 500


def test_shared_layer_checks(tmp_path):
    run_layer_test(
        lambda **kw: SinusoidalPositionEncoding(**kw),
        [np.random.default_rng(0).normal(size=(2, 7, 6)).astype("float32")],
        expected_output_shapes=[(2, 7, 6)],
        tmp_path=tmp_path,
    )
