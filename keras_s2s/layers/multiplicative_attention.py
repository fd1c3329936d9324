"""Multiplicative (Luong) attention."""

import keras
from keras import ops

from keras_s2s.layers.base_attention import BaseAttention

SCORES = ("dot", "general")


@keras.saving.register_keras_serializable(package="keras_s2s")
class MultiplicativeAttention(BaseAttention):
    """Multiplicative attention layer, a.k.a. Luong-style attention.

    score(q, k) = qᵀ k          (`score="dot"`, needs `dq == dk`)
    score(q, k) = qᵀ W k        (`score="general"`, `W` of shape `(dq, dk)`)

    With `scale=True` the score is multiplied by a learned scalar `g`
    (initialized to 1), as in `tfa.seq2seq.LuongAttention(scale=True)`.
    For "general", the projected keys `W k` depend only on the source and
    are computed once per source sentence by `prepare_memory`.

    Reference: Luong, Pham & Manning, "Effective Approaches to
    Attention-based Neural Machine Translation", EMNLP 2015.

    Args:
        score: `"general"` or `"dot"`.
        scale: bool, multiply scores by a learned scalar.
        dropout: float in `[0, 1)`, dropout on the attention weights.

    Call arguments and returns: see `BaseAttention`.
    """

    def __init__(self, score="general", scale=False, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if score not in SCORES:
            raise ValueError(f"`score` must be one of {SCORES}. Received: score={score!r}")
        if not isinstance(scale, bool):
            raise ValueError(f"`scale` must be a bool. Received: scale={scale!r}")
        self.score_name = score
        self.scale = scale

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        dq, dk = query_shape[-1], key_shape[-1]
        if self.score_name == "dot" and dq != dk:
            raise ValueError(
                'score="dot" needs query and key of the same depth; use '
                'score="general" to learn a projection. '
                f"Received: query depth dq={dq}, key depth dk={dk}"
            )
        if self.score_name == "general":
            self.kernel = self.add_weight(name="kernel", shape=(dq, dk), initializer="glorot_uniform")
        if self.scale:
            self.score_gain = self.add_weight(name="score_gain", shape=(), initializer="ones")

    def project_keys(self, key):
        if self.score_name == "general":
            return ops.matmul(key, ops.transpose(self.kernel))  # (B, Tv, dq)
        return key  # (B, Tv, dk)

    def score(self, query, keys):
        scores = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))  # (B,Tq,Tv)
        if self.scale:
            scores = self.score_gain * scores
        return scores

    def get_config(self):
        base_config = super().get_config()
        config = {"score": self.score_name, "scale": self.scale}
        return {**base_config, **config}
