"""Sinusoidal position encoding: positions as fixed sine/cosine waves."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Sinusoidal position encoding of the Transformer.

        PE(p, 2i)   = sin(p / max_wavelength^(2i / d))
        PE(p, 2i+1) = cos(p / max_wavelength^(2i / d))

    for position `p` and feature `2i` / `2i + 1` of a depth `d`
    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, §3.5). The
    encoding is computed from the positions at call time: the layer has no
    weights and no maximum length, so a model encodes sequences longer than
    any it was trained on, and a decoding step encodes exactly its own
    position. The waves are computed in float32 and cast to the compute
    dtype.

    Args:
        max_wavelength: positive number, the longest wavelength of the
            geometric progression (10000 in the paper).
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(B, T, d)`, the embeddings the encoding is added to; only
            their shape and dtype are read.
        positions: optional int `(B, T)`, the absolute position of every
            row and step; default `0 … T-1` in every row.

    Returns:
        The encoding `(B, T, d)` in the compute dtype (add it to `inputs`).

    Example:
    ```python
    x = embedding(token_ids) * math.sqrt(d)  # (B, T, d)
    x = x + SinusoidalPositionEncoding()(x)  # (B, T, d)
    ```
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(max_wavelength, bool)
            or not isinstance(max_wavelength, (int, float))
            or not max_wavelength > 1
        ):
            raise ValueError(
                f"`max_wavelength` must be a number > 1. Received: max_wavelength={max_wavelength!r}"
            )
        self.max_wavelength = max_wavelength
        self.supports_masking = True
        self.built = True

    def call(self, inputs, positions=None):
        depth = inputs.shape[-1]
        if depth is None:
            raise ValueError(
                "SinusoidalPositionEncoding needs the depth of `inputs` (their last "
                f"dimension) to be known. Received: inputs.shape={tuple(inputs.shape)}"
            )
        if positions is None:
            length = ops.shape(inputs)[-2]
            positions = ops.expand_dims(ops.arange(length), 0)  # (1, T)
        elif len(positions.shape) != len(inputs.shape) - 1:
            raise ValueError(
                "`positions` must have one dimension less than `inputs` (no depth). "
                f"Received: positions.shape={tuple(positions.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        positions = ops.expand_dims(ops.cast(positions, "float32"), -1)  # (B, T, 1)
        features = ops.arange(depth)  # (d,)
        pairs = ops.cast(features // 2 * 2, "float32")  # (d,) 2i for features 2i and 2i+1
        inverse_wavelengths = ops.exp(pairs * (-math.log(self.max_wavelength) / depth))  # (d,)
        angles = positions * inverse_wavelengths  # (B, T, d)
        even = ops.equal(features % 2, 0)  # (d,)
        encoding = ops.where(even, ops.sin(angles), ops.cos(angles))  # (B, T, d)
        encoding = ops.broadcast_to(encoding, ops.shape(inputs))  # (B, T, d)
        return ops.cast(encoding, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        base_config = super().get_config()
        config = {"max_wavelength": self.max_wavelength}
        return {**base_config, **config}
