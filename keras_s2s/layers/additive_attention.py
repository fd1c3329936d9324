"""Additive (Bahdanau) attention."""

import math

import keras
from keras import ops

from keras_s2s.layers.additive_score import additive_score
from keras_s2s.layers.base_attention import BaseAttention


@keras.saving.register_keras_serializable(package="keras_s2s")
class AdditiveAttention(BaseAttention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    score(q, k) = vᵀ tanh(W_q q + W_k k)

    With `normalize=True` (weight-normalized Bahdanau attention, Salimans &
    Kingma 2016, as in `tfa.seq2seq.BahdanauAttention(normalize=True)`):

    score(q, k) = (g · v / ‖v‖)ᵀ tanh(W_q q + W_k k + b)

    The key projection `W_k k` depends only on the source and is computed
    once per source sentence by `prepare_memory`.

    Reference: Bahdanau, Cho & Bengio, "Neural Machine Translation by
    Jointly Learning to Align and Translate", ICLR 2015.

    Args:
        units: int, size of the hidden layer of the score MLP.
        normalize: bool, weight-normalize `v` with a learned scalar `g`
            (initialized to `sqrt(1 / units)`) and add a bias `b`.
        dropout: float in `[0, 1)`, dropout on the attention weights.

    Call arguments and returns: see `BaseAttention`. Weights: `W_q`
    `(dq, units)`, `W_k` `(dk, units)`, `v` `(units,)`.
    """

    def __init__(self, units, normalize=False, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"`units` must be a positive int. Received: units={units!r}")
        if not isinstance(normalize, bool):
            raise ValueError(f"`normalize` must be a bool. Received: normalize={normalize!r}")
        self.units = units
        self.normalize = normalize

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self.query_kernel = self.add_weight(
            name="query_kernel",
            shape=(query_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.key_kernel = self.add_weight(
            name="key_kernel",
            shape=(key_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform"
        )
        if self.normalize:
            self.score_gain = self.add_weight(
                name="score_gain",
                shape=(),
                initializer=keras.initializers.Constant(math.sqrt(1.0 / self.units)),
            )
            self.score_bias = self.add_weight(name="score_bias", shape=(self.units,), initializer="zeros")

    def project_keys(self, key):
        return ops.matmul(key, self.key_kernel)  # (B, Tv, units)

    def score(self, query, keys):
        q, v = self._score_inputs(query)  # (B, Tq, units), (units,)
        return additive_score(q, keys, v)  # (B, Tq, Tv)

    def step_score(self, query, keys):
        q, v = self._score_inputs(query)  # (B, Tq, units), (units,)
        return additive_score(q, keys, v, custom_gradient=False)  # (B, Tq, Tv)

    def _score_inputs(self, query):
        """`(q, v)`: the projected query (plus the bias) and the score vector."""
        q = ops.matmul(query, self.query_kernel)  # (B, Tq, units)
        v = ops.cast(self.score_vector, q.dtype)  # (units,)
        if self.normalize:
            q = q + ops.cast(self.score_bias, q.dtype)  # (B, Tq, units): tanh(q + b + k)
            v = ops.cast(self.score_gain, q.dtype) * v / ops.sqrt(ops.sum(ops.square(v)))
        return q, v

    def get_config(self):
        base_config = super().get_config()
        config = {"units": self.units, "normalize": self.normalize}
        return {**base_config, **config}
